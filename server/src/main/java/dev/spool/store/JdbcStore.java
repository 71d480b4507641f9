package dev.spool.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import dev.spool.job.ApiKey;
import dev.spool.job.Artifact;
import dev.spool.job.Batch;
import dev.spool.job.Delivery;
import dev.spool.job.ErrorCode;
import dev.spool.job.FeedEvent;
import dev.spool.job.Job;
import dev.spool.job.JobError;
import dev.spool.job.JobEvent;
import dev.spool.job.JobId;
import dev.spool.job.JobQuery;
import dev.spool.job.JobStatus;
import dev.spool.job.JobWebhook;
import dev.spool.job.LogLine;
import dev.spool.job.NewJob;
import dev.spool.job.Page;
import dev.spool.job.Payloads;
import dev.spool.job.Progress;
import dev.spool.job.SigningSecret;
import dev.spool.job.SpoolException;
import dev.spool.job.Transition;
import dev.spool.job.WebhookEndpoint;
import dev.spool.job.WebhookEvent;
import dev.spool.job.Worker;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * The SQL every database shares, written once, and how it runs: every write through one {@link
 * GroupCommitWriter}, every read on a pooled connection. Subclasses open the database and override
 * only the statements that differ. Times are stored as epoch milliseconds and JSON as text, which
 * both databases hold the same way.
 */
public abstract sealed class JdbcStore implements Store permits SqliteStore, PostgresStore {
    protected static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {};

    private final GroupCommitWriter writer;
    private final HikariDataSource readers;
    /** What reads found of the database; the writer keeps its own. */
    private final Reachability reachability;
    private volatile Payloads payloads = JdbcStore::minimalPayload;

    /** Whether the writer's open transaction recorded events, and webhook deliveries; writer's thread only. */
    private boolean eventsWritten;
    private boolean deliveriesWritten;
    /** The same for the transaction being committed; writer's thread only. */
    private boolean eventsCommitting;
    private boolean deliveriesCommitting;
    private final List<Runnable> eventListeners = new CopyOnWriteArrayList<>();
    private final List<Runnable> deliveryListeners = new CopyOnWriteArrayList<>();

    protected JdbcStore(GroupCommitWriter writer, HikariDataSource readers, Reachability reachability) {
        this.writer = writer;
        this.readers = readers;
        this.reachability = reachability;
        writer.beforeCommit(c -> {
            endpointsChanged(); // other nodes may change them once this transaction ends
            eventsCommitting = eventsWritten;
            deliveriesCommitting = deliveriesWritten;
            eventsWritten = false;
            deliveriesWritten = false;
            if (eventsCommitting) {
                eventsRecorded(c);
            }
            return null;
        });
        writer.afterCommit(() -> {
            if (eventsCommitting) {
                eventListeners.forEach(Runnable::run);
            }
            if (deliveriesCommitting) {
                deliveryListeners.forEach(Runnable::run);
            }
            eventsCommitting = false;
            deliveriesCommitting = false;
        });
    }

    /**
     * Called once inside a transaction that recorded job events, just before it commits, so that
     * other nodes can be told. Nothing to do where there is one node.
     */
    protected void eventsRecorded(Connection c) throws SQLException {}

    /** Runs {@code work} in a write transaction and commits it durably before returning. */
    protected final <T> T write(SqlWork<T> work) {
        return writer.submit(work);
    }

    /** Runs {@code work} on a connection that sees everything committed before the call. */
    protected final <T> T read(SqlWork<T> work) {
        if (!reachability.mayTry()) {
            throw reachability.refuse();
        }
        try (Connection c = readers.getConnection()) {
            T result = work.run(c);
            reachability.answered();
            return result;
        } catch (SQLException | RuntimeException e) {
            throw reachability.failed(e, "database read");
        }
    }

