/** Spool's TypeScript SDK: a client for the native API, a worker runtime, and a webhook verifier. */
export { Client, TERMINAL, type ClientOptions, type ListQuery, type Submit } from "./client.js";
export { ApiError, ConnectionFailed, SpoolError, type Problem as ProblemDetails } from "./errors.js";
export { follow, parse, type SpoolEvent } from "./events.js";
export { Transport, backoff, type TransportOptions, type RequestOptions } from "./http.js";
export { InvalidSignature, WebhookVerifier } from "./webhooks.js";
export { Cancelled, Failure, JobContext, Worker, type Handler, type WorkerOptions } from "./worker.js";
export type * from "./types.js";
