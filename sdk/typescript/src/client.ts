import { ConnectionFailed } from "./errors.js";
import { follow, type SpoolEvent } from "./events.js";
import { Transport, type TransportOptions } from "./http.js";
import type * as T from "./types.js";

export const TERMINAL: readonly string[] = ["succeeded", "failed", "cancelled"];

export interface ClientOptions extends TransportOptions {
  /** With an admin key: act for this tenant (the `Spool-Tenant` header). */
  tenant?: string;
}

/** A submit: what `POST /v1/jobs` takes, `files` streamed as input files, and the idempotency key. */
export type Submit = Omit<T.SubmitRequest, "type" | "input"> & {
  /** Files sent with the job (multipart): a Blob (`await fs.openAsBlob(path)` streams one from disk), bytes or text. */
  files?: Record<string, Blob | Uint8Array | string>;
  /** The `Idempotency-Key`: a fresh UUID per call by default, kept across its retries; `null` sends none. */
  idempotencyKey?: string | null;
};

export interface ListQuery {
  status?: T.JobStatus | T.JobStatus[];
  type?: string;
  queue?: string;
  batch_id?: string;
  created_after?: string;
  created_before?: string;
  metadata?: Record<string, string>;
  limit?: number;
  cursor?: string;
}

const seg = encodeURIComponent;

function keyHeader(key: string | null | undefined): Record<string, string> {
  if (key === null) return {};
  return { "Idempotency-Key": key ?? crypto.randomUUID() };
}

/**
 * A client of one Spool server, on `fetch`.
 *
 * ```ts
 * const spool = new Client("http://127.0.0.1:8080", { apiKey: "spool_..." });
 * const job = await spool.submit("text.stats", { text: "hello" });
 * const done = await spool.wait(job.id);
 * ```
 *
 * Connection errors, 429 and 503 are retried with backoff honouring `Retry-After` for up to
 * `retryFor` seconds (30; 0 turns it off). Errors are {@link ApiError}s carrying the problem details.
 */
export class Client {
  readonly http: Transport;

  constructor(baseUrl: string = process.env.SPOOL_URL ?? "http://127.0.0.1:8080", options: ClientOptions = {}) {
    const headers = { ...options.headers, ...(options.tenant ? { "Spool-Tenant": options.tenant } : {}) };
    this.http = new Transport(baseUrl, { apiKey: process.env.SPOOL_API_KEY, ...options, headers });
  }

  // ---------------------------------------------------------------- jobs

  /** Submits a job; with `files`, as multipart, each file an input file of the job. */
  async submit(type: string, input: Record<string, unknown>, options: Submit = {}): Promise<T.Job> {
    const { files, idempotencyKey, ...rest } = options;
    const job = { type, input, ...rest };
    const headers = keyHeader(idempotencyKey);
    if (files && Object.keys(files).length) {
      const form = new FormData();
      form.append("job", JSON.stringify(job)); // a field, not a file
      for (const [name, file] of Object.entries(files)) {
        const blob = file instanceof Blob ? file : new Blob([file as BlobPart]);
        form.append(name, blob, name);
      }
      return this.http.call("POST", "/v1/jobs", { body: form, headers, timeoutMs: 0 });
    }
    return this.http.call("POST", "/v1/jobs", { json: job, headers });
  }

  /** The job; with `wait` (seconds, at most 60), once it changes or ends. */
  get(id: string, wait?: number): Promise<T.Job> {
    const headers: Record<string, string> = wait ? { Prefer: `wait=${wait}` } : {};
    return this.http.call("GET", `/v1/jobs/${seg(id)}`, { headers, timeoutMs: (wait ?? 0) * 1000 + this.http.timeoutMs });
  }

  /** One page of jobs, newest first. */
  list(query: ListQuery = {}): Promise<T.JobPage> {
    return this.http.call("GET", "/v1/jobs", { query: { ...query } });
  }

  /** Every job that matches, page after page. */
  async *jobs(query: ListQuery = {}): AsyncGenerator<T.Job> {
    let cursor = query.cursor;
    for (;;) {
      const page = await this.list({ ...query, cursor });
      yield* page.data;
      if (!page.has_more || !page.next_cursor) return;
      cursor = page.next_cursor;
    }
  }

