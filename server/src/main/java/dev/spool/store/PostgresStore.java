package dev.spool.store;

import static dev.spool.store.JobRows.jobColumns;
import static dev.spool.store.Sql.placeholders;
import static dev.spool.store.Sql.prepare;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.spool.job.Job;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.flywaydb.core.Flyway;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared store for several nodes: one PostgreSQL database. Each node commits its writes
 * through a {@link GroupCommitWriter} with several lanes (concurrent submits, heartbeats and
 * completions share a commit, and several commits are in flight at once), reads through a small
 * pool, and listens for the other nodes' notifications.
 *
 * <p>Only what differs from SQLite is here: claims lock the rows they pick ({@code FOR UPDATE SKIP
 * LOCKED}), one index walk per type, capped types take an advisory lock, commits that made jobs
 * claimable or recorded events are told to the other nodes by {@code NOTIFY} after they commit,
 * and metadata is filtered with {@code ->>}.
 */
public final class PostgresStore extends JdbcStore {
    private static final Logger log = LoggerFactory.getLogger(PostgresStore.class);
    static final String CHANNEL = "spool_claimable";
    static final String EVENTS_CHANNEL = "spool_events";

    /**
     * @param url              {@code postgresql://user:password@host:port/database} or a JDBC URL
     * @param schema           the schema Spool's tables live in (created if missing)
     * @param poolSize         read connections; each node also holds {@code writeConnections} and one listener
     * @param statementTimeoutMs longest a statement may run before the database cancels it
     * @param connectTimeoutMs   longest a call waits for a connection: to open one, or for the pool to lend one
     * @param writeConnections the writer's lanes: write transactions in flight at once
     */
    public record Settings(String url, String schema, int poolSize, int statementTimeoutMs, int groupCommitMax,
                           int connectTimeoutMs, int writeConnections) {
        /** The default number of write lanes. */
        public static final int WRITE_CONNECTIONS = 4;

        public Settings(String url, String schema, int poolSize, int statementTimeoutMs, int groupCommitMax) {
            this(url, schema, poolSize, statementTimeoutMs, groupCommitMax, 5_000, WRITE_CONNECTIONS);
        }

        /** Longest a caller waits for its write: a statement's time and a reconnection's. */
        Duration maxWait() {
            return Duration.ofMillis((long) statementTimeoutMs + connectTimeoutMs);
        }
    }

    private final Settings settings;
    private final Connecting connecting;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final List<Runnable> eventListeners = new CopyOnWriteArrayList<>();
    private volatile Thread listener;
    private volatile boolean closed;
    private HikariDataSource buckets;

    /** A JDBC URL and its credentials, taken apart from the URL the operator gave. */
    private record Connecting(String jdbcUrl, Properties properties, String redacted) {
        Connection open() throws SQLException {
            return DriverManager.getConnection(jdbcUrl, properties);
        }
    }

    /** What a lane's transaction will tell the other nodes once it has committed; the lane's thread only. */
    private static final class Telling {
        boolean claimable;
        boolean events;
    }

    private final ThreadLocal<Telling> telling = ThreadLocal.withInitial(Telling::new);
    private final AtomicBoolean tellClaimable = new AtomicBoolean();
    private final AtomicBoolean tellEvents = new AtomicBoolean();
    private final Semaphore tell = new Semaphore(0);
    private final Thread notifier;

    private PostgresStore(Settings settings, Connecting connecting, GroupCommitWriter writer, HikariDataSource readers,
                          Reachability reachability) {
        super(writer, readers, reachability);
        this.settings = settings;
        this.connecting = connecting;
        writer.afterCommit(() -> {
            Telling t = telling.get();
            if (t.claimable || t.events) {
                if (t.claimable) {
                    tellClaimable.set(true);
                }
                if (t.events) {
                    tellEvents.set(true);
                }
                t.claimable = false;
                t.events = false;
                tell.release();
            }
        });
        this.notifier = Thread.ofPlatform().name("spool-postgres-notify").daemon().start(this::notifyLoop);
    }

