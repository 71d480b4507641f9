package dev.spool.webhook;

import dev.spool.job.Job;
import dev.spool.job.WebhookEvent;
import java.time.Instant;

/**
 * A job event that someone may receive as a webhook, waiting in the outbox to be expanded into
 * deliveries.
 *
 * @param job the job as the event left it
 */
public record OutboxEvent(long seq, WebhookEvent type, Instant at, Job job) {}
