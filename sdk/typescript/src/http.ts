import { ApiError, ConnectionFailed, type Problem } from "./errors.js";

/** Query values: undefined left out, arrays joined by commas, objects as `name[key]=value` (deepObject). */
export type QueryValue = string | number | boolean | undefined | null | readonly (string | number)[] | Record<string, string>;
export type Query = Record<string, QueryValue>;

export interface RequestOptions {
  query?: Query;
  json?: unknown;
  body?: BodyInit | null;
  headers?: Record<string, string>;
  /** Seconds to keep retrying connection errors, 429 and 503; default: the transport's. */
  retryFor?: number;
  /** Milliseconds before the request is aborted, the reading of its answer included; 0: never. */
  timeoutMs?: number;
  auth?: boolean;
  signal?: AbortSignal;
}

export interface TransportOptions {
  apiKey?: string;
  /** Seconds to keep retrying connection errors, 429 and 503 (with backoff, honouring Retry-After); 0: never. */
  retryFor?: number;
  timeoutMs?: number;
  headers?: Record<string, string>;
  fetch?: typeof fetch;
}

/** Exponential backoff with jitter: up to base * 2^(tries-1) seconds, at most cap. */
export function backoff(tries: number, base = 0.25, cap = 10): number {
  const top = Math.min(cap, base * 2 ** (tries - 1));
  return base / 2 + Math.random() * Math.max(0, top - base / 2);
}

export const sleep = (seconds: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, Math.max(0, seconds * 1000));
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });

export function query(params?: Query): string {
  if (!params) return "";
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) search.append(name, value.join(","));
    else if (typeof value === "object") for (const [k, v] of Object.entries(value)) search.append(`${name}[${k}]`, String(v));
    else search.append(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/**
 * Sends requests to one Spool. Connection errors, 429 and 503 are retried with backoff for up to
 * `retryFor` seconds; every write the SDK makes is safe to repeat (submits and batches carry an
 * idempotency key, worker reports are fenced by their attempt). A body that is a stream cannot be
 * sent twice, so it is not retried.
 */
export class Transport {
  readonly baseUrl: string;
  readonly apiKey: string | undefined;
  readonly retryFor: number;
  readonly timeoutMs: number;
  private readonly headers: Record<string, string>;
  private readonly fetch: typeof fetch;

  constructor(baseUrl: string, options: TransportOptions = {}) {
    const url = new URL(baseUrl);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new TypeError(`baseUrl must be http(s), not ${baseUrl}`);
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.apiKey = options.apiKey;
    this.retryFor = options.retryFor ?? 30;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.headers = { Accept: "application/json", ...options.headers };
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** The answer of a request that succeeded (below 400); an {@link ApiError} otherwise. Its body is unread. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...this.headers };
    if (options.auth !== false && this.apiKey) headers.Authorization = `Bearer ${this.apiKey}`;
    let body = options.body ?? null;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers["Content-Type"] = "application/json";
    }
    Object.assign(headers, options.headers);
    const repeatable = !(body instanceof ReadableStream);
    const url = this.baseUrl + path + query(options.query);
    const deadline = Date.now() + 1000 * (options.retryFor ?? this.retryFor);
    for (let tries = 1; ; tries++) {
      let wait: number;
      const timeoutMs = options.timeoutMs ?? this.timeoutMs;
      const signals = timeoutMs > 0 ? [AbortSignal.timeout(timeoutMs)] : [];
      if (options.signal) signals.push(options.signal);
      const signal = signals.length ? AbortSignal.any(signals) : undefined;
      try {
        const init: RequestInit & { duplex?: string } = { method, headers, body, signal };
        if (body instanceof ReadableStream) init.duplex = "half";
        const answer = await this.fetch(url, init);
        if (answer.status < 400) return answer;
        const error = await apiError(answer);
        if ((answer.status !== 429 && answer.status !== 503) || !repeatable || Date.now() >= deadline) throw error;
        wait = error.retryAfter ?? backoff(tries);
      } catch (e) {
        if (e instanceof ApiError) throw e;
        if (options.signal?.aborted) throw e;
        if (!repeatable || Date.now() >= deadline) {
          throw new ConnectionFailed(`${method} ${url}: ${describe(e)}`, { cause: e });
        }
        wait = backoff(tries);
      }
      await sleep(Math.min(wait, Math.max(0, (deadline - Date.now()) / 1000)), options.signal);
    }
  }

  /** A request whose answer is JSON (or empty): the parsed body. */
  async call<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const answer = await this.request(method, path, options);
    const text = await answer.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

async function apiError(answer: Response): Promise<ApiError> {
  const text = await answer.text().catch(() => "");
  let problem: Problem;
  try {
    const parsed: unknown = text ? JSON.parse(text) : {};
    problem = parsed && typeof parsed === "object" ? (parsed as Problem) : { detail: String(parsed) };
  } catch {
    problem = { detail: text.slice(0, 500) };
  }
  return new ApiError(answer.status, problem, answer.headers);
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    return cause instanceof Error ? `${e.message} (${cause.message})` : e.message;
  }
  return String(e);
}
