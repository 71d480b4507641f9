package dev.spool.job;

import java.time.Instant;
import java.util.Map;
import java.util.Set;

/**
 * A filtered page of one tenant's jobs, newest first. {@code before} is the keyset cursor: only jobs
 * with a smaller id (made earlier) are returned. Empty sets and null fields do not filter.
 */
public record JobQuery(
        String tenant,
        Set<JobStatus> statuses,
        String type,
        String queue,
        String batchId,
        Instant createdAfter,
        Instant createdBefore,
        Map<String, String> metadata,
        JobId before,
        int limit) {

    public static final int DEFAULT_LIMIT = 50;
    public static final int MAX_LIMIT = 1000;

    /** The same filters, from {@code before} (null: the newest), at most {@code limit}. */
    public JobQuery page(JobId before, int limit) {
        return new JobQuery(tenant, statuses, type, queue, batchId, createdAfter, createdBefore, metadata, before, limit);
    }

    public JobQuery {
        statuses = Set.copyOf(statuses == null ? Set.of() : statuses);
        metadata = Map.copyOf(metadata == null ? Map.of() : metadata);
        if (limit < 1 || limit > MAX_LIMIT) {
            throw SpoolException.invalid("limit must be between 1 and " + MAX_LIMIT);
        }
    }
}
