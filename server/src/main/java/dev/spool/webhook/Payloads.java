package dev.spool.webhook;

import dev.spool.artifact.Artifact;
import dev.spool.job.Job;
import dev.spool.job.WebhookEvent;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;

/**
 * Renders the body of a webhook for one event of a job, in a format ({@code native}, or a
 * compatibility profile's). Called when the dispatcher expands an outbox event, with the job as
 * the event left it; {@code outputs} reads the job's output files, for the formats that name them.
 */
@FunctionalInterface
public interface Payloads {
    String render(String format, Job job, WebhookEvent event, Instant at, Supplier<List<Artifact>> outputs);
}
