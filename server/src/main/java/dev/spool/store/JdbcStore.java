package dev.spool.store;

import static dev.spool.store.JobRows.JOB_COLUMNS;
import static dev.spool.store.JobRows.selectMany;
import static dev.spool.store.Sql.JSON;
import static dev.spool.store.Sql.count;
import static dev.spool.store.Sql.json;
import static dev.spool.store.Sql.placeholders;
import static dev.spool.store.Sql.update;

import com.zaxxer.hikari.HikariDataSource;
import dev.spool.artifact.FileStore;
import dev.spool.auth.KeyStore;
import dev.spool.job.Batch;
import dev.spool.job.Job;
import dev.spool.job.JobEvent;
import dev.spool.job.JobId;
import dev.spool.job.JobQuery;
import dev.spool.job.JobTiming;
import dev.spool.job.JobStatus;
import dev.spool.job.NewJob;
import dev.spool.job.Page;
import dev.spool.job.Price;
import dev.spool.job.QueueState;
import dev.spool.job.Transition;
import dev.spool.limit.Quotas;
import dev.spool.limit.TenantStore;
import dev.spool.store.EventRecorder.EventRow;
import dev.spool.webhook.WebhookStore;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The SQL every database shares, written once, and how it runs: every write of every seam through
 * one {@link GroupCommitWriter}, every read on a pooled connection. This class is the job seam and
 * the {@link Storage} that hands out the others; each area's SQL is a small part beside it (submit
 * in {@link JobInserts}, reads in {@link JobQueries}, removals in {@link JobRemovals}, events and
 * their outbox rows in {@link EventRecorder}; keys, webhooks, files, workers and the event log in
 * their {@code Jdbc*} classes). Subclasses open the database and override only the statements that
 * differ. Times are stored as epoch milliseconds and JSON as text, which both databases hold the
 * same way.
 */
public abstract sealed class JdbcStore implements Storage, Store permits SqliteStore, PostgresStore {
    private final GroupCommitWriter writer;
    private final HikariDataSource readers;
    /** What reads found of the database; the writer keeps its own. */
    private final Reachability reachability;
    private final EventRecorder recorder;
    private final JobInserts inserts;
    private final JobQueries queries;
    private final JobRemovals removals;
    private final KeyStore keys;
    private final WebhookStore webhooks;
    private final FileStore files;
    private final WorkerStore workers;
    private final EventLog events;
    private final JdbcTenants tenants;
    private final JdbcSchedules schedules;
    private volatile Quotas quotas = Quotas.NONE;
    private volatile Function<String, Price> prices = type -> Price.FREE;

    protected JdbcStore(GroupCommitWriter writer, HikariDataSource readers, Reachability reachability) {
        this.writer = writer;
        this.readers = readers;
        this.reachability = reachability;
        this.recorder = new EventRecorder(writer, c -> {
            eventsRecorded(c);
            return null;
        });
        this.inserts = new JobInserts(this, recorder);
        this.queries = new JobQueries(this);
        this.removals = new JobRemovals(this);
        this.keys = new JdbcKeys(this);
        this.webhooks = new JdbcWebhooks(this, recorder);
        this.files = new JdbcFiles(this);
        this.workers = new JdbcWorkers(this);
        this.events = new JdbcEventLog(this, recorder);
        this.tenants = new JdbcTenants(this);
        this.schedules = new JdbcSchedules(this);
    }

    @Override
    public void useRules(Quotas quotas, Function<String, Price> prices) {
        this.quotas = quotas;
        this.prices = prices;
    }

    Quotas quotas() {
        return quotas;
    }

    @Override
    public TenantStore tenants() {
        return tenants;
    }

    @Override
    public ScheduleStore schedules() {
        return schedules;
    }

    @Override
    public Instant databaseNow() {
        return read(c -> {
            try (var ps = c.prepareStatement("SELECT " + databaseNowMillis()); var rs = ps.executeQuery()) {
                rs.next();
                return Instant.ofEpochMilli(rs.getLong(1));
            }
        });
    }

