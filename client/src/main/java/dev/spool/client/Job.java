package dev.spool.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;

/**
 * A job as the API shows it.
 *
 * @param status          one of {@code queued, running, succeeded, failed, cancelled}
 * @param cancelRequested a running job was asked to stop and has not yet
 * @param progress        the last progress its executor reported, or null
 * @param result          the result once it succeeded, or null
 * @param error           why the last attempt failed, or null
 */
public record Job(
        String id,
        String type,
        String queue,
        int priority,
        String title,
        String status,
        boolean cancelRequested,
        Progress progress,
        JsonNode input,
        Map<String, String> metadata,
        String idempotencyKey,
        String batchId,
        int attempt,
        int maxAttempts,
        Instant runAt,
        int timeoutSeconds,
        JsonNode result,
        Error error,
        Usage usage,
        Owner owner,
        Instant createdAt,
        Instant startedAt,
        Instant endedAt,
        Instant updatedAt,
        Urls urls) {

    /** Whether the job has ended: succeeded, failed or cancelled. */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isDone() {
        return "succeeded".equals(status) || "failed".equals(status) || "cancelled".equals(status);
    }

    /** @param fraction in [0, 1], or null when only a message was reported */
    public record Progress(Double fraction, String message) {}

    public record Error(String code, String message, boolean retryable) {}

    /** @param runMs run time over all attempts; @param cost what it costs at its type's price */
    public record Usage(long runMs, long units, Cost cost) {}

    public record Cost(BigDecimal amount, String currency) {}

    public record Owner(String keyId) {}

    public record Urls(String self, String cancel, String events) {}
}
