package dev.spool.job;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * A job as stored. {@code attempt} counts every claim and never goes down, so that it can fence the
 * writes of an attempt; {@code attemptOffset} is how many of those claims do not count against
 * {@code maxAttempts} (snoozes, jobs given back at shutdown, claims before a manual retry).
 */
public record Job(
        JobId id,
        String tenant,
        String type,
        String queue,
        int priority,
        String title,
        JobStatus status,
        boolean cancelRequested,
        Progress progress,
        JsonNode input,
        Map<String, String> metadata,
        String idempotencyKey,
        String batchId,
        int attempt,
        int attemptOffset,
        int maxAttempts,
        Instant runAt,
        int timeoutSeconds,
        Instant leaseExpiresAt,
        String workerId,
        JsonNode result,
        JobError error,
        long runMs,
        long units,
        String keyId,
        Instant createdAt,
        Instant startedAt,
        Instant attemptStartedAt,
        Instant endedAt,
        Instant updatedAt,
        JobWebhook webhook,
        String traceparent) {

    /** Attempts this job may still start before a failure becomes final. */
    public int attemptsLeft() {
        return maxAttempts - (attempt - attemptOffset);
    }

    /** Run time over all attempts, counting the current one up to {@code now} while it runs. */
    public long runMsAt(Instant now) {
        if (status == JobStatus.RUNNING && attemptStartedAt != null) {
            return runMs + Math.max(0, Duration.between(attemptStartedAt, now).toMillis());
        }
        return runMs;
    }
}
