package dev.spool.engine;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Work done inside the server process for a {@code builtin} job type. A handler is called once per
 * attempt on its own virtual thread; it returns the result, or throws: {@link JobFailure} for a
 * failure it understands, anything else for an unexpected one (retried while attempts remain).
 * It should call {@link JobContext#checkpoint()} between steps so that cancel and timeout stop it.
 */
@FunctionalInterface
public interface JobHandler {
    JsonNode run(JobContext context) throws Exception;
}
