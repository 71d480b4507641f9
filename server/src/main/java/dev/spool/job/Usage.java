package dev.spool.job;

import java.time.LocalDate;
import java.util.Set;

/**
 * A tenant's usage as jobs ended: jobs by outcome, run time, units and cost (in millionths of its
 * currency), summed by the groupings a report asks for.
 */
public final class Usage {
    private Usage() {}

    /** What usage can be grouped by; {@link #wireName} is the column and the {@code group_by} value. */
    public enum Group {
        TENANT("tenant"), DAY("day"), TYPE("type"), QUEUE("queue"), KEY("key");

        private final String wireName;

        Group(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }
    }

    /**
     * Usage of the days {@code from} to {@code to} (both included, UTC), of {@code tenant} (null:
     * every tenant), summed by {@code groups} and currency.
     */
    public record Query(String tenant, LocalDate from, LocalDate to, Set<Group> groups) {
        public Query {
            groups = Set.copyOf(groups);
        }
    }

    /** One sum; a grouping the query left out is null. */
    public record Row(String tenant, String day, String type, String queue, String keyId, String currency,
                      long succeeded, long failed, long cancelled, long runMs, long units, long costMicros) {}

    /** What a tenant holds now against its quotas: queued and running jobs, and the bytes of its jobs' files. */
    public record Held(long queued, long running, long fileBytes) {}
}
