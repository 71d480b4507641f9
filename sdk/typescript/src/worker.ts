import { Client } from "./client.js";
import { ApiError, ConnectionFailed } from "./errors.js";
import { backoff, sleep, type Transport } from "./http.js";
import type * as T from "./types.js";
import { hostname } from "node:os";

/** Throw it from a handler to fail the attempt with a code of your own; `retryable: false` ends the job. */
export class Failure extends Error {
  override name = "Failure";
  constructor(readonly code: string, message: string, readonly retryable = true) {
    super(message);
  }
}

/** Thrown by {@link JobContext.check} once the client asked to cancel the job, or it was lost. */
export class Cancelled extends Error {
  override name = "Cancelled";
}

type Report = { outcome: "succeeded"; result: unknown } | { outcome: "failed"; error: { code: string; message: string }; retryable: boolean };

/** A claimed job as its handler sees it. */
export class JobContext {
  readonly id: string;
  readonly type: string;
  readonly attempt: number;
  readonly input: Record<string, unknown>;
  readonly metadata: Record<string, string>;
  /** The files uploaded with the job, each with a signed `url`. */
  readonly inputs: T.ClaimedJob["inputs"];
  /** Aborted when the client asks to cancel, or the attempt is no longer ours: pass it on to your work. */
  readonly signal: AbortSignal;
  cancelRequested = false;
  lost = false;
  /** @internal */ progressSent: { fraction?: number; message?: string } | undefined;
  /** @internal */ progressBeaten: { fraction?: number; message?: string } | undefined;
  /** @internal */ lastBeat = Date.now();
  /** @internal */ nextBeat: number;
  /** @internal */ readonly interval: number;
  private readonly controller = new AbortController();

  constructor(private readonly worker: Worker, readonly job: T.ClaimedJob) {
    this.id = job.id;
    this.type = job.type;
    this.attempt = job.attempt;
    this.input = job.input as Record<string, unknown>;
    this.metadata = job.metadata ?? {};
    this.inputs = job.inputs ?? [];
    this.signal = this.controller.signal;
    this.interval = Math.max(200, job.heartbeat_interval_ms / 2);
    this.nextBeat = Date.now() + this.interval;
  }

  /** True once the work should stop: a cancel was asked for, or the attempt was lost. */
  get cancelled(): boolean {
    return this.cancelRequested || this.lost;
  }

  /** Throws {@link Cancelled} when the work should stop. */
  check(): void {
    if (this.cancelled) throw new Cancelled(`job ${this.id}: ${this.cancelRequested ? "cancel requested" : "lost"}`);
  }

  /** Progress (0 to 1, and/or a message), sent within about a second, with a heartbeat. */
  progress(fraction?: number, message?: string): void {
    this.progressSent = { fraction, message };
  }

  /** Appends lines to the job's log. */
  async log(...lines: string[]): Promise<void> {
    await this.worker.post(`/v1/worker/jobs/${encodeURIComponent(this.id)}/logs`, { attempt: this.attempt, lines });
  }

  /** Uploads an output file of the job (a Blob is streamed). */
  upload(name: string, data: Blob | Uint8Array | string, contentType = "application/octet-stream"): Promise<unknown> {
    const body = data instanceof Blob ? data : new Blob([data as BlobPart]);
    return this.worker.http.call("PUT", `/v1/worker/jobs/${encodeURIComponent(this.id)}/artifacts/${encodeURIComponent(name)}`, {
      query: { attempt: this.attempt }, body, headers: { "Content-Type": contentType }, timeoutMs: 0,
      retryFor: this.worker.reportFor,
    });
  }

  /** @internal */
  stop(lost: boolean): void {
    if (lost) this.lost = true;
    else this.cancelRequested = true;
    this.controller.abort(new Cancelled(lost ? "lost" : "cancel requested"));
  }
}

export type Handler = (job: JobContext) => unknown | Promise<unknown>;