    /** An SQL expression of the database's clock, in epoch milliseconds. */
    protected String databaseNowMillis() {
        return "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";
    }

    @Override
    public void meterInto(MeterRegistry registry) {
        writer.meterInto(registry);
        readers.setMetricRegistry(registry);
    }

    @Override
    public Store jobs() {
        return this;
    }

    @Override
    public KeyStore keys() {
        return keys;
    }

    @Override
    public WebhookStore webhooks() {
        return webhooks;
    }

    @Override
    public FileStore files() {
        return files;
    }

    @Override
    public WorkerStore workers() {
        return workers;
    }

    @Override
    public EventLog events() {
        return events;
    }

    /** Connections for rate-limit buckets every node shares; none where one process has the database. */
    protected Optional<javax.sql.DataSource> sharedBuckets() {
        return Optional.empty();
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
        return inserts.one(job, now, keyRetention);
    }

    @Override
    public BatchInserted jobInsertBatch(String batchId, String tenant, List<NewJob> jobs, Instant now, Call call) {
        return inserts.batch(batchId, tenant, jobs, now, call);
    }

    // ---------------------------------------------------------------- read

    @Override
    public Optional<Job> jobGet(String tenant, JobId id) {
        return queries.get(tenant, id);
    }

    @Override
    public Optional<Job> jobGetAny(JobId id) {
        return queries.getAny(id);
    }

    @Override
    public Page<Job> jobList(JobQuery query) {
        return queries.list(query);
    }

    @Override
    public List<JobId> jobIds(JobQuery query) {
        return queries.ids(query);
    }

    @Override
    public long jobCount(JobQuery query) {
        return queries.count(query);
    }

    @Override
    public List<JobTiming> jobTimings(String tenant, Instant since, int limit) {
        return queries.timings(tenant, since, limit);
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
        return queries.events(tenant, id);
    }

    @Override
    public Optional<Batch> batchGet(String tenant, String id) {
        return queries.batch(tenant, id);
    }

    // ---------------------------------------------------------------- run

    @Override
    public List<Job> jobClaim(Claim claim, Instant now) {
        if (claim.max() <= 0) {
            return List.of();
        }
        Quotas tenantQuotas = quotas;
        return write(c -> {
            // Room under each tenant's running quota, found as its tenants come up; null when no tenant has one.
            Map<String, Long> room = tenantQuotas.capsRunning() ? new HashMap<>() : null;
            List<Job> claimed = new ArrayList<>();
            List<String> unlimited = claim.types().stream().filter(t -> !claim.concurrency().containsKey(t)).toList();
            // Types without a cap are claimed together, so priority orders them against each other;
            // each capped type is claimed on its own, up to the room its cap leaves.
            if (!unlimited.isEmpty() || claim.types().isEmpty()) {
                claimed.addAll(claimSome(c, claim, unlimited, claim.max(), now, tenantQuotas, room));
            }
            for (String type : claim.types()) {
                Integer cap = claim.concurrency().get(type);
                int left = claim.max() - claimed.size();
                if (cap == null || left <= 0) {
                    continue;
                }
                lockType(c, type);
                // Reads at most `cap` entries of the partial index of running jobs of the type (never
                // a count of them all), so a cap costs the same whatever runs. A counter row per type
                // would be one more row that every claim and finish of the type must lock.
                long running = count(c, "SELECT count(*) FROM (SELECT 1 FROM jobs WHERE status = 'running' AND type = ? LIMIT ?) r",
                        type, cap);
                int take = (int) Math.min(left, cap - running);
                if (take > 0) {
                    claimed.addAll(claimSome(c, claim, List.of(type), take, now, tenantQuotas, room));
                }
            }
            claimed.sort(Comparator.comparing(Job::priority).reversed().thenComparing(Job::runAt).thenComparing(Job::id));
            recorder.events(c, claimed.stream().map(job -> new EventRow(job, "started", null)).toList(), now);
            return claimed;
        });
    }