    @Override
    public boolean reachable() {
        if (reachability.up()) {
            return true;
        }
        try {
            return read(c -> {
                try (Statement s = c.createStatement()) {
                    return s.execute("SELECT 1");
                }
            });
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Finishes the writes already handed in, then closes the connections. */
    @Override
    public void close() {
        writer.close();
        readers.close();
    }

    // ---------------------------------------------------------------- submit

    @Override
    public Inserted jobInsert(NewJob job, Instant now, Duration keyRetention) {
        return write(c -> {
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
    private Inserted heldIdempotencyKey(Connection c, NewJob job, JobId id, Instant now, Duration keyRetention)
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
                        return new Inserted(existing.get(), false);
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

    private Inserted insertOne(Connection c, NewJob job, JobId id, Instant now) throws SQLException {
        Job inserted = insert(c, List.of(job), List.of(id), job.batchId(), now).getFirst();
        claimable(c);
        return new Inserted(inserted, true);
    }

    @Override
    public List<Job> jobInsertBatch(String batchId, String tenant, List<NewJob> jobs, Instant now) {
        return write(c -> {
            update(c, "INSERT INTO batches (id, tenant, created_at) VALUES (?, ?, ?)", batchId, tenant, now);
            List<Job> inserted = insert(c, jobs, jobs.stream().map(j -> JobId.generate()).toList(), batchId, now);
            claimable(c);
            return inserted;
        });
    }

    private static final String INSERT_JOB = """
            INSERT INTO jobs (id, tenant, key_id, type, queue, priority, title, status, input, metadata,
                              idempotency_key, batch_id, max_attempts, timeout_seconds, run_at, created_at, updated_at,
                              webhook)
            VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """;

    /**
     * Stores new queued jobs with one statement run as a batch, with their input files and their
     * submitted events. The jobs returned are made here, as the rows were written, not read back.
     */
    private List<Job> insert(Connection c, List<NewJob> jobs, List<JobId> ids, String batchId, Instant now) throws SQLException {
        Instant at = millis(now); // times are stored in milliseconds
        List<Job> inserted = new ArrayList<>(jobs.size());
        try (PreparedStatement ps = c.prepareStatement(INSERT_JOB)) {
            for (int i = 0; i < jobs.size(); i++) {
                NewJob job = jobs.get(i);
                Job j = new Job(ids.get(i), job.tenant(), job.type(), job.queue(), job.priority(), job.title(),
                        JobStatus.QUEUED, false, Progress.NONE, job.input(), job.metadata(), job.idempotencyKey(), batchId,
                        0, 0, job.maxAttempts(), job.runAt() == null ? at : millis(job.runAt()), job.timeoutSeconds(),
                        null, null, null, null, 0, 0, job.keyId(), at, null, null, null, at, job.webhook());
                bind(ps, j.id().value(), j.tenant(), j.keyId(), j.type(), j.queue(), j.priority(), j.title(), j.input(),
                        json(j.metadata()), j.idempotencyKey(), batchId, j.maxAttempts(), j.timeoutSeconds(), j.runAt(),
                        at, at, webhookJson(j.webhook()));
                ps.addBatch();
                inserted.add(j);
            }
            ps.executeBatch();
        }
        for (int i = 0; i < jobs.size(); i++) {
            for (var in : jobs.get(i).inputs()) {
                update(c, """
                        INSERT INTO artifacts (job_id, kind, name, attempt, content_type, size, sha256, created_at)
                        VALUES (?, 'input', ?, 0, ?, ?, ?, ?)
                        """, inserted.get(i).id().value(), in.name(), in.contentType(), in.size(), in.sha256(), now);
            }
        }
        events(c, inserted.stream().map(j -> new EventRow(j, "submitted", null)).toList(), now);
        return inserted;
    }

    private static Instant millis(Instant t) {
        return Instant.ofEpochMilli(t.toEpochMilli());
    }

    // ---------------------------------------------------------------- read

    @Override
    public Optional<Job> jobGet(String tenant, JobId id) {
        return read(c -> selectOne(c, "SELECT " + JOB_COLUMNS + " FROM jobs WHERE id = ? AND tenant = ?", id.value(), tenant));
    }

    @Override
    public Optional<Job> jobGetAny(JobId id) {
        return read(c -> selectOne(c, "SELECT " + JOB_COLUMNS + " FROM jobs WHERE id = ?", id.value()));
    }

    @Override
    public Page<Job> jobList(JobQuery q) {
        StringBuilder sql = new StringBuilder("SELECT " + JOB_COLUMNS + " FROM jobs WHERE tenant = ?");
        List<Object> args = new ArrayList<>(List.of(q.tenant()));
        if (!q.statuses().isEmpty()) {
            sql.append(" AND status IN (").append(placeholders(q.statuses().size())).append(')');
            q.statuses().stream().map(JobStatus::wireName).sorted().forEach(args::add);
        }
        filter(sql, args, " AND type = ?", q.type());
        filter(sql, args, " AND queue = ?", q.queue());
        filter(sql, args, " AND batch_id = ?", q.batchId());
        filter(sql, args, " AND created_at > ?", q.createdAfter());
        filter(sql, args, " AND created_at < ?", q.createdBefore());
        filter(sql, args, " AND id < ?", q.before() == null ? null : q.before().value());
        for (var entry : new TreeMap<>(q.metadata()).entrySet()) {
            sql.append(" AND ").append(metadataEquals());
            args.add(metadataPath(entry.getKey()));
            args.add(entry.getValue());
        }
        sql.append(" ORDER BY id DESC LIMIT ?");
        args.add(q.limit() + 1);
        List<Job> rows = read(c -> selectMany(c, sql.toString(), args.toArray()));
        boolean more = rows.size() > q.limit();
        return new Page<>(more ? rows.subList(0, q.limit()) : rows, more);
    }

    private static void filter(StringBuilder sql, List<Object> args, String clause, Object value) {
        if (value != null) {
            sql.append(clause);
            args.add(value);
        }
    }

    /**
     * Called inside a transaction that makes jobs claimable now, so that other nodes can be told
     * when it commits. Nothing to do where there is one node.
     */
    protected void claimable(Connection c) throws SQLException {}

    /**
     * Serializes, until the transaction ends, the claims of one type that has a concurrency cap, so
     * that two nodes cannot both see room under the cap. Nothing to do where there is one writer.
     */
    protected void lockType(Connection c, String type) throws SQLException {}

    /** A predicate comparing one metadata entry: two parameters, the {@link #metadataPath} and the value. */
    protected String metadataEquals() {
        return "json_extract(metadata, ?) = ?";
    }

    /** The key as the {@link #metadataEquals} predicate takes it; keys are plain names (see NewJob). */
    protected String metadataPath(String key) {
        return "$.\"" + key + "\"";
    }

    @Override
    public List<JobEvent> jobEvents(String tenant, JobId id) {
        return read(c -> {
            List<JobEvent> events = new ArrayList<>();
            try (PreparedStatement ps = prepare(c, """
                    SELECT e.seq, e.job_id, e.at, e.kind, e.status, e.attempt, e.data
                    FROM job_events e JOIN jobs j ON j.id = e.job_id
                    WHERE e.job_id = ? AND j.tenant = ? ORDER BY e.seq
                    """, id.value(), tenant);
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    events.add(new JobEvent(rs.getLong(1), new JobId(rs.getString(2)), instant(rs, 3), rs.getString(4),
                            JobStatus.fromWire(rs.getString(5)).orElseThrow(), rs.getInt(6), parse(rs.getString(7))));
                }
            }
            return events;
        });
    }

    @Override
    public Optional<Batch> batchGet(String tenant, String id) {
        return read(c -> {
            Instant createdAt;
            try (PreparedStatement ps = prepare(c, "SELECT created_at FROM batches WHERE id = ? AND tenant = ?", id, tenant);
                 ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                createdAt = instant(rs, 1);
            }
            List<Batch.Member> members = new ArrayList<>();
            try (PreparedStatement ps = prepare(c,
                    "SELECT id, status FROM jobs WHERE batch_id = ? AND tenant = ? ORDER BY id", id, tenant);
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    members.add(new Batch.Member(new JobId(rs.getString(1)),
                            JobStatus.fromWire(rs.getString(2)).orElseThrow()));
                }
            }
            return Optional.of(new Batch(id, tenant, createdAt, members));
        });
    }

    // ---------------------------------------------------------------- run

    @Override
    public List<Job> jobClaim(Claim claim, Instant now) {
        if (claim.max() <= 0) {
            return List.of();
        }
        return write(c -> {
            List<Job> claimed = new ArrayList<>();
            List<String> unlimited = claim.types().stream().filter(t -> !claim.concurrency().containsKey(t)).toList();
            // Types without a cap are claimed together, so priority orders them against each other;
            // each capped type is claimed on its own, up to the room its cap leaves.
            if (!unlimited.isEmpty() || claim.types().isEmpty()) {
                claimed.addAll(claimSome(c, claim, unlimited, claim.max(), now));
            }
            for (String type : claim.types()) {
                Integer cap = claim.concurrency().get(type);
                int room = claim.max() - claimed.size();
                if (cap == null || room <= 0) {
                    continue;
                }
                lockType(c, type);
                long running = count(c, "SELECT count(*) FROM jobs WHERE status = 'running' AND type = ?", type);
                int take = (int) Math.min(room, cap - running);
                if (take > 0) {
                    claimed.addAll(claimSome(c, claim, List.of(type), take, now));
                }
            }
            claimed.sort(Comparator.comparing(Job::priority).reversed().thenComparing(Job::runAt).thenComparing(Job::id));
            events(c, claimed.stream().map(job -> new EventRow(job, "started", null)).toList(), now);
            return claimed;
        });
    }

    private List<Job> claimSome(Connection c, Claim claim, List<String> types, int limit, Instant now)
            throws SQLException {
        // Arguments in statement order: the SET values first, then the inner pick's.
        List<Object> args = new ArrayList<>(List.of(claim.workerId(), now.plus(claim.lease()), now, now, now, now));
        StringBuilder pick = new StringBuilder("SELECT id FROM jobs WHERE status = 'queued' AND run_at <= ?");
        if (!types.isEmpty()) {
            pick.append(" AND type IN (").append(placeholders(types.size())).append(')');
            args.addAll(types);
        }
        if (!claim.queues().isEmpty()) {
            pick.append(" AND queue IN (").append(placeholders(claim.queues().size())).append(')');
            args.addAll(claim.queues());
        }
        pick.append(" ORDER BY priority DESC, run_at, id LIMIT ?");
        args.add(limit);
        return selectMany(c, claimStatement(pick.toString()), args.toArray());
    }

    /**
     * Marks the jobs that {@code pick} selects as running. The SQLite store runs every write on one
     * connection, so the pick cannot race another claim; a database with concurrent writers must
     * lock the picked rows (FOR UPDATE SKIP LOCKED) instead.
     */
    protected String claimStatement(String pick) {
        return """
                UPDATE jobs SET status = 'running', attempt = attempt + 1, worker_id = ?, lease_expires_at = ?,
                       started_at = COALESCE(started_at, ?), attempt_started_at = ?, updated_at = ?,
                       progress_fraction = NULL, progress_message = NULL
                WHERE id IN (%s)
                RETURNING %s
                """.formatted(pick, JOB_COLUMNS);
    }

    @Override
    public Optional<Job> jobHeartbeat(JobId id, int attempt, Progress progress, Instant leaseUntil, Instant now) {
        return write(c -> {
            Optional<Job> job = selectOne(c, """
                    UPDATE jobs SET lease_expires_at = ?, updated_at = ?,
                           progress_fraction = COALESCE(?, progress_fraction),
                           progress_message = COALESCE(?, progress_message)
                    WHERE id = ? AND status = 'running' AND attempt = ?
                    RETURNING %s
                    """.formatted(JOB_COLUMNS), leaseUntil, now, progress.fraction(), progress.message(), id.value(), attempt);
            if (job.isPresent()) {
                update(c, "UPDATE workers SET last_seen = ? WHERE id = ?", now, job.get().workerId());
            }
            if (job.isPresent() && (progress.fraction() != null || progress.message() != null)) {
                var data = JSON.createObjectNode();
                data.put("fraction", progress.fraction());
                data.put("message", progress.message());
                event(c, job.get(), "progress", now, data);
            }
            return job;
        });
    }

    @Override
    public List<Optional<Job>> jobFinish(List<Finish> finishes, Instant now) {
        if (finishes.isEmpty()) {
            return List.of();
        }
        if (finishes.stream().map(Finish::id).distinct().count() != finishes.size()) {
            throw new IllegalArgumentException("one finish per job in a call");
        }
        // One row of values per finish; every value is cast, so that both databases type them alike.
        String row = "(CAST(? AS TEXT), CAST(? AS INTEGER), CAST(? AS INTEGER), CAST(? AS TEXT), CAST(? AS BIGINT), "
                + "CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS INTEGER), CAST(? AS INTEGER))";
        String sql = """
                WITH f (id, attempt, cancel_requested, status, run_at, result, error, units, free_attempt, only_expired)
                AS (VALUES %s)
                UPDATE jobs SET status = f.status, run_at = COALESCE(f.run_at, jobs.run_at), result = f.result,
                       error = f.error, units = jobs.units + f.units, attempt_offset = jobs.attempt_offset + f.free_attempt,
                       run_ms = jobs.run_ms + CASE WHEN ? > jobs.attempt_started_at THEN ? - jobs.attempt_started_at ELSE 0 END,
                       ended_at = CASE WHEN f.status IN ('succeeded', 'failed', 'cancelled') THEN ? ELSE NULL END,
                       lease_expires_at = NULL, worker_id = NULL, attempt_started_at = NULL, updated_at = ?
                FROM f
                WHERE jobs.id = f.id AND jobs.status = 'running' AND jobs.attempt = f.attempt
                  AND jobs.cancel_requested = f.cancel_requested
                  AND (f.only_expired = 0 OR jobs.lease_expires_at < ? OR jobs.attempt_started_at + jobs.timeout_seconds * 1000 < ?)
                RETURNING %s
                """.formatted(String.join(", ", Collections.nCopies(finishes.size(), row)), returningJobs());
        List<Object> args = new ArrayList<>(finishes.size() * 10 + 5);
        for (Finish f : finishes) {
            Transition t = f.transition();
            args.add(f.id().value());
            args.add(f.attempt());
            args.add(f.cancelRequested());
            args.add(t.to().wireName());
            args.add(t.runAt());
            args.add(t.result());
            args.add(t.error() == null ? null : json(t.error()));
            args.add(t.units());
            args.add(t.freeAttempt() ? 1 : 0);
            args.add(t.onlyIfExpired() ? 1 : 0);
        }
        args.addAll(List.of(now, now, now, now, now, now));
        return write(c -> {
            Map<JobId, Job> finished = new HashMap<>();
            for (Job job : selectMany(c, sql, args.toArray())) {
                finished.put(job.id(), job);
            }
            List<Optional<Job>> results = new ArrayList<>(finishes.size());
            List<EventRow> events = new ArrayList<>(finished.size());
            for (Finish f : finishes) {
                Job job = finished.get(f.id());
                if (job != null) {
                    Transition t = f.transition();
                    var data = JSON.createObjectNode();
                    if (t.error() != null) {
                        data.set("error", JSON.valueToTree(t.error()));
                    }
                    if (t.runAt() != null) {
                        data.put("run_at", t.runAt().toString());
                    }
                    events.add(new EventRow(job, t.event(), data.isEmpty() ? null : data));
                }
                results.add(Optional.ofNullable(job));
            }
            events(c, events, now);
            return results;
        });
    }

    /** The RETURNING list of a statement that updates jobs FROM another relation: only the job's columns. */
    protected String returningJobs() {
        return JOB_COLUMNS;
    }

    @Override
    public List<Job> jobGetMany(Collection<JobId> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        return read(c -> selectMany(c, "SELECT " + JOB_COLUMNS + " FROM jobs WHERE id IN (" + placeholders(ids.size()) + ")",
                ids.stream().map(JobId::value).toArray()));
    }

    @Override
    public List<Job> jobListExpired(Instant now, int limit) {
        return read(c -> selectMany(c, """
                SELECT %s FROM jobs
                WHERE status = 'running' AND (lease_expires_at < ? OR attempt_started_at + timeout_seconds * 1000 < ?)
                ORDER BY lease_expires_at LIMIT ?
                """.formatted(JOB_COLUMNS), now, now, limit));
    }

    // ---------------------------------------------------------------- lifecycle

    @Override
    public Optional<Job> jobCancel(String tenant, JobId id, Instant now) {
        return write(c -> {
            Optional<Job> cancelled = selectOne(c, """
                    UPDATE jobs SET status = 'cancelled', ended_at = ?, updated_at = ?
                    WHERE id = ? AND tenant = ? AND status = 'queued'
                    RETURNING %s
                    """.formatted(JOB_COLUMNS), now, now, id.value(), tenant);
            if (cancelled.isPresent()) {
                event(c, cancelled.get(), "cancelled", now, null);
                return cancelled;
            }
            Optional<Job> flagged = selectOne(c, """
                    UPDATE jobs SET cancel_requested = 1, updated_at = ?
                    WHERE id = ? AND tenant = ? AND status = 'running' AND cancel_requested = 0
                    RETURNING %s
                    """.formatted(JOB_COLUMNS), now, id.value(), tenant);
            if (flagged.isPresent()) {
                event(c, flagged.get(), "cancel_requested", now, null);
            }
            return flagged;
        });
    }

    @Override
    public Optional<Job> jobRetry(String tenant, JobId id, Instant now) {
        return write(c -> {
            Optional<Job> job = selectOne(c, """
                    UPDATE jobs SET status = 'queued', attempt_offset = attempt, run_at = ?, cancel_requested = 0,
                           result = NULL, error = NULL, ended_at = NULL, progress_fraction = NULL,
                           progress_message = NULL, updated_at = ?
                    WHERE id = ? AND tenant = ? AND status IN ('failed', 'cancelled')
                    RETURNING %s
                    """.formatted(JOB_COLUMNS), now, now, id.value(), tenant);
            if (job.isPresent()) {
                event(c, job.get(), "retried", now, null);
                claimable(c);
            }
            return job;
        });
    }

    @Override
    public boolean jobDelete(String tenant, JobId id, Instant now) {
        return write(c -> {
            int deleted = update(c, "DELETE FROM jobs WHERE id = ? AND tenant = ? AND status <> 'running'",
                    id.value(), tenant);
            if (deleted > 0) {
                forgetJob(c, id.value(), now);
            }
            return deleted > 0;
        });
    }

    /** Removes what belongs to a deleted job; its files' bytes become orphan candidates. */
    private void forgetJob(Connection c, String id, Instant now) throws SQLException {
        update(c, "DELETE FROM job_events WHERE job_id = ?", id);
        update(c, "DELETE FROM job_logs WHERE job_id = ?", id);
        update(c, """
                INSERT INTO orphan_blobs (sha256, since)
                SELECT DISTINCT sha256, ? FROM artifacts WHERE job_id = ?
                ON CONFLICT (sha256) DO NOTHING
                """, now, id);
        update(c, "DELETE FROM artifacts WHERE job_id = ?", id);
    }

    @Override
    public int jobPruneFinished(Prune prune, Instant now) {
        String type = prune.type();
        Set<String> exceptTypes = prune.exceptTypes();
        return write(c -> {
            StringBuilder sql = new StringBuilder(
                    "SELECT id FROM jobs WHERE status IN ('succeeded', 'failed', 'cancelled') AND ended_at < ?");
            List<Object> args = new ArrayList<>(List.of(prune.endedBefore()));
            if (type != null) {
                sql.append(" AND type = ?");
                args.add(type);
            } else if (!exceptTypes.isEmpty()) {
                sql.append(" AND type NOT IN (").append(placeholders(exceptTypes.size())).append(')');
                args.addAll(exceptTypes.stream().sorted().toList());
            }
            sql.append(" ORDER BY ended_at LIMIT ?");
            args.add(prune.limit());
            List<String> ids = new ArrayList<>();
            try (PreparedStatement ps = prepare(c, sql.toString(), args.toArray()); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
            for (String id : ids) {
                update(c, "DELETE FROM jobs WHERE id = ?", id);
                forgetJob(c, id, now);
            }
            return ids.size();
        });
    }

    @Override
    public List<String> blobOrphansDue(Instant orphanedBefore, int limit) {
        return write(c -> {
            // A blob referenced again (the same bytes uploaded since) is an orphan no more.
            update(c, "DELETE FROM orphan_blobs WHERE sha256 IN (SELECT sha256 FROM artifacts)");
            List<String> due = new ArrayList<>();
            try (PreparedStatement ps = prepare(c, "SELECT sha256 FROM orphan_blobs WHERE since < ? ORDER BY since LIMIT ?",
                    orphanedBefore, limit);
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    due.add(rs.getString(1));
                }
            }
            return due;
        });
    }

    @Override
    public void blobOrphanAdd(String sha256, Instant now) {
        write(c -> update(c, "INSERT INTO orphan_blobs (sha256, since) VALUES (?, ?) ON CONFLICT (sha256) DO NOTHING", sha256, now));
    }

    @Override
    public void blobOrphanForget(String sha256) {
        write(c -> update(c, "DELETE FROM orphan_blobs WHERE sha256 = ? AND sha256 NOT IN (SELECT sha256 FROM artifacts)", sha256));
    }

    @Override
    public int idempotencyPrune(Instant now) {
        return write(c -> update(c, "DELETE FROM idempotency_keys WHERE expires_at <= ?", now));
    }

    // ---------------------------------------------------------------- workers and logs

    @Override
    public void workerSeen(String id, String name, String keyId, List<String> types, Instant now) {
        write(c -> update(c, """
                INSERT INTO workers (id, name, key_id, types, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, key_id = excluded.key_id,
                       types = excluded.types, last_seen = excluded.last_seen
                """, id, name, keyId, json(types), now, now));
    }

    @Override
    public List<Worker> workerList(Instant since) {
        return read(c -> {
            List<Worker> workers = new ArrayList<>();
            try (PreparedStatement ps = prepare(c, """
                    SELECT w.id, w.name, w.key_id, w.types, w.first_seen, w.last_seen,
                           (SELECT count(*) FROM jobs j WHERE j.status = 'running' AND j.worker_id = w.id) AS in_hand
                    FROM workers w WHERE w.last_seen >= ? ORDER BY w.last_seen DESC, w.id
                    """, since);
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    workers.add(new Worker(rs.getString("id"), rs.getString("name"), rs.getString("key_id"),
                            List.of(JSON.readValue(rs.getString("types"), String[].class)), instant(rs, "first_seen"),
                            instant(rs, "last_seen"), rs.getInt("in_hand")));
                }
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("stored worker types are not JSON", e);
            }
            return workers;
        });
    }

    @Override
    public boolean jobLogAppend(JobId id, int attempt, List<String> lines, Instant now) {
        return write(c -> {
            if (count(c, "SELECT count(*) FROM jobs WHERE id = ? AND status = 'running' AND attempt = ?", id.value(), attempt) == 0) {
                return false;
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO job_logs (job_id, at, attempt, line) VALUES (?, ?, ?, ?)")) {
                for (String line : lines) {
                    ps.setString(1, id.value());
                    ps.setLong(2, now.toEpochMilli());
                    ps.setInt(3, attempt);
                    ps.setString(4, line);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return true;
        });
    }

    @Override
    public List<LogLine> jobLogs(String tenant, JobId id, int limit) {
        return read(c -> {
            List<LogLine> lines = new ArrayList<>();
            try (PreparedStatement ps = prepare(c, """
                    SELECT l.seq, l.at, l.attempt, l.line FROM job_logs l JOIN jobs j ON j.id = l.job_id
                    WHERE l.job_id = ? AND j.tenant = ? ORDER BY l.seq LIMIT ?
                    """, id.value(), tenant, limit);
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    lines.add(new LogLine(rs.getLong(1), instant(rs, 2), rs.getInt(3), rs.getString(4)));
                }
            }
            return lines;
        });
    }

    // ---------------------------------------------------------------- artifacts and secrets

    @Override
    public boolean artifactAdd(Artifact a, int maxCount, long maxBytes) {
        return write(c -> {
            if (count(c, "SELECT count(*) FROM jobs WHERE id = ? AND status = 'running' AND attempt = ?",
                    a.jobId().value(), a.attempt()) == 0) {
                return false;
            }
            long others = count(c, "SELECT count(*) FROM artifacts WHERE job_id = ? AND NOT (kind = ? AND name = ?)",
                    a.jobId().value(), a.kind().wireName(), a.name());
            long othersBytes = count(c, "SELECT COALESCE(sum(size), 0) FROM artifacts WHERE job_id = ? AND NOT (kind = ? AND name = ?)",
                    a.jobId().value(), a.kind().wireName(), a.name());
            if (others + 1 > maxCount || othersBytes + a.size() > maxBytes) {
                throw new SpoolException(ErrorCode.PAYLOAD_TOO_LARGE, "A job may have at most " + maxCount
                        + " files of " + maxBytes + " bytes in all; this one would pass that.");
            }
            update(c, "DELETE FROM artifacts WHERE job_id = ? AND kind = ? AND name = ?", a.jobId().value(), a.kind().wireName(), a.name());
            update(c, """
                    INSERT INTO artifacts (job_id, kind, name, attempt, content_type, size, sha256, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, a.jobId().value(), a.kind().wireName(), a.name(), a.attempt(), a.contentType(), a.size(),
                    a.sha256(), a.createdAt());
            return true;
        });
    }

    @Override
    public List<Artifact> artifactList(String tenant, JobId id) {
        return read(c -> artifacts(c, """
                SELECT a.* FROM artifacts a JOIN jobs j ON j.id = a.job_id
                WHERE a.job_id = ? AND j.tenant = ? ORDER BY a.kind, a.name
                """, id.value(), tenant));
    }

    @Override
    public Optional<Artifact> artifactGetAny(JobId id, String name) {
        return read(c -> artifacts(c, "SELECT * FROM artifacts WHERE job_id = ? AND name = ? ORDER BY kind DESC",
                id.value(), name).stream().findFirst());
    }

    private static List<Artifact> artifacts(Connection c, String sql, Object... args) throws SQLException {
        List<Artifact> out = new ArrayList<>();
        try (PreparedStatement ps = prepare(c, sql, args); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new Artifact(new JobId(rs.getString("job_id")),
                        Artifact.Kind.valueOf(rs.getString("kind").toUpperCase(Locale.ROOT)),
                        rs.getString("name"), rs.getInt("attempt"), rs.getString("content_type"), rs.getLong("size"),
                        rs.getString("sha256"), instant(rs, "created_at")));
            }
        }
        return out;
    }

    @Override
    public byte[] secret(String name, Supplier<byte[]> create) {
        return write(c -> {
            update(c, "INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", name, create.get());
            try (PreparedStatement ps = prepare(c, "SELECT value FROM secrets WHERE name = ?", name);
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBytes(1);
            }
        });
    }

    // ---------------------------------------------------------------- live events

    @Override
    public List<FeedEvent> eventsBetween(long after, long upTo, String tenant, JobId job, int limit) {
        StringBuilder sql = new StringBuilder("""
                SELECT e.seq, e.job_id, e.at, e.kind, e.status, e.attempt, e.data, j.tenant, j.type, j.queue, j.batch_id
                FROM job_events e JOIN jobs j ON j.id = e.job_id
                WHERE e.seq > ? AND e.seq <= ?""");
        List<Object> args = new ArrayList<>(List.of(after, upTo));
        filter(sql, args, " AND j.tenant = ?", tenant);
        filter(sql, args, " AND e.job_id = ?", job == null ? null : job.value());
        sql.append(" ORDER BY e.seq LIMIT ?");
        args.add(limit);
        return read(c -> {
            List<FeedEvent> events = new ArrayList<>();
            try (PreparedStatement ps = prepare(c, sql.toString(), args.toArray()); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    events.add(new FeedEvent(jobEvent(rs), rs.getString(8), rs.getString(9), rs.getString(10),
                            rs.getString(11)));
                }
            }
            return events;
        });
    }

    @Override
    public long eventsLast() {
        return read(c -> count(c, "SELECT COALESCE(max(seq), 0) FROM job_events"));
    }

    @Override
    public EventSpan eventsAfter(long after) {
        return read(c -> {
            try (PreparedStatement ps = prepare(c, "SELECT count(*), COALESCE(max(seq), ?) FROM job_events WHERE seq > ?",
                    after, after);
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new EventSpan(rs.getLong(1), rs.getLong(2));
            }
        });
    }

    private static JobEvent jobEvent(ResultSet rs) throws SQLException {
        return new JobEvent(rs.getLong(1), new JobId(rs.getString(2)), instant(rs, 3), rs.getString(4),
                JobStatus.fromWire(rs.getString(5)).orElseThrow(), rs.getInt(6), parse(rs.getString(7)));
    }

    // ---------------------------------------------------------------- webhooks

    @Override
    public void renderPayloadsWith(Payloads payloads) {
        this.payloads = payloads;
    }

    private static String minimalPayload(String format, Job job, WebhookEvent type, Instant at,
                                         Supplier<List<Artifact>> outputs) {
        var o = JSON.createObjectNode().put("type", type.type()).put("timestamp", at.toString());
        o.putObject("data").put("id", job.id().value()).put("status", job.status().wireName());
        return o.toString();
    }

    @Override
    public void webhookInsert(WebhookEndpoint e, String secret) {
        write(c -> {
            endpointsChanged();
            update(c, """
                    INSERT INTO webhook_endpoints (id, tenant, url, events, description, format, disabled_at,
                                                   disabled_reason, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, e.id(), e.tenant(), e.url(), eventsJson(e.events()), e.description(), e.format(), e.disabledAt(),
                    e.disabledReason(), e.createdAt(), e.updatedAt());
            return update(c, "INSERT INTO signing_secrets (owner, secret) VALUES (?, ?)", e.id(), secret);
        });
    }

    @Override
    public Optional<WebhookEndpoint> webhookGet(String tenant, String id) {
        return read(c -> endpoints(c, "SELECT * FROM webhook_endpoints WHERE id = ? AND tenant = ?", id, tenant)
                .stream().findFirst());
    }

    @Override
    public List<WebhookEndpoint> webhookList(String tenant) {
        return read(c -> endpoints(c, "SELECT * FROM webhook_endpoints WHERE tenant = ? ORDER BY created_at, id", tenant));
    }

    @Override
    public Optional<WebhookEndpoint> webhookUpdate(WebhookEndpoint e) {
        return write(c -> {
            endpointsChanged();
            int changed = update(c, """
                    UPDATE webhook_endpoints SET url = ?, events = ?, description = ?, disabled_at = ?, disabled_reason = ?,
                           updated_at = ?
                    WHERE id = ? AND tenant = ?
                    """, e.url(), eventsJson(e.events()), e.description(), e.disabledAt(), e.disabledReason(),
                    e.updatedAt(), e.id(), e.tenant());
            if (changed == 0) {
                return Optional.empty();
            }
            update(c, "UPDATE webhook_deliveries SET url = ? WHERE target = ? AND state = 'pending'", e.url(), e.id());
            return endpoints(c, "SELECT * FROM webhook_endpoints WHERE id = ?", e.id()).stream().findFirst();
        });
    }

    @Override
    public boolean webhookDelete(String tenant, String id, Instant now) {
        return write(c -> {
            endpointsChanged();
            if (update(c, "DELETE FROM webhook_endpoints WHERE id = ? AND tenant = ?", id, tenant) == 0) {
                return false;
            }
            update(c, "DELETE FROM signing_secrets WHERE owner = ?", id);
            update(c, """
                    UPDATE webhook_deliveries SET state = 'failed', last_error = 'the endpoint was deleted',
                           lease_until = NULL, updated_at = ?
                    WHERE target = ? AND state = 'pending'
                    """, now, id);
            return true;
        });
    }

    private static List<WebhookEndpoint> endpoints(Connection c, String sql, Object... args) throws SQLException {
        List<WebhookEndpoint> out = new ArrayList<>();
        try (PreparedStatement ps = prepare(c, sql, args); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new WebhookEndpoint(rs.getString("id"), rs.getString("tenant"), rs.getString("url"),
                        events(rs.getString("events")), rs.getString("description"), rs.getString("format"),
                        instant(rs, "disabled_at"), rs.getString("disabled_reason"), instant(rs, "created_at"),
                        instant(rs, "updated_at")));
            }
        }
        return out;
    }

    private static String eventsJson(Set<WebhookEvent> events) {
        return json(events.stream().map(WebhookEvent::wireName).sorted().toList());
    }

    private static Set<WebhookEvent> events(String text) {
        Set<WebhookEvent> events = EnumSet.noneOf(WebhookEvent.class);
        read(text, JsonNode.class).forEach(e -> events.add(WebhookEvent.parse(e.asText())));
        return events;
    }

    @Override
    public SigningSecret signingSecret(String owner, Supplier<String> create) {
        // Read on every delivery try; written once per owner, by whichever node asks first.
        Optional<SigningSecret> stored = read(c -> signing(c, owner));
        if (stored.isPresent()) {
            return stored.get();
        }
        return write(c -> {
            update(c, "INSERT INTO signing_secrets (owner, secret) VALUES (?, ?) ON CONFLICT (owner) DO NOTHING",
                    owner, create.get());
            return signing(c, owner).orElseThrow();
        });
    }

    @Override
    public SigningSecret signingRotate(String owner, String secret, Supplier<String> create,
                                                     Instant previousUntil) {
        return write(c -> {
            update(c, "INSERT INTO signing_secrets (owner, secret) VALUES (?, ?) ON CONFLICT (owner) DO NOTHING",
                    owner, create.get());
            update(c, "UPDATE signing_secrets SET previous = secret, previous_until = ?, secret = ? WHERE owner = ?",
                    previousUntil, secret, owner);
            return signing(c, owner).orElseThrow();
        });
    }

    private static Optional<SigningSecret> signing(Connection c, String owner) throws SQLException {
        try (PreparedStatement ps = prepare(c, "SELECT secret, previous, previous_until FROM signing_secrets WHERE owner = ?", owner);
             ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(new SigningSecret(rs.getString(1), rs.getString(2), instant(rs, 3)))
                    : Optional.empty();
        }
    }

    @Override
    public List<Delivery> deliveryClaim(Instant now, Duration lease, int limit) {
        if (limit <= 0) {
            return List.of();
        }
        String pick = """
                SELECT d.id FROM webhook_deliveries d LEFT JOIN webhook_endpoints e ON e.id = d.target
                WHERE d.state = 'pending' AND d.next_attempt_at <= ? AND (d.lease_until IS NULL OR d.lease_until < ?)
                  AND (d.target = 'job' OR (e.id IS NOT NULL AND e.disabled_at IS NULL))
                  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
                                  WHERE p.job_id = d.job_id AND p.target = d.target AND p.state = 'pending' AND p.seq < d.seq)
                ORDER BY d.next_attempt_at, d.seq LIMIT ?""" + lockPicked("d");
        return write(c -> deliveries(c, "UPDATE webhook_deliveries SET lease_until = ? WHERE id IN (" + pick + ") RETURNING *",
                now.plus(lease), now, now, limit));
    }

    /**
     * What a pick of rows to update adds so that concurrent writers skip each other's rows: nothing
     * where every write goes through one connection.
     */
    protected String lockPicked(String alias) {
        return "";
    }

    @Override
    public void deliveryTried(Delivery d, Delivery.Tried tried, Instant retryAt, Instant now) {
        String error = tried.error();
        write(c -> {
            String state = tried.delivered() ? "delivered" : tried.gone() || retryAt == null ? "failed" : "pending";
            String lastError = tried.gone() ? "the receiver answered 410 Gone" : error;
            Optional<Delivery> updated = deliveries(c, """
                    UPDATE webhook_deliveries SET state = ?, attempts = attempts + 1, lease_until = NULL,
                           next_attempt_at = ?, last_status = ?, last_error = ?, updated_at = ?,
                           delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END
                    WHERE id = ? AND state = 'pending'
                    RETURNING *
                    """, state, state.equals("pending") ? retryAt : null, tried.status() == 0 ? null : tried.status(),
                    lastError, now, state, now, d.id()).stream().findFirst();
            if (updated.isEmpty()) {
                return null; // replayed or given up meanwhile: this try changes nothing
            }
            update(c, """
                    INSERT INTO webhook_attempts (delivery_id, attempt, at, status, response, error, duration_ms)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, d.id(), updated.get().attempts(), now, tried.status() == 0 ? null : tried.status(),
                    tried.response(), error, tried.durationMs());
            if (tried.gone()) {
                if (d.target().equals(Delivery.JOB_TARGET)) {
                    update(c, """
                            UPDATE webhook_deliveries SET state = 'failed', last_error = 'the receiver answered 410 Gone',
                                   lease_until = NULL, updated_at = ?
                            WHERE job_id = ? AND target = ? AND state = 'pending'
                            """, now, d.jobId().value(), Delivery.JOB_TARGET);
                } else {
                    endpointsChanged();
                    update(c, """
                            UPDATE webhook_endpoints SET disabled_at = ?, disabled_reason = ?, updated_at = ?
                            WHERE id = ? AND disabled_at IS NULL
                            """, now, "the receiver answered 410 Gone", now, d.target());
                }
            }
            return null;
        });
    }

    @Override
    public Page<Delivery> deliveryList(String tenant, String target, JobId job, String before, int limit) {
        StringBuilder sql = new StringBuilder("SELECT * FROM webhook_deliveries WHERE tenant = ?");
        List<Object> args = new ArrayList<>(List.of(tenant));
        filter(sql, args, " AND target = ?", target);
        filter(sql, args, " AND job_id = ?", job == null ? null : job.value());
        filter(sql, args, " AND id < ?", before);
        sql.append(" ORDER BY id DESC LIMIT ?");
        args.add(limit + 1);
        List<Delivery> rows = read(c -> deliveries(c, sql.toString(), args.toArray()));
        boolean more = rows.size() > limit;
        return new Page<>(more ? rows.subList(0, limit) : rows, more);
    }

    @Override
    public Optional<Delivery> deliveryGet(String tenant, String id) {
        return read(c -> deliveries(c, "SELECT * FROM webhook_deliveries WHERE id = ? AND tenant = ?", id, tenant)
                .stream().findFirst());
    }

    @Override
    public List<Delivery.Attempt> deliveryAttempts(String deliveryId) {
        return read(c -> {
            List<Delivery.Attempt> out = new ArrayList<>();
            try (PreparedStatement ps = prepare(c,
                    "SELECT * FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt", deliveryId);
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    int status = rs.getInt("status");
                    Integer code = rs.wasNull() ? null : status;
                    out.add(new Delivery.Attempt(deliveryId, rs.getInt("attempt"), instant(rs, "at"), code,
                            rs.getString("response"), rs.getString("error"), rs.getLong("duration_ms")));
                }
            }
            return out;
        });
    }

    @Override
    public Optional<Delivery> deliveryReplay(String tenant, String id, Instant now) {
        return write(c -> deliveries(c, """
                UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = ?, lease_until = NULL, updated_at = ?
                WHERE id = ? AND tenant = ?
                RETURNING *
                """, now, now, id, tenant).stream().findFirst());
    }

    @Override
    public int deliveryPrune(Instant before, int limit) {
        return write(c -> {
            List<String> ids = new ArrayList<>();
            try (PreparedStatement ps = prepare(c, """
                    SELECT id FROM webhook_deliveries WHERE state <> 'pending' AND updated_at < ? ORDER BY updated_at LIMIT ?
                    """, before, limit);
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
            for (String id : ids) {
                update(c, "DELETE FROM webhook_attempts WHERE delivery_id = ?", id);
                update(c, "DELETE FROM webhook_deliveries WHERE id = ?", id);
            }
            return ids.size();
        });
    }

    private static List<Delivery> deliveries(Connection c, String sql, Object... args) throws SQLException {
        List<Delivery> out = new ArrayList<>();
        try (PreparedStatement ps = prepare(c, sql, args); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                int status = rs.getInt("last_status");
                Integer lastStatus = rs.wasNull() ? null : status;
                out.add(new Delivery(rs.getString("id"), rs.getString("tenant"), rs.getString("target"),
                        new JobId(rs.getString("job_id")), rs.getLong("seq"), rs.getString("event_type"),
                        rs.getString("url"), rs.getString("format"), rs.getString("payload"), rs.getString("auth_header"),
                        Delivery.State.valueOf(rs.getString("state").toUpperCase(Locale.ROOT)),
                        rs.getInt("attempts"), instant(rs, "next_attempt_at"), lastStatus, rs.getString("last_error"),
                        instant(rs, "created_at"), instant(rs, "delivered_at")));
            }
        }
        return out;
    }

    @Override
    public void afterEventsCommitted(Runnable listener) {
        eventListeners.add(listener);
    }

    @Override
    public void afterDeliveriesCommitted(Runnable listener) {
        deliveryListeners.add(listener);
    }

    // ---------------------------------------------------------------- keys

    @Override
    public void keyInsert(ApiKey key) {
        write(c -> update(c, """
                INSERT INTO api_keys (id, tenant, name, role, prefix, hash, created_at, revoked_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, key.id(), key.tenant(), key.name(), key.role().wireName(), key.prefix(), key.hash(),
                key.createdAt(), key.revokedAt()));
    }

    @Override
    public Optional<ApiKey> keyByPrefix(String prefix) {
        return read(c -> keys(c, "SELECT * FROM api_keys WHERE prefix = ?", prefix).stream().findFirst());
    }

    @Override
    public List<ApiKey> keyList(String tenant) {
        return read(c -> tenant == null
                ? keys(c, "SELECT * FROM api_keys ORDER BY created_at, id")
                : keys(c, "SELECT * FROM api_keys WHERE tenant = ? ORDER BY created_at, id", tenant));
    }

    @Override
    public boolean keyRevoke(String id, Instant now) {
        return write(c -> {
            update(c, "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", now, id);
            return count(c, "SELECT count(*) FROM api_keys WHERE id = ?", id) > 0;
        });
    }

    @Override
    public long keyCount() {
        return read(c -> count(c, "SELECT count(*) FROM api_keys"));
    }

    private List<ApiKey> keys(Connection c, String sql, Object... args) throws SQLException {
        List<ApiKey> keys = new ArrayList<>();
        try (PreparedStatement ps = prepare(c, sql, args); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                keys.add(new ApiKey(rs.getString("id"), rs.getString("tenant"), rs.getString("name"),
                        ApiKey.Role.valueOf(rs.getString("role").toUpperCase(Locale.ROOT)),
                        rs.getString("prefix"), rs.getBytes("hash"), instant(rs, "created_at"),
                        instant(rs, "revoked_at")));
            }
        }
        return keys;
    }

    // ---------------------------------------------------------------- plumbing

    /** A job event to record, with the job as the event leaves it. */
    private record EventRow(Job job, String kind, JsonNode data) {}

    /** Where one event is delivered: the job's own webhook, or an endpoint. */
    private record Target(String id, String url, String format, String authorization) {}

    /** An enabled webhook endpoint, as {@link #targets} matches events against it. */
    private record Endpoint(String id, String url, Set<WebhookEvent> events, String format) {}

    private static final String INSERT_EVENT =
            "INSERT INTO job_events (job_id, at, kind, status, attempt, data) VALUES (?, ?, ?, ?, ?, ?)";

    /**
     * Each tenant's enabled endpoints as read in the writer's open transaction, so that a batch of
     * events reads them once. Forgotten before every commit and whenever a write changes endpoints;
     * writer's thread only.
     */
    private final Map<String, List<Endpoint>> endpointsRead = new HashMap<>();

    private void endpointsChanged() {
        endpointsRead.clear();
    }

    private void event(Connection c, Job job, String kind, Instant now, JsonNode data) throws SQLException {
        events(c, List.of(new EventRow(job, kind, data)), now);
    }

    /**
     * Records job events, in order, and in the same transaction a delivery for every receiver
     * subscribed to each (the outbox): a crash can lose neither without the other. Events nobody
     * receives go in as one batch; an event with receivers goes in alone, for the sequence number
     * its deliveries carry.
     */
    private void events(Connection c, List<EventRow> rows, Instant now) throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        eventsWritten = true;
        try (PreparedStatement plain = c.prepareStatement(INSERT_EVENT)) {
            int batched = 0;
            for (EventRow row : rows) {
                Object[] args = {row.job().id().value(), now, row.kind(), row.job().status().wireName(),
                        row.job().attempt(), row.data()};
                var type = WebhookEvent.ofEventKind(row.kind());
                List<Target> targets = type.isEmpty() ? List.of() : targets(c, row.job(), type.get());
                if (targets.isEmpty()) {
                    bind(plain, args);
                    plain.addBatch();
                    batched++;
                    continue;
                }
                if (batched > 0) {
                    plain.executeBatch();
                    batched = 0;
                }
                long seq;
                try (PreparedStatement ps = prepare(c, INSERT_EVENT + " RETURNING seq", args);
                     ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    seq = rs.getLong(1);
                }
                for (Target t : targets) {
                    outbox(c, row.job(), type.get(), seq, t.id(), t.url(), t.format(), t.authorization(), now);
                }
            }
            if (batched > 0) {
                plain.executeBatch();
            }
        }
    }

    /** The receivers of {@code type} for {@code job}: its own webhook first, then the tenant's endpoints by id. */
    private List<Target> targets(Connection c, Job job, WebhookEvent type) throws SQLException {
        List<Target> targets = new ArrayList<>(1);
        JobWebhook own = job.webhook();
        if (own != null && own.wants(type)) {
            targets.add(new Target(Delivery.JOB_TARGET, own.url(), own.format(), own.authorization()));
        }
        List<Endpoint> endpoints = endpointsRead.get(job.tenant());
        if (endpoints == null) {
            endpoints = new ArrayList<>();
            try (PreparedStatement ps = prepare(c,
                    "SELECT id, url, events, format FROM webhook_endpoints WHERE tenant = ? AND disabled_at IS NULL ORDER BY id",
                    job.tenant());
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    endpoints.add(new Endpoint(rs.getString(1), rs.getString(2), events(rs.getString(3)), rs.getString(4)));
                }
            }
            endpointsRead.put(job.tenant(), endpoints);
        }
        for (Endpoint e : endpoints) {
            if (e.events().contains(type) && WebhookEndpoint.receives(e.format(), job)) {
                targets.add(new Target(e.id(), e.url(), e.format(), null));
            }
        }
        return targets;
    }

    private void outbox(Connection c, Job job, WebhookEvent type, long seq, String target, String url, String format,
                        String authorization, Instant now) throws SQLException {
        Supplier<List<Artifact>> outputs = () -> {
            try {
                return artifacts(c, "SELECT * FROM artifacts WHERE job_id = ? AND kind = 'output' ORDER BY name", job.id().value());
            } catch (SQLException e) {
                throw new IllegalStateException("reading the job's output files failed: " + e.getMessage(), e);
            }
        };
        update(c, """
                INSERT INTO webhook_deliveries (id, tenant, target, job_id, seq, event_type, url, format, payload, auth_header,
                                                state, attempts, next_attempt_at, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)
                """, "msg_" + JobId.generate().value().replace("-", ""), job.tenant(), target, job.id().value(), seq,
                type.type(), url, format, payloads.render(format, job, type, now, outputs), authorization, now, now, now);
        deliveriesWritten = true;
    }

    protected static PreparedStatement prepare(Connection c, String sql, Object... args) throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        try {
            bind(ps, args);
            return ps;
        } catch (SQLException | RuntimeException e) {
            ps.close();
            throw e;
        }
    }