export interface WorkerOptions {
  /** Jobs run at once (4). */
  concurrency?: number;
  workerId?: string;
  name?: string;
  /** Seconds a claim waits for work (5); a stop waits for the claim in flight. */
  waitSeconds?: number;
  /** Milliseconds running jobs get to finish on stop before they are released (30,000). */
  graceMs?: number;
  /** Seconds a finished job's report is retried while Spool cannot be reached (120). */
  reportFor?: number;
}

/**
 * Runs handlers for job types.
 *
 * ```ts
 * const worker = new Worker(new Client(url, { apiKey: workerKey }), { concurrency: 8 });
 * worker.handle("shout", async (job) => ({ text: String(job.input.text).toUpperCase() }));
 * await worker.run();   // until SIGTERM / SIGINT, or worker.stop()
 * ```
 *
 * It claims as many jobs as it has free slots, sends every due heartbeat in one call (with
 * progress), aborts `job.signal` on a cancel, and reports each outcome, retrying while Spool
 * restarts. On stop it claims nothing more, lets running jobs finish for `graceMs`, and releases
 * the rest (queued again at once, the attempt not counted).
 */
export class Worker {
  readonly http: Transport;
  readonly concurrency: number;
  readonly workerId: string;
  readonly name: string;
  readonly waitSeconds: number;
  readonly graceMs: number;
  readonly reportFor: number;
  private readonly handlers = new Map<string, Handler>();
  private readonly running = new Map<string, JobContext>();
  private readonly stopping = new AbortController();
  private slotFreed: (() => void) | undefined;