  cancel(id: string): Promise<T.Job> {
    return this.http.call("POST", `/v1/jobs/${seg(id)}/cancel`);
  }

  retry(id: string): Promise<T.Job> {
    return this.http.call("POST", `/v1/jobs/${seg(id)}/retry`);
  }

  async delete(id: string): Promise<void> {
    await this.http.call("DELETE", `/v1/jobs/${seg(id)}`);
  }

  result<R = unknown>(id: string): Promise<R> {
    return this.http.call("GET", `/v1/jobs/${seg(id)}/result`);
  }

  async history(id: string): Promise<T.JobEvent[]> {
    return (await this.http.call<{ data: T.JobEvent[] }>("GET", `/v1/jobs/${seg(id)}/events`)).data;
  }

  /**
   * The job's events (its history, then live until it ends), resumed after a dropped connection.
   * `for await (const e of spool.events(id)) ...`
   */
  events(id: string, options: { lastEventId?: string; signal?: AbortSignal } = {}): AsyncGenerator<SpoolEvent<T.JobEvent>> {
    return follow<T.JobEvent>(this.http, `/v1/jobs/${seg(id)}/events`, {}, {
      ...options, until: (e) => TERMINAL.includes(e.event),
    });
  }

  /** The tenant's events, live (filters: type, queue, batch_id, job_id, kind); ends when `signal` aborts. */
  tenantEvents(filters: { type?: string; queue?: string; batch_id?: string; job_id?: string; kind?: string } = {},
    options: { lastEventId?: string; signal?: AbortSignal } = {}): AsyncGenerator<SpoolEvent<T.JobEvent>> {
    return follow<T.JobEvent>(this.http, "/v1/events", { ...filters }, options);
  }

  /** Follows the job's events until it ends, then returns it. Rejects with a TimeoutError after `timeoutMs`. */
  async wait(id: string, timeoutMs?: number): Promise<T.Job> {
    let job = await this.get(id);
    if (TERMINAL.includes(job.status)) return job;
    const signal = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
    for await (const _ of this.events(id, { signal })) {
      // until the job's terminal event
    }
    job = await this.get(id);
    if (!TERMINAL.includes(job.status)) {
      throw new DOMException(`job ${id} is still ${job.status} after ${timeoutMs} ms`, "TimeoutError");
    }
    return job;
  }

  deliveries(id: string): Promise<T.DeliveryPage> {
    return this.http.call("GET", `/v1/jobs/${seg(id)}/deliveries`);
  }

  // ---------------------------------------------------------------- logs and files

  async logs(id: string): Promise<T.LogLine[]> {
    return (await this.http.call<{ data: T.LogLine[] }>("GET", `/v1/jobs/${seg(id)}/logs`)).data;
  }

  /** The job's log lines, then each new one, until the job has ended. */
  async *followLogs(id: string, signal?: AbortSignal): AsyncGenerator<T.LogLine> {
    for await (const e of follow<T.LogLine>(this.http, `/v1/jobs/${seg(id)}/logs`, {}, { until: (e) => e.event === "end", signal })) {
      if (e.event === "log") yield e.data;
    }
  }

  async artifacts(id: string): Promise<T.ArtifactInfo[]> {
    return (await this.http.call<{ data: T.ArtifactInfo[] }>("GET", `/v1/jobs/${seg(id)}/artifacts`)).data;
  }

  /** A file of the job as a streamed `Response` (`.body` is a ReadableStream); `range` like `bytes=0-99`. */
  download(id: string, name: string, range?: string): Promise<Response> {
    const headers: Record<string, string> = { Accept: "*/*" };
    if (range) headers.Range = range;
    return this.http.request("GET", `/v1/jobs/${seg(id)}/artifacts/${seg(name)}`, { headers, timeoutMs: 0 });
  }

  /** Every file of the job as one zip, streamed (`GET /v1/jobs/{id}/artifacts.zip`). */
  downloadZip(id: string): Promise<Response> {
    return this.http.request("GET", `/v1/jobs/${seg(id)}/artifacts.zip`, { headers: { Accept: "*/*" }, timeoutMs: 0 });
  }

