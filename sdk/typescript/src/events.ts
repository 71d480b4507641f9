import { ApiError, ConnectionFailed } from "./errors.js";
import { backoff, sleep, type Query, type Transport } from "./http.js";

/** One server-sent event: its `id`, its name (`event`: a job event's kind, `log`, ...), and its parsed `data`. */
export interface SpoolEvent<T = unknown> {
  id: string | undefined;
  event: string;
  data: T;
}

/** The events of a `text/event-stream` body, by the WHATWG rules (comments and `retry` skipped). */
export async function* parse<T = unknown>(body: ReadableStream<Uint8Array>): AsyncGenerator<SpoolEvent<T>> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = "";
  let id: string | undefined;
  let name = "";
  let data: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + (buffer.startsWith("\r\n", end) ? 2 : 1));
        if (line === "") {
          if (data.length) {
            const text = data.join("\n");
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // not JSON: the text as it came
            }
            yield { id, event: name || "message", data: parsed as T };
          }
          name = "";
          data = [];
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "id") id = value;
        else if (field === "event") name = value;
        else if (field === "data") data.push(value);
      }
    }
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => undefined);
  }
}

export interface FollowOptions {
  lastEventId?: string;
  /** True for the event after which the stream is over (a job's terminal event, say). */
  until?: (event: SpoolEvent) => boolean;
  signal?: AbortSignal;
  /** Seconds to keep reconnecting while Spool cannot be reached (120). */
  reconnectFor?: number;
}

/**
 * Follows a stream across dropped connections, resuming after the last event seen
 * (`Last-Event-ID`). A stream the server ends by itself (a job's, once the job has ended) stops the
 * iteration when its last event satisfies `until`, or when reopening it brings nothing new.
 */
export async function* follow<T = unknown>(
  http: Transport,
  path: string,
  query: Query,
  options: FollowOptions = {},
): AsyncGenerator<SpoolEvent<T>> {
  let lastEventId = options.lastEventId;
  let quietEnds = 0;
  for (let tries = 1; ; tries++) {
    if (options.signal?.aborted) return;
    const headers: Record<string, string> = { Accept: "text/event-stream" };
    if (lastEventId !== undefined) headers["Last-Event-ID"] = lastEventId;
    let got = false;
    try {
      const answer = await http.request("GET", path, {
        query, headers, timeoutMs: 0, retryFor: options.reconnectFor ?? 120, signal: options.signal,
      });
      tries = 0;
      for await (const event of parse<T>(answer.body!)) {
        got = true;
        if (event.id !== undefined) lastEventId = event.id;
        yield event;
        if (options.until?.(event as SpoolEvent)) return;
      }
    } catch (e) {
      if (options.signal?.aborted) return;
      if (e instanceof ApiError && e.status < 500) throw e;
      if (e instanceof ConnectionFailed) throw e;
      // dropped mid-stream: connect again after the last event seen
    }
    if (options.until && !got) {
      if (++quietEnds >= 3) return; // the stream ends at once without news: nothing more to follow
    } else {
      quietEnds = 0;
    }
    await sleep(tries > 1 ? Math.min(backoff(tries), 2) : 0.05, options.signal);
  }
}
