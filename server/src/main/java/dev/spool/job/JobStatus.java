package dev.spool.job;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A job's status, and the one table of which moves are allowed. Every write that changes a status
 * is checked against {@link #canMoveTo}; docs/state-machine.md draws the same table.
 */
public enum JobStatus {
    /** Waiting to be claimed; includes jobs waiting for their {@code run_at} (scheduled or backing off). */
    QUEUED,
    /** Claimed by an executor and holding a lease renewed by heartbeats. */
    RUNNING,
    SUCCEEDED,
    FAILED,
    CANCELLED;

    private static final Map<JobStatus, Set<JobStatus>> MOVES = new EnumMap<>(JobStatus.class);

    static {
        // queued -> running: claimed.            queued -> cancelled: cancelled before it started.
        MOVES.put(QUEUED, EnumSet.of(RUNNING, CANCELLED));
        // running -> queued: retry after a failure, lease rescued, snoozed, or given back at shutdown.
        MOVES.put(RUNNING, EnumSet.of(SUCCEEDED, FAILED, CANCELLED, QUEUED));
        MOVES.put(SUCCEEDED, EnumSet.noneOf(JobStatus.class));
        // failed|cancelled -> queued: a manual retry.
        MOVES.put(FAILED, EnumSet.of(QUEUED));
        MOVES.put(CANCELLED, EnumSet.of(QUEUED));
    }

    public boolean canMoveTo(JobStatus next) {
        return MOVES.get(this).contains(next);
    }

    public boolean isTerminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<JobStatus> fromWire(String text) {
        for (JobStatus s : values()) {
            if (s.wireName().equals(text)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }
}