  /**
   * Streams a file of the job into `sink` (each chunk in order) and returns its SHA-256 (hex),
   * checked against the one Spool sent.
   */
  async downloadTo(id: string, name: string, sink: (chunk: Uint8Array) => unknown | Promise<unknown>): Promise<string> {
    const { createHash } = await import("node:crypto");
    const hash = createHash("sha256");
    const answer = await this.download(id, name);
    for await (const chunk of answer.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      await sink(chunk);
    }
    const digest = hash.digest("hex");
    const etag = (answer.headers.get("etag") ?? "").replaceAll('"', "");
    if (etag.length === 64 && etag !== digest) throw new ConnectionFailed(`the download of ${name} was damaged (SHA-256 differs)`);
    return digest;
  }

  // ---------------------------------------------------------------- batches and bulk actions

  /** Up to 1,000 submits at once: all stored, or none. An idempotency key by default. */
  submitBatch(jobs: T.SubmitRequest[], idempotencyKey?: string | null): Promise<T.Batch> {
    return this.http.call("POST", "/v1/batches", { json: { jobs }, headers: keyHeader(idempotencyKey) });
  }

  batch(id: string): Promise<T.Batch> {
    return this.http.call("GET", `/v1/batches/${seg(id)}`);
  }

  cancelBatch(id: string): Promise<T.BulkResult> {
    return this.http.call("POST", `/v1/batches/${seg(id)}/cancel`);
  }

  /** `action` on every job that matches the filter (`dry_run: true` only counts). */
  bulk(action: "cancel" | "retry" | "delete", filter: T.BulkFilter, idempotencyKey?: string | null): Promise<T.BulkResult> {
    return this.http.call("POST", `/v1/jobs/${action}`, { json: filter, headers: keyHeader(idempotencyKey) });
  }

  // ---------------------------------------------------------------- webhooks

  /** An endpoint for every job of the tenant; the answer's `secret` is shown only here. */
  createWebhook(url: string, options: { events?: T.WebhookEventName[]; description?: string } = {}): Promise<T.WebhookEndpoint> {
    return this.http.call("POST", "/v1/webhooks", { json: { url, ...options } });
  }

  async webhooks(): Promise<T.WebhookEndpoint[]> {
    return (await this.http.call<{ data: T.WebhookEndpoint[] }>("GET", "/v1/webhooks")).data;
  }

  webhook(id: string): Promise<T.WebhookEndpoint> {
    return this.http.call("GET", `/v1/webhooks/${seg(id)}`);
  }

  updateWebhook(id: string, changes: { url?: string; events?: T.WebhookEventName[]; description?: string; enabled?: boolean }): Promise<T.WebhookEndpoint> {
    return this.http.call("PATCH", `/v1/webhooks/${seg(id)}`, { json: changes });
  }

  async deleteWebhook(id: string): Promise<void> {
    await this.http.call("DELETE", `/v1/webhooks/${seg(id)}`);
  }

  /** The signing secret of an endpoint, or of `default` (the one job webhooks are signed with). */
  webhookSecret(id = "default"): Promise<T.Secret> {
    return this.http.call("GET", `/v1/webhooks/${seg(id)}/secret`);
  }

  rotateWebhookSecret(id = "default", keepPreviousSeconds?: number): Promise<T.Secret> {
    return this.http.call("POST", `/v1/webhooks/${seg(id)}/rotate-secret`, {
      json: keepPreviousSeconds === undefined ? {} : { keep_previous_seconds: keepPreviousSeconds },
    });
  }

  webhookDeliveries(id: string, query: { cursor?: string; limit?: number } = {}): Promise<T.DeliveryPage> {
    return this.http.call("GET", `/v1/webhooks/${seg(id)}/deliveries`, { query });
  }

  delivery(id: string): Promise<T.Delivery> {
    return this.http.call("GET", `/v1/deliveries/${seg(id)}`);
  }

  replayDelivery(id: string): Promise<T.Delivery> {
    return this.http.call("POST", `/v1/deliveries/${seg(id)}/replay`);
  }

