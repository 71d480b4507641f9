/**
 * Webhooks: tenants' endpoints and their secrets ({@link dev.spool.webhook.Webhooks}), who receives
 * each job event and in what shape ({@link dev.spool.webhook.Fanout}, which expands the outbox the
 * store writes with every event), signing per the Standard Webhooks specification ({@link
 * dev.spool.webhook.Signer}), and the {@link dev.spool.webhook.Dispatcher} that sends the
 * deliveries. Owns its records and its seam ({@link dev.spool.webhook.WebhookStore}, implemented in
 * {@code store}). Imports {@code job}, {@code artifact} (a job's output files, for bodies that name
 * them), {@code net} and {@code wake}.
 */
package dev.spool.webhook;
