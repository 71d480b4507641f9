package dev.spool.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.spool.job.ErrorCode;
import dev.spool.job.NewJob;
import dev.spool.job.Price;
import dev.spool.job.SpoolException;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * A declared job type: what runs it and the defaults and limits of its jobs.
 *
 * @param executor    what runs its jobs; {@code builtin} (an in-process handler named {@code handler})
 * @param concurrency most jobs of this type running at once across the whole deployment; 0 is no cap
 * @param inputSchema a JSON Schema (2020-12) the input must satisfy, or null for any object
 */
public record JobType(
        String name,
        String description,
        String executor,
        String handler,
        String queue,
        int maxAttempts,
        int timeoutSeconds,
        int concurrency,
        Price price,
        JsonNode inputSchema,
        JsonSchema compiledSchema) {

    private static final JsonSchemaFactory SCHEMAS = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);

    public JobType {
        Objects.requireNonNull(name, "name");
        if (!NewJob.NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("type name '" + name + "' must be 1 to 64 letters, digits, '_', '.' or '-'");
        }
        if (!NewJob.NAME.matcher(queue).matches()) {
            throw new IllegalArgumentException("type " + name + ": queue '" + queue + "' is not a valid name");
        }
        if (maxAttempts < 1 || maxAttempts > NewJob.MAX_ATTEMPTS) {
            throw new IllegalArgumentException("type " + name + ": max_attempts must be between 1 and 100");
        }
        if (timeoutSeconds < 1 || timeoutSeconds > NewJob.MAX_TIMEOUT_SECONDS) {
            throw new IllegalArgumentException("type " + name + ": timeout_seconds must be between 1 and 604800");
        }
        if (concurrency < 0) {
            throw new IllegalArgumentException("type " + name + ": concurrency cannot be negative");
        }
        if (inputSchema != null && compiledSchema == null) {
            try {
                compiledSchema = SCHEMAS.getSchema(inputSchema);
                compiledSchema.initializeValidators();
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("type " + name + ": input_schema is not a valid JSON Schema: " + e.getMessage(), e);
            }
        }
    }

    /** A type declared with everything but its schema compiled from {@code inputSchema}. */
    public static JobType of(String name, String description, String executor, String handler, String queue,
                             int maxAttempts, int timeoutSeconds, int concurrency, Price price, JsonNode inputSchema) {
        return new JobType(name, description, executor, handler, queue, maxAttempts, timeoutSeconds, concurrency,
                price, inputSchema, null);
    }

    /** Throws {@code INVALID_INPUT} naming every violation when {@code input} fails the type's schema. */
    public void validate(JsonNode input) {
        if (compiledSchema == null) {
            return;
        }
        List<String> problems = compiledSchema.validate(input).stream()
                .sorted(Comparator.comparing(ValidationMessage::getInstanceLocation, Comparator.comparing(Object::toString)))
                .map(ValidationMessage::getMessage)
                .toList();
        if (!problems.isEmpty()) {
            throw new SpoolException(ErrorCode.INVALID_INPUT,
                    "The input does not match the schema of type '" + name + "': " + String.join("; ", problems));
        }
    }
}
