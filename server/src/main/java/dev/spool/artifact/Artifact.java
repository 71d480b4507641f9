package dev.spool.artifact;

import dev.spool.job.JobId;
import java.time.Instant;
import java.util.Locale;

/**
 * A file that goes with a job: an {@code input} uploaded with it, or an {@code output} its executor
 * uploaded. The bytes are in the artifact store under {@code sha256}; this names and describes them.
 */
public record Artifact(JobId jobId, Kind kind, String name, int attempt, String contentType, long size, String sha256,
                       Instant createdAt) {
    public enum Kind {
        INPUT, OUTPUT;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
