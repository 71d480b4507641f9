package dev.spool.job;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A job about to be stored, already resolved against its type's defaults. The compact constructor is
 * the one place where the shape of a job is checked; anything that gets past it may be stored.
 *
 * @param requestHash a digest of the submit request, compared when an idempotency key is reused
 * @param runAt       when the job may start; null means at once
 * @param webhook     where to send the job's own events; null for none
 */
public record NewJob(
        String tenant,
        String keyId,
        String type,
        String queue,
        int priority,
        String title,
        JsonNode input,
        Map<String, String> metadata,
        String idempotencyKey,
        String requestHash,
        String batchId,
        int maxAttempts,
        int timeoutSeconds,
        Instant runAt,
        List<InputFile> inputs,
        JobWebhook webhook,
        String traceparent) {

    /** This job, keeping {@code traceparent} (its submit's trace context) with it. */
    public NewJob traced(String traceparent) {
        return new NewJob(tenant, keyId, type, queue, priority, title, input, metadata, idempotencyKey, requestHash, batchId,
                maxAttempts, timeoutSeconds, runAt, inputs, webhook, traceparent);
    }

    public static final int MAX_PRIORITY = 1000;
    public static final int MAX_ATTEMPTS = 100;
    public static final int MAX_TIMEOUT_SECONDS = 7 * 24 * 3600;
    public static final int MAX_METADATA_ENTRIES = 64;
    /** Metadata keys are plain names, which also keeps them safe inside a JSON path in SQL. */
    public static final Pattern METADATA_KEY = Pattern.compile("[A-Za-z0-9_.\\-]{1,64}");
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.\\-]{0,63}");
    public static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[\\x21-\\x7e]{1,255}");

    public NewJob {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(input, "input");
        metadata = Map.copyOf(metadata == null ? Map.of() : metadata);
        inputs = List.copyOf(inputs == null ? List.of() : inputs);
        check(inputs.stream().map(InputFile::name).distinct().count() == inputs.size(), "two input files have the same name");
        check(type != null && NAME.matcher(type).matches(), "type must be a name of 1 to 64 letters, digits, '_', '.' or '-'");
        check(queue != null && NAME.matcher(queue).matches(), "queue must be a name of 1 to 64 letters, digits, '_', '.' or '-'");
        check(Math.abs(priority) <= MAX_PRIORITY, "priority must be between -1000 and 1000");
        check(title == null || title.length() <= 200, "title is longer than 200 characters");
        check(input.isObject(), "input must be a JSON object");
        check(metadata.size() <= MAX_METADATA_ENTRIES, "metadata has more than 64 entries");
        metadata.forEach((k, v) -> {
            check(METADATA_KEY.matcher(k).matches(), "metadata key '" + k + "' must be 1 to 64 letters, digits, '_', '.' or '-'");
            check(v != null && v.length() <= 512, "metadata value for '" + k + "' must be a string of at most 512 characters");
        });
        check(idempotencyKey == null || IDEMPOTENCY_KEY.matcher(idempotencyKey).matches(),
                "Idempotency-Key must be 1 to 255 printable ASCII characters");
        check(maxAttempts >= 1 && maxAttempts <= MAX_ATTEMPTS, "max_attempts must be between 1 and 100");
        check(timeoutSeconds >= 1 && timeoutSeconds <= MAX_TIMEOUT_SECONDS, "timeout_seconds must be between 1 and 604800");
    }

    private static void check(boolean ok, String detail) {
        if (!ok) {
            throw SpoolException.invalid(detail);
        }
    }
}
