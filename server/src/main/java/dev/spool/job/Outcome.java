package dev.spool.job;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;

/** What an executor reports at the end of an attempt. The engine turns it into the job's next status. */
public sealed interface Outcome {
    /** The work is done; {@code units} is an optional count the type's price may charge per unit. */
    record Succeeded(JsonNode result, long units) implements Outcome {}

    /** The attempt failed; a retryable failure is tried again while attempts remain. */
    record Failed(JobError error) implements Outcome {}

    /** The executor stopped because cancellation was requested. */
    record Cancelled(String reason) implements Outcome {}

    /** Not now: back to the queue after {@code delay}, without spending an attempt. */
    record Snoozed(Duration delay) implements Outcome {}
}
