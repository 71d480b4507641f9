package dev.spool.engine;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spool.job.InputFile;
import dev.spool.job.JobWebhook;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A submit request as a transport parsed it, before the type's defaults are applied. Null fields
 * take the type's default.
 *
 * @param requestHash a digest of the request that identifies it for idempotency
 */
public record Submission(
        String type,
        JsonNode input,
        String queue,
        Integer priority,
        String title,
        Map<String, String> metadata,
        Integer maxAttempts,
        Integer timeoutSeconds,
        Instant runAt,
        String idempotencyKey,
        String requestHash,
        List<InputFile> inputs,
        JobWebhook webhook) {
    public Submission {
        inputs = List.copyOf(inputs == null ? List.of() : inputs);
    }
}
