/**
 * Webhooks: tenants' endpoints and their secrets ({@link dev.spool.webhook.Webhooks}), signing per
 * the Standard Webhooks specification ({@link dev.spool.webhook.Signer}), and the {@link
 * dev.spool.webhook.Dispatcher} that sends the outbox the store writes with every job event.
 * Imports {@code job}, {@code store} and {@code net}.
 */
package dev.spool.webhook;
