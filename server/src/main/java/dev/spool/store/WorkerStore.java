package dev.spool.store;

import dev.spool.job.JobId;
import dev.spool.job.LogLine;
import dev.spool.job.Worker;
import java.time.Instant;
import java.util.List;

/**
 * The workers seen, and the lines of log that running attempts append: the worker's side of
 * a job that is not its state.
 */
public sealed interface WorkerStore permits JdbcWorkers {
    /** Records that a worker claimed now, asking for at most {@code freeSlots} jobs; creates it on first sight. */
    void workerSeen(String id, String name, String keyId, List<String> types, int freeSlots, Instant now);

    /** Workers seen at or after {@code since}, most recently seen first, each with the jobs it holds. */
    List<Worker> workerList(Instant since);

    /**
     * Appends lines to a job's log, fenced like every worker write: only while the job is running
     * at {@code attempt}. False when that no longer holds.
     */
    boolean jobLogAppend(JobId id, int attempt, List<String> lines, Instant now);

    /** A job's log lines after line {@code afterSeq} (0: from the first), oldest first, at most {@code limit}; empty for another tenant's job. */
    List<LogLine> jobLogs(String tenant, JobId id, long afterSeq, int limit);

    /** A job's log lines from the first. */
    default List<LogLine> jobLogs(String tenant, JobId id, int limit) {
        return jobLogs(tenant, id, 0, limit);
    }
}
