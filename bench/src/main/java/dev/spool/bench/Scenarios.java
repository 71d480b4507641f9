package dev.spool.bench;

import dev.spool.store.PostgresStore;
import dev.spool.store.SqliteStore;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.DoubleStream;

/** One round of each scenario against a fresh database; each returns its figures and the node's peak RSS. */
final class Scenarios {
    static final String WORKER_TYPE = "bench.work";
    private static final String WORKER_TYPES_YAML = "types:\n  " + WORKER_TYPE + ":\n    executor: worker\n";
    private static final String ECHO = "{\"type\": \"echo\", \"input\": {}}";

    /** A round's figures (name → value) and the most resident memory any of its nodes held, in MiB. */
    record Round(java.util.Map<String, Double> figures, double peakRssMib) {
        static Round of(double rss, Object... pairs) {
            var figures = new java.util.LinkedHashMap<String, Double>();
            for (int i = 0; i < pairs.length; i += 2) {
                figures.put((String) pairs[i], ((Number) pairs[i + 1]).doubleValue());
            }
            return new Round(figures, rss);
        }
    }

    private final Bench.Options options;

    Scenarios(Bench.Options options) {
        this.options = options;
    }

    private SpoolNode node(Db.Instance db, String name, int slots, String yaml) throws Exception {
        return new SpoolNode(db, name, slots, yaml + "\n" + options.serverYaml(), options.serverJvm());
    }

    // ---------------------------------------------------------------- throughput

    /** {@code jobs} echo jobs through POST /v1/batches (1,000 a request, 4 in flight), run in the node. */
    Round burst(Db db) throws Exception {
        Db.Instance instance = db.fresh();
        try (SpoolNode node = node(instance, "burst", options.slots(), "")) {
            Http http = new Http(node.uri, node.key("tenant"));
            long t0 = System.currentTimeMillis();
            submitBatches(http, "echo", options.burst());
            long submitted = System.currentTimeMillis();
            long end = awaitSucceeded(instance, options.burst());
            timeline(instance, t0, submitted);
            return Round.of(node.peakRssMib(), "jobs_per_s", options.burst() / ((end - t0) / 1000.0));
        }
    }

