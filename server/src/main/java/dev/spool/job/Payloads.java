package dev.spool.job;

import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;

/**
 * Renders the body of a webhook for one event of a job, in a format ({@code native}, or a
 * compatibility profile's). Called inside the transaction that records the event, so it must be
 * quick and must not do I/O of its own; {@code outputs} reads the job's output files in that
 * transaction, for the formats that name them.
 */
@FunctionalInterface
public interface Payloads {
    String render(String format, Job job, WebhookEvent event, Instant at, Supplier<List<Artifact>> outputs);
}
