package dev.spool.job;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * The end of an attempt as the engine decided it, for the store to apply fenced by attempt. Built
 * only through the factories, which keep each kind of ending to the fields it sets.
 *
 * @param to             the next status: a terminal one, or QUEUED to run again
 * @param runAt          with QUEUED, when the job may run again
 * @param freeAttempt    with QUEUED, whether the ended attempt is not counted (snooze, give back)
 * @param onlyIfExpired  apply only if, at write time, the lease is still expired or the attempt is past
 *                       its timeout (the rescuer's guard)
 * @param event          the history entry to record with it
 */
public record Transition(
        JobStatus to,
        Instant runAt,
        JsonNode result,
        JobError error,
        long units,
        boolean freeAttempt,
        boolean onlyIfExpired,
        String event) {

    public Transition {
        if (!JobStatus.RUNNING.canMoveTo(to)) {
            throw new IllegalArgumentException("an attempt cannot end in " + to);
        }
    }

    public static Transition succeed(JsonNode result, long units) {
        return new Transition(JobStatus.SUCCEEDED, null, result, null, units, false, false, "succeeded");
    }

    public static Transition fail(JobError error) {
        return new Transition(JobStatus.FAILED, null, null, error, 0, false, false, "failed");
    }

    public static Transition cancel(String reason) {
        JobError why = new JobError("cancelled", reason, false);
        return new Transition(JobStatus.CANCELLED, null, null, why, 0, false, false, "cancelled");
    }

    public static Transition retry(JobError error, Instant runAt) {
        return new Transition(JobStatus.QUEUED, runAt, null, error, 0, false, false, "retry_scheduled");
    }

    public static Transition requeue(Instant runAt, String event) {
        return new Transition(JobStatus.QUEUED, runAt, null, null, 0, true, false, event);
    }

    /** The same ending, applied only while the lease is still expired. */
    public Transition ifLeaseExpired() {
        return new Transition(to, runAt, result, error, units, freeAttempt, true, event);
    }
}