    static void timeline(Db.Instance instance, long t0, long submitted) throws Exception {
        try (Connection c = instance.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT min(created_at), max(created_at), min(started_at), max(started_at), max(ended_at), "
                        + "avg(started_at - created_at), avg(ended_at - started_at) FROM jobs")) {
            rs.next();
            System.err.printf("  submits answered +%d ms; created +%d..+%d, started +%d..+%d, ended by +%d; avg wait %.0f ms, avg run %.1f ms%n",
                    submitted - t0, rs.getLong(1) - t0, rs.getLong(2) - t0, rs.getLong(3) - t0, rs.getLong(4) - t0,
                    rs.getLong(5) - t0, rs.getDouble(6), rs.getDouble(7));
        }
    }

    /** The burst again, run by worker processes over the HTTP worker protocol. */
    Round workers(Db db) throws Exception {
        Db.Instance instance = db.fresh();
        try (SpoolNode node = node(instance, "workers", 0, WORKER_TYPES_YAML)) {
            Http http = new Http(node.uri, node.key("tenant"));
            String workerKey = node.key("worker");
            List<Process> workers = new ArrayList<>();
            try {
                for (int i = 0; i < options.workers(); i++) {
                    workers.add(new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"),
                            "-cp", System.getProperty("java.class.path"), WorkerMain.class.getName(),
                            node.uri.toString(), workerKey, WORKER_TYPE, String.valueOf(options.workerConcurrency()))
                            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                            .redirectError(ProcessBuilder.Redirect.DISCARD).start());
                }
                Thread.sleep(2000); // the workers' JVMs start and wait on their first claim
                long t0 = System.currentTimeMillis();
                submitBatches(http, WORKER_TYPE, options.workerJobs());
                long end = awaitSucceeded(instance, options.workerJobs());
                return Round.of(node.peakRssMib(), "jobs_per_s", options.workerJobs() / ((end - t0) / 1000.0));
            } finally {
                for (Process p : workers) {
                    p.getOutputStream().close();
                }
                for (Process p : workers) {
                    if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                    }
                }
            }
        }
    }

    /** {@code clients} concurrent clients each POST /v1/jobs one job at a time; the node runs them. */
    Round single(Db db) throws Exception {
        Db.Instance instance = db.fresh();
        try (SpoolNode node = node(instance, "single", options.slots(), "")) {
            String key = node.key("tenant");
            int total = options.single();
            AtomicInteger next = new AtomicInteger();
            List<Http> clients = clients(node, key);
            long t0 = System.currentTimeMillis();
            List<Thread> threads = new ArrayList<>();
            for (int c = 0; c < options.clients(); c++) {
                Http http = clients.get(c % clients.size());
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        while (next.getAndIncrement() < total) {
                            Http.ok(http.post("/v1/jobs", ECHO));
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            long end = awaitSucceeded(instance, total);
            return Round.of(node.peakRssMib(), "jobs_per_s", total / ((end - t0) / 1000.0));
        }
    }

    // ---------------------------------------------------------------- latency

    /**
     * An open-loop load: job i is sent at start + i/rate whatever happened to the ones before, so
     * a slow server cannot slow the load down. Submit-to-start is the job's started_at minus its
     * created_at, both stamped by Spool (millisecond resolution). With {@code acrossNodes}, jobs
     * are submitted to a node that runs nothing and run by another node on the same database.
     */
    Round latency(Db db, boolean acrossNodes) throws Exception {
        Db.Instance instance = db.fresh();
        try (SpoolNode runner = node(instance, "runner", options.slots(), "");
             SpoolNode front = acrossNodes ? node(instance, "front", 0, "") : null) {
            SpoolNode submitTo = acrossNodes ? front : runner;
            Http http = new Http(submitTo.uri, submitTo.key("tenant"));
            // warm up: the JIT and the connections, not measured
            int warmSeconds = Math.max(1, options.latencySeconds() / 4);
            openLoop(http, options.rate(), warmSeconds);
            int warm = options.rate() * warmSeconds;
            awaitSucceeded(instance, warm);
            long since;
            try (Connection c = instance.connect(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT max(created_at) FROM jobs")) {
                rs.next();
                since = rs.getLong(1);
            }
            double lag = openLoop(http, options.rate(), options.latencySeconds());
            int total = warm + options.rate() * options.latencySeconds();
            awaitSucceeded(instance, total);
            List<Double> waits = new ArrayList<>();
            try (Connection c = instance.connect();
                 PreparedStatement ps = c.prepareStatement("SELECT started_at - created_at FROM jobs WHERE created_at > ?")) {
                ps.setLong(1, since);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        waits.add((double) rs.getLong(1));
                    }
                }
            }
            double[] w = waits.stream().mapToDouble(Double::doubleValue).toArray();
            double rss = Math.max(runner.peakRssMib(), front == null ? 0 : front.peakRssMib());
            return Round.of(rss, "p50_ms", Stats.percentile(w, 50), "p99_ms", Stats.percentile(w, 99),
                    "p999_ms", Stats.percentile(w, 99.9), "send_lag_p99_ms", lag);
        }
    }

    /** Sends {@code rate} jobs a second for {@code seconds}, each at its fixed time; returns the p99 send lag in ms. */
    private static double openLoop(Http http, int rate, int seconds) throws Exception {
        int total = rate * seconds;
        long periodNanos = 1_000_000_000L / rate;
        List<CompletableFuture<HttpResponse<byte[]>>> sent = new ArrayList<>(total);
        double[] lag = new double[total];
        long start = System.nanoTime() + 10_000_000;
        for (int i = 0; i < total; i++) {
            long due = start + i * periodNanos;
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            lag[i] = (System.nanoTime() - due) / 1e6;
            sent.add(http.postAsync("/v1/jobs", ECHO));
        }
        for (var f : sent) {
            Http.ok(f.get());
        }
        return Stats.percentile(lag, 99);
    }

    // ---------------------------------------------------------------- reads

    /** {@code readConnections} clients GET /v1/jobs/{id} of 1,000 stored jobs as fast as they are answered. */
    Round reads(Db db) throws Exception {
        Db.Instance instance = db.fresh();
        try (SpoolNode node = node(instance, "reads", options.slots(), "")) {
            String key = node.key("tenant");
            Http http = new Http(node.uri, key);
            List<String> ids = new ArrayList<>();
            for (var job : http.postJson("/v1/batches", batch("echo", 1000)).get("jobs")) {
                ids.add(job.get("id").asText());
            }
            awaitSucceeded(instance, 1000);
            List<Http> clients = clients(node, key);
            readFor(clients, ids, Duration.ofSeconds(Math.max(1, options.readSeconds() / 3))); // warm-up
            double[][] result = readFor(clients, ids, Duration.ofSeconds(options.readSeconds()));
            double[] latencies = result[0];
            var wrk = Wrk.find();
            if (wrk.isEmpty()) {
                System.err.println("reads: no wrk on this machine (apt-get install wrk); only the Java clients' figure");
                return Round.of(node.peakRssMib(), "req_per_s", latencies.length / result[1][0],
                        "p99_ms", Stats.percentile(latencies, 99));
            }
            Wrk.Result w = Wrk.run(wrk.get(), node.uri + "/v1/jobs/" + ids.getFirst(), key, options.readConnections(),
                    Duration.ofSeconds(options.readSeconds()), node);
            return Round.of(node.peakRssMib(), "req_per_s", latencies.length / result[1][0],
                    "p99_ms", Stats.percentile(latencies, 99), "wrk_req_per_s", w.requestsPerSecond(),
                    "wrk_p99_ms", w.p99Ms(), "wrk_cores", w.wrkCores(), "server_cores", w.serverCores());
        }
    }

    /** Returns {latencies in ms, {elapsed seconds}}. */
    private double[][] readFor(List<Http> clients, List<String> ids, Duration duration) throws Exception {
        long end = System.nanoTime() + duration.toNanos();
        List<double[]> perThread = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        long start = System.nanoTime();
        for (int c = 0; c < options.readConnections(); c++) {
            Http http = clients.get(c % clients.size());
            DoubleStream.Builder mine = DoubleStream.builder();
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    while (System.nanoTime() < end) {
                        String id = ids.get(ThreadLocalRandom.current().nextInt(ids.size()));
                        long t = System.nanoTime();
                        HttpResponse<byte[]> res = http.get("/v1/jobs/" + id);
                        double ms = (System.nanoTime() - t) / 1e6;
                        if (res.statusCode() != 200) {
                            throw new IllegalStateException("GET a job answered " + res.statusCode());
                        }
                        mine.add(ms);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                synchronized (perThread) {
                    perThread.add(mine.build().toArray());
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        double[] all = perThread.stream().flatMapToDouble(java.util.Arrays::stream).toArray();
        return new double[][] {all, {elapsed}};
    }

    // ---------------------------------------------------------------- scale

    /**
     * Claim and list with {@code stored} jobs in the database (finished jobs of the bench tenant,
     * written straight into the table): p99 of {@code scaleOps} claims of one queued job each
     * (POST /v1/worker/claim) and of as many lists of the newest 50 jobs (GET /v1/jobs?limit=50),
     * the median of {@code rounds} such rounds on the one filled database.
     */
    Round scale(Db db, long stored) throws Exception {
        Db.Instance instance = db.fresh();
        migrate(instance);
        long filling = System.nanoTime();
        fill(instance, db instanceof Db.Postgres, stored);
        System.err.printf("  filled %,d jobs in %.0f s%n", stored, (System.nanoTime() - filling) / 1e9);
        try (SpoolNode node = node(instance, "scale", 0, WORKER_TYPES_YAML)) {
            Http tenant = new Http(node.uri, node.key("tenant"));
            Http worker = new Http(node.uri, node.key("worker"));
            int ops = options.scaleOps();
            int rounds = options.rounds();
            submitBatches(tenant, WORKER_TYPE, ops * rounds + Math.min(100, ops));
            String claim = "{\"worker_id\": \"bench\", \"types\": [\"" + WORKER_TYPE + "\"], \"max\": 1, \"wait_seconds\": 0}";
            for (int i = 0; i < Math.min(100, ops); i++) { // warm-up
                Http.ok(worker.post("/v1/worker/claim", claim));
                Http.ok(tenant.get("/v1/jobs?limit=50"));
            }
            List<Double> claimP99 = new ArrayList<>();
            List<Double> listP99 = new ArrayList<>();
            for (int round = 0; round < rounds; round++) {
                double[] claims = new double[ops];
                double[] lists = new double[ops];
                for (int i = 0; i < ops; i++) {
                    long t = System.nanoTime();
                    var claimed = Http.ok(worker.post("/v1/worker/claim", claim));
                    claims[i] = (System.nanoTime() - t) / 1e6;
                    if (claimed.get("jobs").size() != 1) {
                        throw new IllegalStateException("a claim found no job: " + claimed);
                    }
                    t = System.nanoTime();
                    Http.ok(tenant.get("/v1/jobs?limit=50"));
                    lists[i] = (System.nanoTime() - t) / 1e6;
                }
                claimP99.add(Stats.percentile(claims, 99));
                listP99.add(Stats.percentile(lists, 99));
            }
            return Round.of(node.peakRssMib(), "claim_p99_ms", Stats.median(claimP99), "list_p99_ms", Stats.median(listP99));
        }
    }

    /** Makes Spool's schema in the instance, as a node does at start, from this process (no node to start and stop). */
    private static void migrate(Db.Instance instance) {
        if (instance.database().isEmpty()) {
            SqliteStore.open(instance.dataDir().resolve("spool.db"), 1, 1).close();
        } else {
            PostgresStore.open(new PostgresStore.Settings(instance.database(), "public", 2, 30_000, 64)).close();
        }
    }

    /** Writes {@code n} finished jobs straight into the jobs table, a million per transaction. */
    private static void fill(Db.Instance instance, boolean postgres, long n) throws SQLException {
        long now = System.currentTimeMillis();
        String columns = "INSERT INTO jobs (id, tenant, type, queue, priority, status, input, metadata, attempt, max_attempts, "
                + "run_at, timeout_seconds, result, created_at, started_at, ended_at, updated_at) ";
        String values = " 'bench', 'echo', 'default', 0, 'succeeded', '{}', '{}', 1, 3, ?, 5, '{}', ?, ?, ?, ? ";
        String sql = postgres
                ? columns + "SELECT '00000000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'), " + values
                        + "FROM generate_series(?::bigint, ?::bigint) AS g(i)"
                : columns + "WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
                        + "SELECT printf('00000000-0000-7000-8000-%012x', i), " + values + "FROM n";
        try (Connection c = instance.connect()) {
            c.setAutoCommit(false);
            for (long from = 1; from <= n; from += 1_000_000) {
                long to = Math.min(n, from + 999_999);
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    int p = 1;
                    if (!postgres) {
                        ps.setLong(p++, from);
                        ps.setLong(p++, to);
                    }
                    for (int i = 0; i < 5; i++) {
                        ps.setLong(p++, now);
                    }
                    if (postgres) {
                        ps.setLong(p++, from);
                        ps.setLong(p, to);
                    }
                    ps.executeUpdate();
                }
                c.commit();
            }
            c.setAutoCommit(true);
            try (Statement s = c.createStatement()) {
                s.execute(postgres ? "VACUUM ANALYZE jobs" : "ANALYZE");
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    /** A few HTTP clients to spread many connections over (one client's selector thread is a bottleneck). */
    private static List<Http> clients(SpoolNode node, String key) {
        List<Http> clients = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            clients.add(new Http(node.uri, key, HttpClient.newHttpClient()));
        }
        return clients;
    }

    private static String batch(String type, int n) {
        String job = "{\"type\": \"" + type + "\", \"input\": {}}";
        return "{\"jobs\": [" + String.join(", ", java.util.Collections.nCopies(n, job)) + "]}";
    }

    /** Submits {@code total} jobs of {@code type} in batches of up to 1,000, four requests in flight. */
    private static void submitBatches(Http http, String type, int total) throws Exception {
        int batches = (total + 999) / 1000;
        AtomicInteger next = new AtomicInteger();
        List<Thread> senders = new ArrayList<>();
        for (int s = 0; s < Math.min(4, batches); s++) {
            senders.add(Thread.ofVirtual().start(() -> {
                try {
                    for (int b; (b = next.getAndIncrement()) < batches; ) {
                        int n = Math.min(1000, total - b * 1000);
                        Http.ok(http.post("/v1/batches", batch(type, n)));
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (Thread t : senders) {
            t.join();
        }
        if (next.get() < batches) {
            throw new IllegalStateException("a batch submit failed");
        }
    }

    /** Waits until {@code n} jobs have succeeded (none may fail); returns the last one's ended_at. */
    private static long awaitSucceeded(Db.Instance instance, int n) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        try (Connection c = instance.connect()) {
            while (System.nanoTime() < deadline) {
                // Cheap while jobs remain (the partial indexes of queued and running jobs answer it),
                // so that polling takes little from the server it measures; counted once at the end.
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                        "SELECT CASE WHEN EXISTS (SELECT 1 FROM jobs WHERE status = 'queued') "
                                + "OR EXISTS (SELECT 1 FROM jobs WHERE status = 'running') THEN 1 ELSE 0 END")) {
                    rs.next();
                    if (rs.getInt(1) == 0) {
                        try (ResultSet done = s.executeQuery(
                                "SELECT count(*), max(ended_at), sum(CASE WHEN status IN ('failed', 'cancelled') THEN 1 ELSE 0 END) "
                                        + "FROM jobs WHERE ended_at IS NOT NULL")) {
                            done.next();
                            if (done.getLong(3) > 0) {
                                throw new IllegalStateException(done.getLong(3) + " jobs failed");
                            }
                            if (done.getLong(1) >= n) {
                                return done.getLong(2);
                            }
                        }
                    }
                }
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("the jobs did not finish in 10 minutes");
    }
}