  constructor(client: Client = new Client(), options: WorkerOptions = {}) {
    this.http = client.http;
    this.concurrency = options.concurrency ?? 4;
    if (this.concurrency < 1) throw new RangeError("concurrency must be at least 1");
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}`;
    this.name = options.name ?? "typescript";
    this.waitSeconds = options.waitSeconds ?? 5;
    this.graceMs = options.graceMs ?? 30_000;
    this.reportFor = options.reportFor ?? 120;
  }

  /** The function that runs jobs of `type`. */
  handle(type: string, handler: Handler): this {
    this.handlers.set(type, handler);
    return this;
  }

  /** Asks {@link run} to stop (what SIGTERM and SIGINT do). */
  stop(): void {
    this.stopping.abort();
    this.slotFreed?.();
  }

  /** Claims and runs jobs until {@link stop} (or SIGTERM / SIGINT), then shuts down gracefully. */
  async run(options: { signals?: boolean } = {}): Promise<void> {
    if (!this.handlers.size) throw new Error("no handlers: register one with worker.handle(type, fn)");
    const onSignal = () => this.stop();
    if (options.signals !== false) {
      process.on("SIGTERM", onSignal);
      process.on("SIGINT", onSignal);
    }
    let beating = false;
    const beats = setInterval(() => {
      if (beating) return;
      beating = true;
      this.heartbeats().finally(() => (beating = false));
    }, 200);
    try {
      await this.claims();
      await this.shutdown();
    } finally {
      clearInterval(beats);
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
    }
  }

  private async claims(): Promise<void> {
    let tries = 0;
    while (!this.stopping.signal.aborted) {
      const free = this.concurrency - this.running.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.slotFreed = resolve));
        continue;
      }
      let jobs: T.ClaimedJob[];
      try {
        const answer = await this.http.call<{ jobs: T.ClaimedJob[] }>("POST", "/v1/worker/claim", {
          json: { worker_id: this.workerId, name: this.name, types: [...this.handlers.keys()].sort(), max: free, wait_seconds: this.waitSeconds },
          timeoutMs: (this.waitSeconds + 30) * 1000, retryFor: 0,
        });
        jobs = answer.jobs;
        tries = 0;
      } catch (e) {
        if (!(e instanceof ApiError || e instanceof ConnectionFailed)) throw e;
        const pause = e instanceof ApiError && e.retryAfter !== undefined ? e.retryAfter : backoff(++tries, 0.5, 5);
        console.warn(`spool worker: claim failed (${e.message}); again in ${pause.toFixed(1)} s`);
        await sleep(pause, this.stopping.signal);
        continue;
      }
      for (const job of jobs) {
        const context = new JobContext(this, job);
        if (this.stopping.signal.aborted) {
          await this.release(context);
          continue;
        }
        this.running.set(context.id, context);
        void this.execute(context);
      }
    }
  }

  private async execute(job: JobContext): Promise<void> {
    try {
      const handler = this.handlers.get(job.type)!;
      let report: Report;
      try {
        const result = await handler(job);
        report = job.cancelRequested
          ? { outcome: "failed", error: { code: "cancelled", message: "stopped on request" }, retryable: false }
          : { outcome: "succeeded", result: result ?? null };
      } catch (e) {
        if (e instanceof Failure) report = { outcome: "failed", error: { code: e.code, message: e.message }, retryable: e.retryable };
        else if (e instanceof Cancelled || job.cancelRequested) report = { outcome: "failed", error: { code: "cancelled", message: "stopped on request" }, retryable: false };
        else report = { outcome: "failed", error: { code: e instanceof Error ? e.name : "Error", message: String(e instanceof Error ? e.message : e).slice(0, 1000) }, retryable: true };
      }
      if (!job.lost) await this.post("/v1/worker/reports", { reports: [{ id: job.id, attempt: job.attempt, ...report }] });
    } catch (e) {
      console.warn(`spool worker: job ${job.id}: the report could not be sent: ${(e as Error).message}`);
    } finally {
      this.running.delete(job.id);
      this.slotFreed?.();
    }
  }

  /** Every due heartbeat of the jobs in hand, in one call. */
  private async heartbeats(): Promise<void> {
    const now = Date.now();
    // Due: the lease wants renewing, or there is new progress and a second has passed.
    const due = [...this.running.values()].filter((j) => !j.lost
      && (j.nextBeat <= now || (j.progressSent !== j.progressBeaten && j.lastBeat + 1000 <= now)));
    if (!due.length) return;
    const beats = due.map((j) => ({ id: j.id, attempt: j.attempt, ...(j.progressSent ? { progress: j.progressSent } : {}) }));
    try {
      const answer = await this.http.call<{ results: Array<{ error?: unknown; cancel_requested?: boolean }> }>(
        "POST", "/v1/worker/heartbeats", { json: { heartbeats: beats }, retryFor: 0 });
      answer.results.forEach((result, i) => {
        const job = due[i]!;
        job.lastBeat = Date.now();
        job.nextBeat = job.lastBeat + job.interval;
        job.progressBeaten = beats[i]!.progress ?? job.progressBeaten;
        if (result.error) job.stop(true); // rescued, cancelled and retried, or deleted: no longer ours
        else if (result.cancel_requested && !job.cancelRequested) job.stop(false);
      });
    } catch (e) {
      console.warn(`spool worker: heartbeat failed (${(e as Error).message}); trying again`);
    }
  }

  private async release(job: JobContext): Promise<void> {
    await this.post("/v1/worker/reports", { reports: [{ id: job.id, attempt: job.attempt, outcome: "released" }] }, 10)
      .catch(() => undefined);
  }

  /** @internal A worker call, retried by the transport while Spool cannot be reached; a stale attempt (409) or a gone job (404) is dropped. */
  async post(path: string, body: unknown, retryFor = this.reportFor): Promise<unknown> {
    try {
      return await this.http.call("POST", path, { json: body, retryFor });
    } catch (e) {
      if (e instanceof ApiError && (e.status === 409 || e.status === 404)) return undefined;
      throw e;
    }
  }

  private async shutdown(): Promise<void> {
    const deadline = Date.now() + this.graceMs;
    while (this.running.size && Date.now() < deadline) await sleep(0.05);
    for (const job of [...this.running.values()]) {
      job.stop(true); // its handler's report, if it ever comes, is not sent
      await this.release(job);
    }
  }
}