  // ---------------------------------------------------------------- keys (admin)

  /** A new key; the answer's `key` is the secret, shown only here. */
  createKey(name: string, options: { tenant?: string; role?: "tenant" | "admin" | "worker" } = {}): Promise<T.ApiKey> {
    return this.http.call("POST", "/v1/keys", { json: { name, ...options } });
  }

  async keys(): Promise<T.ApiKey[]> {
    return (await this.http.call<{ data: T.ApiKey[] }>("GET", "/v1/keys")).data;
  }

  async revokeKey(id: string): Promise<void> {
    await this.http.call("DELETE", `/v1/keys/${seg(id)}`);
  }

  // ---------------------------------------------------------------- usage and limits

  usage(query: { from?: string; to?: string; group_by?: string | string[]; tenant_id?: string } = {}): Promise<T.Usage> {
    return this.http.call("GET", "/v1/usage", { query: { ...query } });
  }

  async usageCsv(query: { from?: string; to?: string; group_by?: string | string[]; tenant_id?: string } = {}): Promise<string> {
    return (await this.http.request("GET", "/v1/usage", { query: { ...query }, headers: { Accept: "text/csv" } })).text();
  }

  limits(tenantId?: string): Promise<T.OwnLimits> {
    return this.http.call("GET", "/v1/limits", { query: { tenant_id: tenantId } });
  }

  tenantLimits(tenantId: string): Promise<T.TenantLimits> {
    return this.http.call("GET", `/v1/tenants/${seg(tenantId)}/limits`);
  }

  setTenantLimits(tenantId: string, limits: Partial<T.Limits>): Promise<T.TenantLimits> {
    return this.http.call("PUT", `/v1/tenants/${seg(tenantId)}/limits`, { json: limits });
  }

  async deleteTenantLimits(tenantId: string): Promise<void> {
    await this.http.call("DELETE", `/v1/tenants/${seg(tenantId)}/limits`);
  }

  // ---------------------------------------------------------------- operating

  async queues(): Promise<T.Queue[]> {
    return (await this.http.call<{ data: T.Queue[] }>("GET", "/v1/queues")).data;
  }

  pauseQueue(name: string): Promise<T.Queue> {
    return this.http.call("POST", `/v1/queues/${seg(name)}/pause`);
  }

  resumeQueue(name: string): Promise<T.Queue> {
    return this.http.call("POST", `/v1/queues/${seg(name)}/resume`);
  }

  createSchedule(schedule: T.ScheduleRequest): Promise<T.Schedule> {
    return this.http.call("POST", "/v1/schedules", { json: schedule });
  }

  async schedules(): Promise<T.Schedule[]> {
    return (await this.http.call<{ data: T.Schedule[] }>("GET", "/v1/schedules")).data;
  }

  schedule(id: string): Promise<T.Schedule> {
    return this.http.call("GET", `/v1/schedules/${seg(id)}`);
  }

  updateSchedule(id: string, changes: T.ScheduleChange): Promise<T.Schedule> {
    return this.http.call("PATCH", `/v1/schedules/${seg(id)}`, { json: changes });
  }

  pauseSchedule(id: string): Promise<T.Schedule> {
    return this.http.call("POST", `/v1/schedules/${seg(id)}/pause`);
  }

  resumeSchedule(id: string): Promise<T.Schedule> {
    return this.http.call("POST", `/v1/schedules/${seg(id)}/resume`);
  }

  async deleteSchedule(id: string): Promise<void> {
    await this.http.call("DELETE", `/v1/schedules/${seg(id)}`);
  }

  async types(): Promise<T.JobType[]> {
    return (await this.http.call<{ data: T.JobType[] }>("GET", "/v1/types")).data;
  }

  async workers(): Promise<T.Worker[]> {
    return (await this.http.call<{ data: T.Worker[] }>("GET", "/v1/workers")).data;
  }

  stats(): Promise<T.Stats> {
    return this.http.call("GET", "/v1/stats");
  }

  openapi(): Promise<Record<string, unknown>> {
    return this.http.call("GET", "/openapi.json", { auth: false });
  }
}