    /** The most tenants with queued work under one key that a claim shares between; past them, the first in name order. */
    static final int FAIR_TENANTS = 256;
    /** The most shares one claim reads on SQLite: each is a term of one compound SELECT, which SQLite caps at 500. */
    private static final int MOST_SHARES = 400;

    /**
     * What a claim picks from: due queued jobs of {@code types} (any when empty) in {@code queues}
     * (any when empty; never both empty), at most {@code limit}. Tenants are found under the
     * claim's key: each type, else each queue.
     */
    protected record Pick(List<String> types, List<String> queues, Instant now, int limit) {
        /** The column the claim index it walks leads with. */
        String keyColumn() {
            return !types.isEmpty() ? "type" : "queue";
        }

        List<String> keys() {
            return !types.isEmpty() ? types : queues;
        }

        /** The queue filter when the claim is keyed by type and names queues as well. */
        boolean filtersQueues() {
            return !types.isEmpty() && !queues.isEmpty();
        }
    }

    /** A tenant with queued work under one key of a pick, and the most of its jobs this claim takes there. */
    protected record Share(String key, String tenant, int limit) {}

    private List<Job> claimSome(Connection c, Claim claim, List<String> types, int limit, Instant now, Quotas tenantQuotas,
                                Map<String, Long> room) throws SQLException {
        List<String> queues = claim.queues();
        if (types.isEmpty() && queues.isEmpty()) {
            queues = queuesWithWork(c); // a claim of any job: keyed by the queues that have some
            if (queues.isEmpty()) {
                return List.of();
            }
        }
        Pick pick = new Pick(types, queues, now, limit);
        if (room == null) {
            return claimShared(c, claim, pick);
        }
        List<Share> shares = shares(c, pick);
        if (shares.isEmpty()) {
            return List.of();
        }
        Map<String, Long> caps = new java.util.TreeMap<>();
        for (Share s : shares) {
            long cap = tenantQuotas.maxRunning(s.tenant());
            if (cap > 0 && !room.containsKey(s.tenant())) {
                caps.put(s.tenant(), cap);
            }
        }
        room.putAll(roomUnder(c, caps));
        int fair = fairPart(limit, shares);
        List<Share> taking = new ArrayList<>(shares.size());
        for (Share s : shares.subList(0, Math.min(shares.size(), MOST_SHARES))) {
            long most = Math.min(fair, room.getOrDefault(s.tenant(), (long) fair));
            if (most > 0) {
                taking.add(new Share(s.key(), s.tenant(), (int) most));
            }
        }
        List<Job> jobs = claimShares(c, claim, pick, taking);
        for (Job job : jobs) {
            room.computeIfPresent(job.tenant(), (t, r) -> r - 1);
        }
        return jobs;
    }

    /**
     * The most of one tenant's jobs a claim of {@code limit} reads: twice its even part, so that a
     * tenant with little work leaves its turns to the others (the turns order the claim across
     * tenants; the claim takes the best {@code limit} of what was read), but never more than
     * {@code limit}, so that a claim reads and locks at most about twice what it takes.
     */
    static int fairPart(int limit, long tenants) {
        return (int) Math.min(limit, 2 * ((limit + tenants - 1) / tenants));
    }

    private static int fairPart(int limit, List<Share> shares) {
        return fairPart(limit, shares.stream().map(Share::tenant).distinct().count());
    }

    /**
     * Claims {@code pick} in fair shares when no tenant has a running quota: the tenants with work
     * are found, then each one's share taken. Here two statements; a database that can do it in
     * one overrides it (the queued counts must change with the claim, see {@link QueuedCounts}).
     */
    protected List<Job> claimShared(Connection c, Claim claim, Pick pick) throws SQLException {
        List<Share> shares = shares(c, pick);
        if (shares.isEmpty()) {
            return List.of();
        }
        int fair = fairPart(pick.limit(), shares);
        return claimShares(c, claim, pick, shares.stream().limit(MOST_SHARES).map(s -> new Share(s.key(), s.tenant(), fair)).toList());
    }

