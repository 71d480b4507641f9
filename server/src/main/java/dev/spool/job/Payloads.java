package dev.spool.job;

import java.time.Instant;

/**
 * Renders the body of a webhook for one event of a job, in a format ({@code native}, or a
 * compatibility profile's). Called inside the transaction that records the event, so it must be
 * quick and must not do I/O.
 */
@FunctionalInterface
public interface Payloads {
    String render(String format, Job job, WebhookEvent event, Instant at);
}