    private static void bind(PreparedStatement ps, Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            ps.setObject(i + 1, bindable(args[i]));
        }
    }

    private static Object bindable(Object value) {
        return switch (value) {
            case null -> null;
            case Instant i -> i.toEpochMilli();
            case Boolean b -> b ? 1 : 0;
            case JsonNode n -> n.isNull() ? null : n.toString();
            default -> value;
        };
    }

    protected static int update(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql, args)) {
            return ps.executeUpdate();
        }
    }

    protected static long count(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql, args); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static Optional<Job> selectOne(Connection c, String sql, Object... args) throws SQLException {
        List<Job> jobs = selectMany(c, sql, args);
        return jobs.isEmpty() ? Optional.empty() : Optional.of(jobs.getFirst());
    }

    private static List<Job> selectMany(Connection c, String sql, Object... args) throws SQLException {
        List<Job> jobs = new ArrayList<>();
        try (PreparedStatement ps = prepare(c, sql, args); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                jobs.add(job(rs));
            }
        }
        return jobs;
    }

    /** A job's columns in the order {@link #job} reads them: by position, which is cheaper than by name. */
    private static final List<String> JOB_COLUMN_NAMES = List.of("id", "tenant", "type", "queue", "priority", "title",
            "status", "cancel_requested", "progress_fraction", "progress_message", "input", "metadata",
            "idempotency_key", "batch_id", "attempt", "attempt_offset", "max_attempts", "run_at", "timeout_seconds",
            "lease_expires_at", "worker_id", "result", "error", "run_ms", "units", "key_id", "created_at",
            "started_at", "attempt_started_at", "ended_at", "updated_at", "webhook");

    /** What a statement selects, or returns, to read jobs with {@link #job}. */
    protected static final String JOB_COLUMNS = String.join(", ", JOB_COLUMN_NAMES);

    /** {@link #JOB_COLUMNS}, each qualified with {@code table}. */
    protected static String jobColumns(String table) {
        return String.join(", ", JOB_COLUMN_NAMES.stream().map(n -> table + "." + n).toList());
    }

    private static Job job(ResultSet rs) throws SQLException {
        double fraction = rs.getDouble(9);
        Double progressFraction = rs.wasNull() ? null : fraction;
        String errorJson = rs.getString(23);
        return new Job(
                new JobId(rs.getString(1)),
                rs.getString(2),
                rs.getString(3),
                rs.getString(4),
                rs.getInt(5),
                rs.getString(6),
                JobStatus.fromWire(rs.getString(7)).orElseThrow(),
                rs.getInt(8) != 0,
                new Progress(progressFraction, rs.getString(10)),
                parse(rs.getString(11)),
                readMap(rs.getString(12)),
                rs.getString(13),
                rs.getString(14),
                rs.getInt(15),
                rs.getInt(16),
                rs.getInt(17),
                instant(rs, 18),
                rs.getInt(19),
                instant(rs, 20),
                rs.getString(21),
                parse(rs.getString(22)),
                errorJson == null ? null : read(errorJson, JobError.class),
                rs.getLong(24),
                rs.getLong(25),
                rs.getString(26),
                instant(rs, 27),
                instant(rs, 28),
                instant(rs, 29),
                instant(rs, 30),
                instant(rs, 31),
                webhook(rs.getString(32)));
    }

    private static String webhookJson(JobWebhook hook) {
        if (hook == null) {
            return null;
        }
        var o = JSON.createObjectNode().put("url", hook.url()).put("format", hook.format());
        if (hook.authorization() != null) {
            o.put("authorization", hook.authorization());
        }
        var events = o.putArray("events");
        hook.events().stream().map(WebhookEvent::wireName).sorted().forEach(events::add);
        return o.toString();
    }

    private static JobWebhook webhook(String text) {
        if (text == null) {
            return null;
        }
        JsonNode o = read(text, JsonNode.class);
        Set<WebhookEvent> events = EnumSet.noneOf(WebhookEvent.class);
        o.path("events").forEach(e -> events.add(WebhookEvent.parse(e.asText())));
        return new JobWebhook(o.path("url").asText(), events, o.path("format").asText("native"),
                o.hasNonNull("authorization") ? o.get("authorization").asText() : null);
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        long ms = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(ms);
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        long ms = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(ms);
    }

    private static String placeholders(int n) {
        return String.join(", ", Collections.nCopies(n, "?"));
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode parse(String text) {
        return text == null ? null : read(text, JsonNode.class);
    }

    private static Map<String, String> readMap(String text) {
        try {
            return JSON.readValue(text, STRING_MAP);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored metadata is not JSON", e);
        }
    }

    private static <T> T read(String text, Class<T> type) {
        try {
            return JSON.readValue(text, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored JSON does not parse", e);
        }
    }
}
