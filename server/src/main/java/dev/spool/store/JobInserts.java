package dev.spool.store;

import static dev.spool.store.JobRows.JOB_COLUMNS;
import static dev.spool.store.JobRows.job;
import static dev.spool.store.JobRows.selectOne;
import static dev.spool.store.JobRows.webhookJson;
import static dev.spool.store.Sql.json;
import static dev.spool.store.Sql.millis;
import static dev.spool.store.Sql.placeholders;
import static dev.spool.store.Sql.prepare;
import static dev.spool.store.Sql.update;

import dev.spool.job.ErrorCode;
import dev.spool.job.Job;
import dev.spool.job.JobId;
import dev.spool.job.JobStatus;
import dev.spool.job.NewJob;
import dev.spool.job.Progress;
import dev.spool.job.SpoolException;
import dev.spool.store.EventRecorder.EventRow;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Submitting: new jobs with their input file records and their {@code submitted} events, and
 * the idempotency keys that make a repeated submit find the job it made the first time.
 */
final class JobInserts {
    private final JdbcStore store;
    private final EventRecorder recorder;

    JobInserts(JdbcStore store, EventRecorder recorder) {
        this.store = store;
        this.recorder = recorder;
    }

    Store.Inserted one(NewJob job, Instant now, Duration keyRetention) {
        return store.write(c -> {
            JobId id = JobId.generate();
            if (job.idempotencyKey() != null && !claimIdempotencyKey(c, job, id, now, keyRetention)) {
                return heldIdempotencyKey(c, job, id, now, keyRetention);
            }
            return insertOne(c, job, id, now);
        });
    }

    /**
     * The key is the lock: whoever inserts its row owns it. On PostgreSQL a second node's insert of
     * the same key waits for the first's transaction to end and then finds the row, so two submits
     * that race on two nodes can never both create a job (looking the key up first could).
     */
    private boolean claimIdempotencyKey(Connection c, NewJob job, JobId id, Instant now, Duration keyRetention)
            throws SQLException {
        return update(c, """
                INSERT INTO idempotency_keys (tenant, idem_key, request_hash, job_id, expires_at)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (tenant, idem_key) DO NOTHING
                """, job.tenant(), job.idempotencyKey(), job.requestHash(), id.value(), now.plus(keyRetention)) == 1;
    }