    /**
     * The room each tenant of {@code caps} (tenant to its running quota, in name order) has under
     * its quota, from now until the transaction ends: their claims are serialized by a lock per
     * tenant (nothing to lock where there is one writer), then their running jobs counted, at
     * most up to the quota.
     */
    protected Map<String, Long> roomUnder(Connection c, Map<String, Long> caps) throws SQLException {
        Map<String, Long> room = new HashMap<>();
        for (var e : caps.entrySet()) {
            room.put(e.getKey(), e.getValue() - count(c,
                    "SELECT count(*) FROM (SELECT 1 FROM jobs WHERE status = 'running' AND tenant = ? LIMIT ?) r",
                    e.getKey(), e.getValue()));
        }
        return room;
    }

    /** Marks running what {@link #claimPick} picks of {@code shares}, and counts them out of their tenants' queues. */
    protected List<Job> claimShares(Connection c, Claim claim, Pick pick, List<Share> shares) throws SQLException {
        if (shares.isEmpty()) {
            return List.of();
        }
        // Arguments in statement order: the SET values first, then the inner pick's.
        List<Object> args = new ArrayList<>(claimSets(claim, pick.now()));
        List<Job> jobs = selectMany(c, claimStatement(claimPick(pick, shares, args)), args.toArray());
        QueuedCounts.add(c, QueuedCounts.of(jobs, JobStatus.RUNNING, -1));
        return jobs;
    }

    /** The values {@link #claimStatement} sets, in its order. */
    protected static List<Object> claimSets(Claim claim, Instant now) {
        return List.of(claim.workerId(), now.plus(claim.lease()), now, now, now);
    }

    /**
     * What every claim's pick adds so that it takes no job of a paused queue. Read by the claim's
     * own statement (a hashed subplan over a table of a few rows), so a pause holds on every node
     * from the first claim that starts after it commits.
     */
    protected static final String NOT_PAUSED = " AND queue NOT IN (SELECT queue FROM paused_queues)";

    /**
     * The tenants with queued work under each key of {@code pick}, in key then tenant order: a
     * skip scan of the key's claim index (type or queue, then tenant), one probe per tenant.
     */
    private List<Share> shares(Connection c, Pick pick) throws SQLException {
        List<Object> args = new ArrayList<>();
        String sql = "WITH RECURSIVE " + tenantsWithWork(pick, args) + " SELECT k, tenant FROM t WHERE tenant IS NOT NULL";
        List<Share> shares = new ArrayList<>();
        try (PreparedStatement ps = Sql.prepare(c, sql, args.toArray()); var rs = ps.executeQuery()) {
            while (rs.next()) {
                shares.add(new Share(rs.getString(1), rs.getString(2), 0));
            }
        }
        return shares;
    }

    /** The queues that have queued jobs, by a skip scan of their claim index: one probe per queue. */
    private List<String> queuesWithWork(Connection c) throws SQLException {
        List<String> queues = new ArrayList<>();
        try (PreparedStatement ps = Sql.prepare(c, """
                WITH RECURSIVE q (queue) AS (
                    SELECT (SELECT queue FROM jobs WHERE status = 'queued' ORDER BY queue LIMIT 1)
                    UNION ALL
                    SELECT (SELECT queue FROM jobs WHERE status = 'queued' AND queue > q.queue ORDER BY queue LIMIT 1)
                    FROM q WHERE q.queue IS NOT NULL
                )
                SELECT queue FROM q WHERE queue IS NOT NULL LIMIT ?
                """, FAIR_TENANTS); var rs = ps.executeQuery()) {
            while (rs.next()) {
                queues.add(rs.getString(1));
            }
        }
        return queues;
    }