    /**
     * Tells the other nodes, after the commits, what the commits did: {@code NOTIFY} sent on a
     * connection of its own in a transaction of its own, one at a time, whatever came meanwhile
     * folded into the next. Not inside the write transactions: PostgreSQL serializes committing
     * transactions that notify (a lock held through the commit's flush), which made the writer's
     * lanes commit one at a time. A notification that cannot be sent is dropped (the connection is
     * opened again for the next); the other nodes poll as well.
     */
    private void notifyLoop() {
        Connection c = null;
        long lastFailure = 0;
        while (!closed) {
            try {
                if (!tell.tryAcquire(500, TimeUnit.MILLISECONDS)) {
                    continue;
                }
            } catch (InterruptedException e) {
                break;
            }
            tell.drainPermits();
            boolean claimable = tellClaimable.getAndSet(false);
            boolean events = tellEvents.getAndSet(false);
            if (closed || !claimable && !events || System.nanoTime() - lastFailure < TimeUnit.SECONDS.toNanos(1)) {
                continue; // nothing to say, or the database failed just now (its outage is logged by the writer)
            }
            String sql = claimable && events ? "SELECT pg_notify(?, ''), pg_notify(?, '')" : "SELECT pg_notify(?, '')";
            Object[] channels = claimable && events ? new Object[] {CHANNEL, EVENTS_CHANNEL}
                    : new Object[] {claimable ? CHANNEL : EVENTS_CHANNEL};
            try {
                if (c == null) {
                    c = connecting.open();
                }
                try (PreparedStatement ps = prepare(c, sql, channels)) {
                    ps.execute();
                }
            } catch (SQLException | RuntimeException e) {
                lastFailure = System.nanoTime();
                closeQuietly(c);
                c = null;
            }
        }
        closeQuietly(c);
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // going anyway
            }
        }
    }

    public static PostgresStore open(Settings settings) {
        Connecting connecting = connecting(settings);
        try {
            Flyway.configure()
                    .dataSource(connecting.jdbcUrl(), connecting.properties().getProperty("user"),
                            connecting.properties().getProperty("password"))
                    .schemas(settings.schema())
                    .locations("classpath:db/migration/postgresql")
                    .load()
                    .migrate();
            HikariConfig pool = new HikariConfig();
            pool.setPoolName("spool-postgres-read");
            pool.setJdbcUrl(connecting.jdbcUrl());
            pool.setDataSourceProperties(connecting.properties());
            pool.setMaximumPoolSize(settings.poolSize());
            pool.setMinimumIdle(1);
            pool.setAutoCommit(true);
            pool.setConnectionTimeout(Math.max(250, settings.connectTimeoutMs()));
            pool.setValidationTimeout(Math.max(250, Math.min(settings.connectTimeoutMs(), 5_000)));
            HikariDataSource readers = new HikariDataSource(pool);
            // Reads and writes are watched apart: the writer's one connection comes back at once,
            // the read pool on its own schedule, and each says so once.
            Reachability reachability = new Reachability("PostgreSQL database (reads)");
            GroupCommitWriter writer = new GroupCommitWriter(connecting::open, settings.writeConnections(),
                    settings.groupCommitMax(), settings.maxWait(), new Reachability("PostgreSQL database (writes)"));
            return new PostgresStore(settings, connecting, writer, readers, reachability);
        } catch (SQLException | RuntimeException e) {
            throw new IllegalStateException("cannot open PostgreSQL database " + connecting.redacted() + ": " + e.getMessage(), e);
        }
    }

    /** Accepts the libpq URL form operators know as well as a JDBC URL; the schema and timeout go into every session. */
    private static Connecting connecting(Settings settings) {
        String url = settings.url();
        Properties properties = new Properties();
        String jdbcUrl;
        if (url.startsWith("jdbc:postgresql:")) {
            jdbcUrl = url;
        } else if (url.startsWith("postgresql://") || url.startsWith("postgres://")) {
            URI uri = URI.create(url);
            if (uri.getRawUserInfo() != null) {
                String[] parts = uri.getRawUserInfo().split(":", 2);
                properties.setProperty("user", URLDecoder.decode(parts[0], StandardCharsets.UTF_8));
                if (parts.length > 1) {
                    properties.setProperty("password", URLDecoder.decode(parts[1], StandardCharsets.UTF_8));
                }
            }
            String hostPort = uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
            jdbcUrl = "jdbc:postgresql://" + hostPort + uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        } else {
            throw new IllegalArgumentException("storage.database must be a PostgreSQL URL (postgresql://user:password@host:5432/db), not " + url);
        }
        properties.setProperty("currentSchema", settings.schema());
        properties.setProperty("options", "-c statement_timeout=" + settings.statementTimeoutMs());
        // Bounded waits on the wire too: a database that stops answering mid-statement (a cut
        // network, a frozen host) must not hold a request, or the writer, forever.
        properties.setProperty("connectTimeout", String.valueOf(Math.max(1, settings.connectTimeoutMs() / 1000)));
        properties.setProperty("loginTimeout", String.valueOf(Math.max(1, settings.connectTimeoutMs() / 1000)));
        properties.setProperty("socketTimeout", String.valueOf((settings.maxWait().toMillis() + 999) / 1000));
        properties.setProperty("tcpKeepAlive", "true");
        properties.setProperty("ApplicationName", "spool");
        // A batch of inserts (jobs, events) goes to the server as multi-row statements: one round trip, not one a row.
        properties.setProperty("reWriteBatchedInserts", "true");
        String redacted = jdbcUrl.replaceAll("password=[^&]*", "password=<redacted>");
        return new Connecting(jdbcUrl, properties, redacted);
    }

    /** A connection of its own, outside the pool and the writer: for bulk work such as {@link DataCopy}. */
    Connection connect() throws SQLException {
        return connecting.open();
    }

    /**
     * Each share's jobs come from its key's claim index (type or queue, then tenant, then the
     * claim's order), at most the share's limit of them, in one LATERAL walk per share, and the
     * best of those are taken by turns. One index walk per share in exactly the claim's order,
     * whatever the planner knows of the table: with one {@code type IN (…)} pick, a table not yet
     * analyzed (a burst into a new database) got a plan that read and sorted every queued job of
     * the types on every claim (45 ms for 50,000 jobs instead of 0.3). Concurrent claimers, here or
     * on other nodes, skip the rows one has locked instead of waiting (a share's surplus stays
     * locked only until this transaction commits).
     */
    @Override
    protected String claimPick(Pick pick, List<Share> shares, List<Object> args) {
        args.add(shares.stream().map(Share::key).toArray(String[]::new));
        args.add(shares.stream().map(Share::tenant).toArray(String[]::new));
        args.add(shares.stream().map(Share::limit).toArray(Integer[]::new));
        return lateralPick(pick, "unnest(?::text[], ?::text[], ?::int4[]) AS s (k, tenant, lim)", args);
    }

    /**
     * The pick of {@link #claimPick} over shares {@code s (k, tenant, lim)} from {@code source}
     * (whose arguments the caller has added); its own arguments are appended to {@code args}.
     */
    private static String lateralPick(Pick pick, String source, List<Object> args) {
        StringBuilder each = new StringBuilder("SELECT id, priority, run_at FROM jobs WHERE status = 'queued' AND ")
                .append(pick.keyColumn()).append(" = s.k AND tenant = s.tenant AND run_at <= ?").append(NOT_PAUSED);
        args.add(pick.now());
        if (pick.filtersQueues()) {
            // Compared as an expression, so that the planner walks the type's claim index (in the
            // claim's order) rather than the queue's.
            each.append(" AND (queue || '') IN (").append(placeholders(pick.queues().size())).append(')');
            args.addAll(pick.queues());
        }
        each.append(" ORDER BY priority DESC, run_at, id LIMIT s.lim FOR UPDATE SKIP LOCKED");
        args.add(pick.limit());
        return """
                SELECT id FROM (
                    SELECT p.id, p.priority, p.run_at,
                           row_number() OVER (PARTITION BY s.tenant, p.priority ORDER BY p.run_at, p.id) AS turn
                    FROM %s
                    CROSS JOIN LATERAL (%s) p
                ) x ORDER BY priority DESC, turn, run_at, id LIMIT ?
                """.formatted(source, each);
    }

    /**
     * A claim in fair shares as one statement: the tenants with work found by the skip scan, each
     * one's share taken by its LATERAL walk, the jobs marked running, and their tenants' queued
     * counts lowered, in one round trip. (Two statements and a third for the counts cost a burst
     * on PostgreSQL about a tenth of its rate.)
     */
    @Override
    protected List<Job> claimShared(Connection c, Claim claim, Pick pick) throws SQLException {
        List<Object> args = new ArrayList<>();
        String tenants = tenantsWithWork(pick, args);
        args.add(pick.limit());
        args.add(pick.limit());
        String with = """
                WITH RECURSIVE %s,
                s AS (
                    SELECT t.k, t.tenant, least(?::int, 2 * ((?::int + n.n - 1) / n.n))::int AS lim
                    FROM t, (SELECT greatest(count(DISTINCT tenant), 1) AS n FROM t WHERE tenant IS NOT NULL) n
                    WHERE t.tenant IS NOT NULL
                ),
                """.formatted(tenants); // lim: as JdbcStore.fairPart
        return claimCounted(c, with, lateralPick(pick, "s", args), claim, pick, args);
    }

    /** The SQL types of {@link JobInserts#INSERT_COLUMNS}' values, in order: each goes in as one array. */
    private static final List<String> JOB_VALUE_TYPES = List.of("text", "text", "text", "text", "text", "int4", "text",
            "text", "text", "text", "text", "int4", "int4", "int8", "int8", "int8", "text", "text");

    private static final String INSERT_JOBS;

    static {
        if (JOB_VALUE_TYPES.size() != JobInserts.INSERT_COLUMNS.size()) {
            throw new IllegalStateException("a type for each column of a new job");
        }
        String columns = String.join(", ", JobInserts.INSERT_COLUMNS);
        INSERT_JOBS = "INSERT INTO jobs (" + columns + ", status) SELECT " + columns + ", 'queued' FROM unnest("
                + String.join(", ", JOB_VALUE_TYPES.stream().map(t -> "?::" + t + "[]").toList()) + ") AS v(" + columns + ")";
    }

    /**
     * One statement: many jobs as one array per column, spread back into rows by {@code unnest}
     * (one job as plain values), and, when they are to be counted, the count added to the
     * tenant's queue by the same statement.
     */
    @Override
    protected void insertJobs(Connection c, List<Object[]> rows, String countFor) throws SQLException {
        boolean one = rows.size() == 1;
        String insert = one ? JobInserts.INSERT_JOB : INSERT_JOBS;
        String sql = countFor == null ? insert : "WITH ins AS (" + insert + " RETURNING tenant) "
                + "INSERT INTO tenant_queued (tenant, shard, queued) SELECT tenant, ?, count(*) FROM ins GROUP BY tenant "
                + "ON CONFLICT (tenant, shard) DO UPDATE SET queued = tenant_queued.queued + excluded.queued";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int next = 1;
            if (one) {
                Sql.bind(ps, rows.getFirst());
                next += rows.getFirst().length;
            } else {
                for (int col = 0; col < JOB_VALUE_TYPES.size(); col++) {
                    Object[] values = new Object[rows.size()];
                    for (int r = 0; r < rows.size(); r++) {
                        values[r] = Sql.bindable(rows.get(r)[col]);
                    }
                    ps.setArray(next++, c.createArrayOf(JOB_VALUE_TYPES.get(col), values));
                }
            }
            if (countFor != null) {
                ps.setInt(next, UsageLedger.shard());
            }
            ps.executeUpdate();
        }
    }

    @Override
    protected String lockPicked(String alias) {
        return " FOR UPDATE OF " + alias + " SKIP LOCKED";
    }

    /**
     * A small pool of its own, opened when first asked for: a bucket's read-modify-write is one
     * short transaction, committed without waiting for the disk (a bucket's state lost in a crash
     * only lets a few requests through twice; waiting for a flush on every sync would hold the
     * requests behind it).
     */
    @Override
    protected synchronized java.util.Optional<javax.sql.DataSource> sharedBuckets() {
        if (buckets == null) {
            HikariConfig pool = new HikariConfig();
            pool.setPoolName("spool-postgres-limits");
            pool.setJdbcUrl(connecting.jdbcUrl());
            pool.setDataSourceProperties(connecting.properties());
            pool.setMaximumPoolSize(2);
            pool.setMinimumIdle(1);
            pool.setConnectionInitSql("SET synchronous_commit = off");
            pool.setConnectionTimeout(Math.max(250, settings.connectTimeoutMs()));
            pool.setInitializationFailTimeout(-1); // the database may be down now; the limiter copes
            buckets = new HikariDataSource(pool);
        }
        return java.util.Optional.of(buckets);
    }

    @Override
    protected void eventsRecorded(Connection c) {
        telling.get().events = true;
    }

    @Override
    protected void onEvents(Runnable wakeUp) {
        eventListeners.add(wakeUp);
        startListening();
    }

    @Override
    protected String returningJobs() {
        return jobColumns("jobs"); // unqualified, they would be ambiguous with the FROM relation's
    }

    @Override
    protected void lockType(Connection c, String type) throws SQLException {
        try (PreparedStatement ps = prepare(c, "SELECT pg_advisory_xact_lock(hashtext(?))", "spool.type:" + type)) {
            ps.execute();
        }
    }

    /**
     * One statement: the reserved row is locked and added to, and the other shards (claims,
     * retries, cancels) are read as the statement started, which can only count a claim that
     * committed meanwhile as still queued (a submit refused a moment early, never one let in past
     * the bound).
     */
    @Override
    protected long queuedAfterReserving(Connection c, String tenant, int adding) throws SQLException {
        return Sql.count(c, "WITH mine AS (" + QueuedCounts.RESERVE + ") SELECT (SELECT queued FROM mine) + ("
                + QueuedCounts.OTHER_SHARDS + ")", tenant, adding, tenant);
    }

    /**
     * Two statements whatever the number of tenants: their locks taken in name order (so that two
     * claims never wait for each other in a circle), then their running jobs counted; the count
     * runs after the locks are held, so it sees every claim of theirs that committed before.
     */
    @Override
    protected Map<String, Long> roomUnder(Connection c, Map<String, Long> caps) throws SQLException {
        if (caps.isEmpty()) {
            return Map.of();
        }
        String[] tenants = caps.keySet().toArray(String[]::new);
        Long[] quotas = caps.values().toArray(Long[]::new);
        try (PreparedStatement ps = prepare(c, """
                SELECT count(pg_advisory_xact_lock(hashtext('spool.tenant.running:' || t)))
                FROM (SELECT t FROM unnest(?::text[]) AS t ORDER BY t) ordered
                """, (Object) tenants)) {
            ps.execute();
        }
        Map<String, Long> room = new HashMap<>();
        try (PreparedStatement ps = prepare(c, """
                SELECT q.t, q.cap - (SELECT count(*) FROM (SELECT 1 FROM jobs WHERE status = 'running' AND tenant = q.t LIMIT q.cap) r)
                FROM unnest(?::text[], ?::int8[]) AS q (t, cap)
                """, tenants, quotas); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                room.put(rs.getString(1), rs.getLong(2));
            }
        }
        return room;
    }

    /** One statement: the shares' jobs picked, marked running, and counted out of their tenants' queues. */
    @Override
    protected List<Job> claimShares(Connection c, Claim claim, Pick pick, List<Share> shares) throws SQLException {
        if (shares.isEmpty()) {
            return List.of();
        }
        List<Object> args = new ArrayList<>();
        String picked = claimPick(pick, shares, args);
        return claimCounted(c, "WITH ", picked, claim, pick, args);
    }

    /**
     * Runs {@code picked} (after the CTEs of {@code with}, which ends ready for one more), marks
     * its jobs running, and counts them out of their tenants' queues, in one statement. The pick is
     * fenced in a MATERIALIZED CTE: it runs once, so the planner cannot run it again for the
     * UPDATE (with SKIP LOCKED, a second run would pick other rows: more than the LIMIT claimed),
     * nor fold it into the UPDATE's plan.
     */
    private List<Job> claimCounted(Connection c, String with, String picked, Claim claim, Pick pick, List<Object> args)
            throws SQLException {
        args.addAll(claimSets(claim, pick.now()));
        args.add(UsageLedger.shard());
        String sql = with + """
                picked AS MATERIALIZED (%s),
                claimed AS (%s),
                counted AS (
                    INSERT INTO tenant_queued (tenant, shard, queued)
                    SELECT tenant, ?, -count(*) FROM claimed GROUP BY tenant ORDER BY tenant
                    ON CONFLICT (tenant, shard) DO UPDATE SET queued = tenant_queued.queued + excluded.queued
                )
                SELECT %s FROM claimed
                """.formatted(picked, claimStatement("SELECT id FROM picked").strip(), JobRows.JOB_COLUMNS);
        return JobRows.selectMany(c, sql, args.toArray());
    }

    @Override
    protected void claimable(Connection c) {
        telling.get().claimable = true;
    }

    @Override
    protected String metadataEquals() {
        return "(metadata::jsonb ->> ?) = ?";
    }

    @Override
    protected String metadataPath(String key) {
        return key;
    }

    @Override
    public void onClaimable(Runnable wakeUp) {
        listeners.add(wakeUp);
        startListening();
    }

    private void startListening() {
        synchronized (this) {
            if (listener == null) {
                listener = Thread.ofPlatform().name("spool-postgres-listen").daemon().start(this::listen);
            }
        }
    }

    /**
     * Waits for other nodes' notifications on a connection of its own and wakes this node's claim
     * loop. Notifications can be lost (a broken connection, a transaction-mode pooler in between);
     * the claim loop's polling is the fallback, so this loop only has to be fast, not perfect.
     */
    private void listen() {
        boolean failing = false;
        while (!closed) {
            try (Connection c = connecting.open(); Statement s = c.createStatement()) {
                s.execute("LISTEN " + CHANNEL);
                s.execute("LISTEN " + EVENTS_CHANNEL);
                if (failing) {
                    log.info("listening for other nodes' notifications again");
                    failing = false;
                }
                PGConnection pg = c.unwrap(PGConnection.class);
                while (!closed) {
                    PGNotification[] notifications = pg.getNotifications(500);
                    if (notifications == null) {
                        continue;
                    }
                    boolean claimable = false;
                    boolean events = false;
                    for (PGNotification n : notifications) {
                        claimable |= n.getName().equals(CHANNEL);
                        events |= n.getName().equals(EVENTS_CHANNEL);
                    }
                    if (claimable) {
                        listeners.forEach(Runnable::run);
                    }
                    if (events) {
                        eventListeners.forEach(Runnable::run);
                    }
                }
            } catch (SQLException e) {
                if (!closed) {
                    if (!failing) { // once per outage, not once a second
                        log.warn("listening for notifications failed ({}); polling covers it while it reconnects",
                                Reachability.rootMessage(e));
                        failing = true;
                    }
                    try {
                        Thread.sleep(1000);
                    } catch (InterruptedException interrupted) {
                        return;
                    }
                }
            }
        }
    }

    @Override
    protected String databaseNowMillis() {
        return "(extract(epoch FROM clock_timestamp()) * 1000)::bigint";
    }

    @Override
    public String describe() {
        return "postgresql:" + connecting.redacted() + " (schema " + settings.schema() + ")";
    }

    @Override
    public void close() {
        closed = true;
        super.close();
        synchronized (this) {
            if (buckets != null) {
                buckets.close();
            }
        }
        tell.release();
        try {
            notifier.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Thread l = listener;
        if (l != null) {
            try {
                l.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
