package dev.spool.client;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;

/**
 * A cron schedule: each tick of {@code cron} in {@code timezone} submits {@code job}. {@code overlap}
 * is {@code allow} or {@code skip} (no job while the last is unfinished); {@code missed} is
 * {@code run_once} or {@code skip} (ticks no node ran in time).
 */
public record Schedule(String id, String name, String cron, String timezone, JsonNode job, String overlap, String missed,
                       boolean paused, Instant nextRunAt, List<Instant> nextRuns, Instant lastRunAt, String lastJobId,
                       Instant createdAt, Instant updatedAt) {

    /** A schedule to make, or the fields of one to change (null fields are left as they are). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Request(String name, String cron, String timezone, SubmitRequest job, String overlap, String missed,
                          Boolean paused) {
        public static Request of(String cron, SubmitRequest job) {
            return new Request(null, cron, null, job, null, null, null);
        }

        public static Request change() {
            return new Request(null, null, null, null, null, null, null);
        }

        public Request withName(String name) {
            return new Request(name, cron, timezone, job, overlap, missed, paused);
        }

        public Request withCron(String cron) {
            return new Request(name, cron, timezone, job, overlap, missed, paused);
        }

        public Request withTimezone(String timezone) {
            return new Request(name, cron, timezone, job, overlap, missed, paused);
        }

        public Request withJob(SubmitRequest job) {
            return new Request(name, cron, timezone, job, overlap, missed, paused);
        }

        public Request withOverlap(String overlap) {
            return new Request(name, cron, timezone, job, overlap, missed, paused);
        }

        public Request withMissed(String missed) {
            return new Request(name, cron, timezone, job, overlap, missed, paused);
        }
    }
}