    /**
     * The recursive query {@code t (k, tenant, depth)} of the tenants with queued work under each
     * key of {@code pick} (rows whose tenant is null end each key's walk); its arguments are
     * appended to {@code args}.
     */
    protected static String tenantsWithWork(Pick pick, List<Object> args) {
        String byKey = " AND " + pick.keyColumn() + " = t.k";
        args.addAll(pick.keys());
        args.add(FAIR_TENANTS);
        String keys = String.join(" UNION ALL ", Collections.nCopies(pick.keys().size(), "SELECT CAST(? AS TEXT) AS k"));
        return """
                t (k, tenant, depth) AS (
                    SELECT t.k, (SELECT tenant FROM jobs WHERE status = 'queued'%1$s ORDER BY tenant LIMIT 1), 1 FROM (%2$s) t
                    UNION ALL
                    SELECT t.k, (SELECT tenant FROM jobs WHERE status = 'queued'%1$s AND tenant > t.tenant ORDER BY tenant LIMIT 1),
                           t.depth + 1
                    FROM t WHERE t.tenant IS NOT NULL AND t.depth < ?
                )""".formatted(byKey, keys);
    }

    /**
     * The ids of up to {@code pick.limit()} due queued jobs, at most each share's limit of each
     * share's tenant and key, ordered by priority, then by each job's rank among its tenant's jobs
     * of that priority (so tenants take turns), then oldest {@code run_at}; its arguments are
     * appended to {@code args}. Here one ordered subquery per share, merged: SQLite has no LATERAL.
     */
    protected String claimPick(Pick pick, List<Share> shares, List<Object> args) {
        StringBuilder each = new StringBuilder("SELECT * FROM (SELECT id, tenant, priority, run_at FROM jobs WHERE status = 'queued'");
        each.append(" AND ").append(pick.keyColumn()).append(" = ? AND tenant = ? AND run_at <= ?").append(NOT_PAUSED);
        if (pick.filtersQueues()) {
            each.append(" AND queue IN (").append(placeholders(pick.queues().size())).append(')');
        }
        each.append(" ORDER BY priority DESC, run_at, id LIMIT ?)");
        for (Share s : shares) {
            args.add(s.key());
            args.add(s.tenant());
            args.add(pick.now());
            if (pick.filtersQueues()) {
                args.addAll(pick.queues());
            }
            args.add(s.limit());
        }
        args.add(pick.limit());
        return """
                SELECT id FROM (
                    SELECT id, priority, run_at, row_number() OVER (PARTITION BY tenant, priority ORDER BY run_at, id) AS turn
                    FROM (%s) u
                ) x ORDER BY priority DESC, turn, run_at, id LIMIT ?
                """.formatted(String.join(" UNION ALL ", Collections.nCopies(shares.size(), each.toString())));
    }

    /**
     * Adds {@code adding} to {@code tenant}'s reserved row of {@code tenant_queued} (shard -1,
     * locked until the transaction ends) and returns the tenant's queued count with it. Here two
     * statements on the one writer's connection.
     */
    protected long queuedAfterReserving(Connection c, String tenant, int adding) throws SQLException {
        return count(c, QueuedCounts.RESERVE, tenant, adding) + count(c, QueuedCounts.OTHER_SHARDS, tenant);
    }

    /**
     * Marks the jobs that {@code pick} selects as running, returning them. The SQLite store runs
     * every write on one connection, so the pick cannot race another claim; PostgreSQL's pick
     * locks its rows (FOR UPDATE SKIP LOCKED) and runs this inside its one-statement claim.
     */
    protected final String claimStatement(String pick) {
        return """
                UPDATE jobs SET status = 'running', attempt = attempt + 1, worker_id = ?, lease_expires_at = ?,
                       started_at = COALESCE(started_at, ?), attempt_started_at = ?, updated_at = ?,
                       progress_fraction = NULL, progress_message = NULL
                WHERE id IN (%s)
                RETURNING %s
                """.formatted(pick, JOB_COLUMNS);
    }

