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

    /**
     * What bounds a handler's jobs, and so how many of them a node runs at once: {@code IO} waits on
     * something else (a network call, a timer) and runs many at once; {@code CPU} keeps a processor
     * busy and runs about one per core.
     */
    enum Bound { IO, CPU }

    default Bound bound() {
        return Bound.CPU;
    }

    /** {@code handler}, declared bound by waiting rather than by the processor. */
    static JobHandler io(JobHandler handler) {
        return new JobHandler() {
            @Override
            public JsonNode run(JobContext context) throws Exception {
                return handler.run(context);
            }

            @Override
            public Bound bound() {
                return Bound.IO;
            }
        };
    }
}