    /**
     * Someone holds the key: their job when it is alive and the request is the same, a refusal when
     * the request differs. An expired key, or one whose job was deleted, is taken over, and only by
     * one submitter: the take-over names the job it replaces.
     */
    private Store.Inserted heldIdempotencyKey(Connection c, NewJob job, JobId id, Instant now, Duration keyRetention)
            throws SQLException {
        for (int tries = 0; tries < 5; tries++) {
            String heldBy;
            try (PreparedStatement ps = prepare(c, """
                    SELECT request_hash, job_id, expires_at FROM idempotency_keys WHERE tenant = ? AND idem_key = ?
                    """, job.tenant(), job.idempotencyKey());
                 ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) { // pruned in between: claim it afresh
                    if (claimIdempotencyKey(c, job, id, now, keyRetention)) {
                        return insertOne(c, job, id, now);
                    }
                    continue;
                }
                heldBy = rs.getString(2);
                boolean live = rs.getLong(3) > now.toEpochMilli();
                if (live) {
                    if (!rs.getString(1).equals(job.requestHash())) {
                        throw new SpoolException(ErrorCode.IDEMPOTENCY_MISMATCH,
                                "This Idempotency-Key was already used with a different request.");
                    }
                    Optional<Job> existing = selectOne(c, "SELECT " + JOB_COLUMNS + " FROM jobs WHERE id = ? AND tenant = ?",
                            heldBy, job.tenant());
                    if (existing.isPresent()) {
                        return new Store.Inserted(existing.get(), false);
                    }
                }
            }
            int taken = update(c, """
                    UPDATE idempotency_keys SET request_hash = ?, job_id = ?, expires_at = ?
                    WHERE tenant = ? AND idem_key = ? AND job_id = ?
                    """, job.requestHash(), id.value(), now.plus(keyRetention), job.tenant(), job.idempotencyKey(), heldBy);
            if (taken == 1) {
                return insertOne(c, job, id, now);
            }
        }
        throw new SpoolException(ErrorCode.UNAVAILABLE, "This Idempotency-Key is changing hands right now; retry shortly.");
    }

    private Store.Inserted insertOne(Connection c, NewJob job, JobId id, Instant now) throws SQLException {
        Job inserted = insert(c, List.of(job), List.of(id), job.batchId(), now).getFirst();
        store.claimable(c);
        return new Store.Inserted(inserted, true);
    }

    Store.BatchInserted batch(String batchId, String tenant, List<NewJob> jobs, Instant now, Store.Call call) {
        return store.write(c -> {
            if (call != null) {
                // The key first, with the batch's id as its answer: a repeat waits on this row (or,
                // on one writer, comes after it) and finds the batch instead of making another.
                Optional<Store.CallSeen> earlier = Operations.begin(c, call, batchId, now, null);
                if (earlier.isPresent()) {
                    return new Store.BatchInserted(List.of(), earlier);
                }
            }
            update(c, "INSERT INTO batches (id, tenant, created_at) VALUES (?, ?, ?)", batchId, tenant, now);
            List<Job> inserted = insert(c, jobs, jobs.stream().map(j -> JobId.generate()).toList(), batchId, now);
            store.claimable(c);
            return new Store.BatchInserted(inserted, Optional.empty());
        });
    }

    /**
     * Counts {@code adding} new queued jobs of {@code tenant} in, refusing them past its quota.
     * Returns false when the tenant has no quota (the caller counts them in as usual). With one,
     * they go into the tenant's reserved row of {@code tenant_queued} (shard -1), which the
     * statement locks: submits of the tenant, on this node's lanes or on others, count one after
     * the other, each seeing the ones before it, and the quota holds exactly.
     */
    private boolean countQueuedWithinQuota(Connection c, String tenant, int adding) throws SQLException {
        long quota = store.quotas().maxQueued(tenant);
        if (quota <= 0) {
            return false;
        }
        long queued = store.queuedAfterReserving(c, tenant, adding);
        if (queued > quota) {
            throw new SpoolException(ErrorCode.QUOTA_EXCEEDED, "This tenant may have at most " + quota
                    + " jobs queued at once (limits.max_queued); " + (adding == 1 ? "this job" : "these " + adding + " jobs")
                    + " would pass it. Retry when some have started.");
        }
        return true;
    }

    /** The columns a new job's row is written with, in the order of the values {@link #insert} binds. */
    static final List<String> INSERT_COLUMNS = List.of("id", "tenant", "key_id", "type", "queue", "priority", "title",
            "input", "metadata", "idempotency_key", "batch_id", "max_attempts", "timeout_seconds", "run_at", "created_at",
            "updated_at", "webhook", "traceparent");

    /** One new queued job: {@link #INSERT_COLUMNS}' values, then its status. */
    static final String INSERT_JOB = "INSERT INTO jobs (" + String.join(", ", INSERT_COLUMNS) + ", status) VALUES ("
            + placeholders(INSERT_COLUMNS.size()) + ", 'queued')";

    /**
     * Stores new queued jobs with one statement run as a batch, with their input files and their
     * submitted events. The jobs returned are made here, as the rows were written, not read back.
     */
    private List<Job> insert(Connection c, List<NewJob> jobs, List<JobId> ids, String batchId, Instant now) throws SQLException {
        boolean counted = !jobs.isEmpty() && countQueuedWithinQuota(c, jobs.getFirst().tenant(), jobs.size());
        Instant at = millis(now); // times are stored in milliseconds
        List<Job> inserted = new ArrayList<>(jobs.size());
        List<Object[]> rows = new ArrayList<>(jobs.size());
        for (int i = 0; i < jobs.size(); i++) {
            NewJob job = jobs.get(i);
            Job j = new Job(ids.get(i), job.tenant(), job.type(), job.queue(), job.priority(), job.title(),
                    JobStatus.QUEUED, false, Progress.NONE, job.input(), job.metadata(), job.idempotencyKey(), batchId,
                    0, 0, job.maxAttempts(), job.runAt() == null ? at : millis(job.runAt()), job.timeoutSeconds(),
                    null, null, null, null, 0, 0, job.keyId(), at, null, null, null, at, job.webhook(), job.traceparent());
            rows.add(new Object[] {j.id().value(), j.tenant(), j.keyId(), j.type(), j.queue(), j.priority(), j.title(),
                    j.input(), json(j.metadata()), j.idempotencyKey(), batchId, j.maxAttempts(), j.timeoutSeconds(),
                    j.runAt(), at, at, webhookJson(j.webhook()), j.traceparent()});
            inserted.add(j);
        }
        // Counted into the tenant's queue with them, unless a quota counted them in already.
        store.insertJobs(c, rows, counted || jobs.isEmpty() ? null : jobs.getFirst().tenant());
        for (int i = 0; i < jobs.size(); i++) {
            for (var in : jobs.get(i).inputs()) {
                update(c, """
                        INSERT INTO artifacts (job_id, kind, name, attempt, content_type, size, sha256, created_at)
                        VALUES (?, 'input', ?, 0, ?, ?, ?, ?)
                        """, inserted.get(i).id().value(), in.name(), in.contentType(), in.size(), in.sha256(), now);
            }
        }
        recorder.events(c, inserted.stream().map(j -> new EventRow(j, "submitted", null)).toList(), now);
        return inserted;
    }
}
