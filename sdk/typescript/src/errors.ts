/** Anything that went wrong talking to Spool. */
export class SpoolError extends Error {
  override name = "SpoolError";
}

/** Spool could not be reached (refused, reset, timed out) and the retries are used up. */
export class ConnectionFailed extends SpoolError {
  override name = "ConnectionFailed";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** An RFC 9457 problem, as Spool sends it. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  [extension: string]: unknown;
}

/**
 * Spool answered with an error. `status`, `code`, `detail`, every field of the problem in
 * `problem`, and the seconds of `Retry-After` (429 and 503) in `retryAfter`.
 */
export class ApiError extends SpoolError {
  override name = "ApiError";
  readonly code: string;
  readonly detail: string;
  readonly retryAfter: number | undefined;

  constructor(
    readonly status: number,
    readonly problem: Problem,
    readonly headers: Headers,
  ) {
    const code = String(problem.code ?? `http_${status}`);
    const detail = String(problem.detail ?? problem.title ?? `HTTP ${status}`);
    super(`${status} ${code}: ${detail}`);
    this.code = code;
    this.detail = detail;
    const after = headers.get("retry-after");
    this.retryAfter = after !== null && /^\d+(\.\d+)?$/.test(after.trim()) ? Number(after) : undefined;
  }

  /** 404: no such object for this tenant (another tenant's answers the same). */
  get notFound(): boolean {
    return this.status === 404;
  }

  /** 409 `stale_attempt`: a worker's attempt is no longer current. */
  get staleAttempt(): boolean {
    return this.code === "stale_attempt";
  }
}
