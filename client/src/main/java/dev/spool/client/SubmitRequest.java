package dev.spool.client;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Map;

/**
 * A job to submit. Only {@code type} and {@code input} are required; anything left null takes the
 * type's default. Build one with {@link #of} and the {@code with*} methods.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SubmitRequest(String type, JsonNode input, String queue, Integer priority, String title,
                            Map<String, String> metadata, Integer maxAttempts, Integer timeoutSeconds, Instant runAt) {

    public static SubmitRequest of(String type, JsonNode input) {
        return new SubmitRequest(type, input, null, null, null, null, null, null, null);
    }

    public SubmitRequest withQueue(String queue) {
        return new SubmitRequest(type, input, queue, priority, title, metadata, maxAttempts, timeoutSeconds, runAt);
    }

    public SubmitRequest withPriority(int priority) {
        return new SubmitRequest(type, input, queue, priority, title, metadata, maxAttempts, timeoutSeconds, runAt);
    }

    public SubmitRequest withTitle(String title) {
        return new SubmitRequest(type, input, queue, priority, title, metadata, maxAttempts, timeoutSeconds, runAt);
    }

    public SubmitRequest withMetadata(Map<String, String> metadata) {
        return new SubmitRequest(type, input, queue, priority, title, metadata, maxAttempts, timeoutSeconds, runAt);
    }

    public SubmitRequest withMaxAttempts(int maxAttempts) {
        return new SubmitRequest(type, input, queue, priority, title, metadata, maxAttempts, timeoutSeconds, runAt);
    }

    public SubmitRequest withTimeoutSeconds(int timeoutSeconds) {
        return new SubmitRequest(type, input, queue, priority, title, metadata, maxAttempts, timeoutSeconds, runAt);
    }

    /** Runs the job no earlier than {@code runAt}. */
    public SubmitRequest withRunAt(Instant runAt) {
        return new SubmitRequest(type, input, queue, priority, title, metadata, maxAttempts, timeoutSeconds, runAt);
    }
}