    @Override
    public List<Optional<Job>> jobHeartbeat(List<Beat> beats, Instant leaseUntil, Instant now) {
        if (beats.isEmpty()) {
            return List.of();
        }
        if (beats.stream().map(Beat::id).distinct().count() != beats.size()) {
            throw new IllegalArgumentException("one heartbeat per job in a call");
        }
        String row = "(CAST(? AS TEXT), CAST(? AS INTEGER), CAST(? AS DOUBLE PRECISION), CAST(? AS TEXT))";
        String sql = """
                WITH b (id, attempt, fraction, message) AS (VALUES %s)
                UPDATE jobs SET lease_expires_at = ?, updated_at = ?,
                       progress_fraction = COALESCE(b.fraction, jobs.progress_fraction),
                       progress_message = COALESCE(b.message, jobs.progress_message)
                FROM b
                WHERE jobs.id = b.id AND jobs.status = 'running' AND jobs.attempt = b.attempt
                RETURNING %s
                """.formatted(String.join(", ", Collections.nCopies(beats.size(), row)), returningJobs());
        List<Object> args = new ArrayList<>(beats.size() * 4 + 2);
        for (Beat b : beats) {
            args.add(b.id().value());
            args.add(b.attempt());
            args.add(b.progress().fraction());
            args.add(b.progress().message());
        }
        args.add(leaseUntil);
        args.add(now);
        return write(c -> {
            Map<JobId, Job> beaten = new HashMap<>();
            for (Job job : selectMany(c, sql, args.toArray())) {
                beaten.put(job.id(), job);
            }
            // A worker is seen with its heartbeats; its row is written at most once a second, so that
            // concurrent transactions rarely wait for each other's lock on it.
            for (String worker : beaten.values().stream().map(Job::workerId).filter(w -> w != null).distinct().sorted().toList()) {
                update(c, "UPDATE workers SET last_seen = ? WHERE id = ? AND last_seen < ?", now, worker, now.minusSeconds(1));
            }
            List<Optional<Job>> results = new ArrayList<>(beats.size());
            List<EventRow> events = new ArrayList<>();
            for (Beat b : beats) {
                Job job = beaten.get(b.id());
                results.add(Optional.ofNullable(job));
                if (job != null && (b.progress().fraction() != null || b.progress().message() != null)) {
                    var data = JSON.createObjectNode();
                    data.put("fraction", b.progress().fraction());
                    data.put("message", b.progress().message());
                    events.add(new EventRow(job, "progress", data));
                }
            }
            recorder.events(c, events, now);
            return results;
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
                       unbilled_units = jobs.unbilled_units + f.units,
                       unbilled_run_ms = jobs.unbilled_run_ms + CASE WHEN ? > jobs.attempt_started_at THEN ? - jobs.attempt_started_at ELSE 0 END,
                       ended_at = CASE WHEN f.status IN ('succeeded', 'failed', 'cancelled') THEN ? ELSE NULL END,
                       lease_expires_at = NULL, worker_id = NULL, attempt_started_at = NULL, updated_at = ?
                FROM f
                WHERE jobs.id = f.id AND jobs.status = 'running' AND jobs.attempt = f.attempt
                  AND jobs.cancel_requested = f.cancel_requested
                  AND (f.only_expired = 0 OR jobs.lease_expires_at < ? OR jobs.attempt_started_at + jobs.timeout_seconds * 1000 < ?)
                RETURNING %s, %s
                """.formatted(String.join(", ", Collections.nCopies(finishes.size(), row)), returningJobs(),
                UsageLedger.BILLED_COLUMNS);
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
        args.addAll(List.of(now, now, now, now, now, now, now, now));
        Function<String, Price> pricing = prices;
        return write(c -> {
            Map<JobId, Job> finished = new HashMap<>();
            List<UsageLedger.Ended> ended = UsageLedger.selectEnded(c, sql, args.toArray());
            for (UsageLedger.Ended e : ended) {
                finished.put(e.job().id(), e.job());
            }
            UsageLedger.bill(c, ended, pricing);
            QueuedCounts.add(c, QueuedCounts.of(finished.values(), JobStatus.QUEUED, 1)); // retries and hand-backs
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
            recorder.events(c, events, now);
            return results;
        });
    }

    /** The RETURNING list of a statement that updates jobs FROM another relation: only the job's columns. */
    protected String returningJobs() {
        return JOB_COLUMNS;
    }

    @Override
    public List<Job> jobGetMany(Collection<JobId> ids) {
        return queries.getMany(ids);
    }

    @Override
    public List<Job> jobListExpired(Instant now, int limit) {
        return queries.listExpired(now, limit);
    }

    @Override
    public List<QueueCount> jobQueueCounts(Instant now) {
        return queries.queueCounts(now);
    }

    // ---------------------------------------------------------------- lifecycle

    @Override
    public Optional<Job> jobCancel(String tenant, JobId id, Instant now) {
        return jobCancelAll(tenant, List.of(id), now).stream().findFirst();
    }

    @Override
    public List<Job> jobCancelAll(String tenant, List<JobId> ids, Instant now) {
        if (ids.isEmpty()) {
            return List.of();
        }
        Function<String, Price> pricing = prices;
        return write(c -> {
            String in = placeholders(ids.size());
            List<Object> args = new ArrayList<>(List.of(now, now, tenant));
            ids.forEach(id -> args.add(id.value()));
            // A queued job may have run before (an attempt that failed and waits for its retry): billed now.
            List<UsageLedger.Ended> cancelled = UsageLedger.selectEnded(c, """
                    UPDATE jobs SET status = 'cancelled', ended_at = ?, updated_at = ?
                    WHERE tenant = ? AND status = 'queued' AND id IN (%s)
                    RETURNING %s, %s
                    """.formatted(in, JOB_COLUMNS, UsageLedger.BILLED_COLUMNS), args.toArray());
            UsageLedger.bill(c, cancelled, pricing);
            QueuedCounts.add(c, tenant, -cancelled.size());
            List<Job> flagged = selectMany(c, """
                    UPDATE jobs SET cancel_requested = 1, updated_at = ?
                    WHERE tenant = ? AND status = 'running' AND cancel_requested = 0 AND id IN (%s)
                    RETURNING %s
                    """.formatted(in, JOB_COLUMNS), args.subList(1, args.size()).toArray());
            List<EventRecorder.EventRow> events = new ArrayList<>();
            List<Job> changed = new ArrayList<>();
            cancelled.forEach(e -> {
                events.add(new EventRecorder.EventRow(e.job(), "cancelled", null));
                changed.add(e.job());
            });
            flagged.forEach(j -> events.add(new EventRecorder.EventRow(j, "cancel_requested", null)));
            changed.addAll(flagged);
            recorder.events(c, events, now);
            return changed;
        });
    }

    @Override
    public Optional<Job> jobRetry(String tenant, JobId id, Instant now) {
        return jobRetryAll(tenant, List.of(id), now).stream().findFirst();
    }

    @Override
    public List<Job> jobRetryAll(String tenant, List<JobId> ids, Instant now) {
        if (ids.isEmpty()) {
            return List.of();
        }
        Function<String, Price> pricing = prices;
        return write(c -> {
            List<Object> args = new ArrayList<>(List.of(now, now, tenant));
            ids.forEach(id -> args.add(id.value()));
            List<Job> retried = selectMany(c, """
                    UPDATE jobs SET status = 'queued', attempt_offset = attempt, run_at = ?, cancel_requested = 0,
                           result = NULL, error = NULL, ended_at = NULL, progress_fraction = NULL,
                           progress_message = NULL, updated_at = ?
                    WHERE tenant = ? AND status IN ('failed', 'cancelled') AND id IN (%s)
                    RETURNING %s
                    """.formatted(placeholders(ids.size()), JOB_COLUMNS), args.toArray());
            if (!retried.isEmpty()) {
                UsageLedger.rebill(c, retried, pricing);
                QueuedCounts.add(c, tenant, retried.size());
                recorder.events(c, retried.stream().map(j -> new EventRecorder.EventRow(j, "retried", null)).toList(), now);
                claimable(c);
            }
            return retried;
        });
    }

    @Override
    public boolean jobDelete(String tenant, JobId id, Instant now) {
        return removals.delete(tenant, List.of(id), now) == 1;
    }

    @Override
    public int jobDeleteAll(String tenant, List<JobId> ids, Instant now) {
        return removals.delete(tenant, ids, now);
    }

    @Override
    public int jobPruneFinished(Prune prune, Instant now) {
        return removals.pruneFinished(prune, now);
    }

    @Override
    public int idempotencyPrune(Instant now) {
        return write(c -> update(c, "DELETE FROM idempotency_keys WHERE expires_at <= ?", now)
                + update(c, "DELETE FROM idempotent_calls WHERE expires_at <= ?", now));
    }

    // ---------------------------------------------------------------- queues and repeatable calls

    @Override
    public List<QueueState> queueStates(String tenant, Instant now) {
        return read(c -> Operations.queueStates(c, tenant, now));
    }

    @Override
    public Map<String, Instant> queuesPaused() {
        return read(Operations::paused);
    }

    @Override
    public boolean queuePause(String queue, String by, Instant now) {
        return write(c -> update(c, "INSERT INTO paused_queues (queue, paused_at, paused_by) VALUES (?, ?, ?) ON CONFLICT (queue) DO NOTHING",
                queue, now, by) == 1);
    }

    @Override
    public boolean queueResume(String queue) {
        boolean resumed = write(c -> {
            int n = update(c, "DELETE FROM paused_queues WHERE queue = ?", queue);
            if (n > 0) {
                claimable(c);
            }
            return n == 1;
        });
        return resumed;
    }

    @Override
    public Optional<CallSeen> callBegin(Call call, Instant now, Instant staleBefore) {
        return write(c -> Operations.begin(c, call, null, now, staleBefore));
    }

    @Override
    public void callAnswer(Call call, String answer) {
        write(c -> update(c, "UPDATE idempotent_calls SET answer = ? WHERE tenant = ? AND route = ? AND idem_key = ?",
                answer, call.tenant(), call.route(), call.key()));
    }

    @Override
    public void callForget(Call call) {
        write(c -> update(c, "DELETE FROM idempotent_calls WHERE tenant = ? AND route = ? AND idem_key = ? AND answer IS NULL",
                call.tenant(), call.route(), call.key()));
    }

    // ---------------------------------------------------------------- what differs by database

    /**
     * Inserts new queued jobs of one tenant, each row the values of {@link JobInserts#INSERT_JOB}
     * in its order, and counts them into {@code countFor}'s queue (null: counted already). Here one
     * statement, run as a batch for many rows, and one for the count; a database with a better way
     * overrides it.
     */
    protected void insertJobs(Connection c, List<Object[]> rows, String countFor) throws SQLException {
        if (rows.size() == 1) {
            update(c, JobInserts.INSERT_JOB, rows.getFirst());
        } else {
            try (PreparedStatement ps = c.prepareStatement(JobInserts.INSERT_JOB)) {
                for (Object[] row : rows) {
                    Sql.bind(ps, row);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }
        if (countFor != null) {
            QueuedCounts.add(c, countFor, rows.size());
        }
    }

    /**
     * What a pick of rows to update adds so that concurrent writers skip each other's rows: nothing
     * where every write goes through one connection.
     */
    protected String lockPicked(String alias) {
        return "";
    }

    /**
     * Calls {@code wakeUp} when another process recorded job events (see {@link EventLog#onEvents}).
     * Nothing to report where there is one node.
     */
    protected void onEvents(Runnable wakeUp) {}

}
