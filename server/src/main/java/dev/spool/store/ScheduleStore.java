package dev.spool.store;

import dev.spool.job.Schedule;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Where cron schedules live. Firing is safe on every node: each advance is a compare-and-set. */
public interface ScheduleStore {
    void insert(Schedule schedule);

    Optional<Schedule> get(String tenant, String id);

    /** A tenant's schedules by id, after {@code afterId} (null: from the first), at most {@code limit}. */
    List<Schedule> list(String tenant, String afterId, int limit);

    /** Writes every field but the tenant, the key and the creation time; false when the tenant has no such schedule. */
    boolean update(Schedule schedule);

    boolean delete(String tenant, String id);

    /** Schedules that are not paused and whose next tick is at or before {@code now}, earliest first. */
    List<Schedule> due(Instant now, int limit);

    /**
     * Moves a schedule's next tick from {@code expectedNext} to {@code next}, recording the last
     * tick fired and its job (null: kept). False when another node moved it first (or it was changed).
     */
    boolean advance(String id, Instant expectedNext, Instant next, Instant lastRunAt, String lastJobId, Instant now);
}
