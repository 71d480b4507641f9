package dev.spool.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.spool.testing.Node;
import dev.spool.testing.RestartablePostgres;
import dev.spool.testing.WorkerMain;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One fault-injection run: Spool nodes and external workers in processes of their own, on a real
 * PostgreSQL (or one node on SQLite); clients submitting jobs, each with its own idempotency key,
 * retried (same key, another node) on any error; and faults while it runs — nodes and workers
 * SIGKILLed and restarted, workers SIGSTOPped past their lease, the database stopped and started,
 * Spool's database connections terminated, every database connection slot taken, the disk of a
 * node's artifact store full, and one node's clock off for the whole run. Then a checker reads the whole history — every submit
 * and its answer, every outcome a worker got accepted, every webhook received, and the database —
 * and counts, in Jepsen's queue words: lost, duplicated, double-accepted, stuck, and webhooks lost
 * or sent under two ids. All must be zero.
 */
final class ChaosRun {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TYPE = "chaos";
    private static final int LEASE_SECONDS = 5;

    /**
     * What to run: how much load, for how long, and which faults, spread evenly over the load; a
     * database outage lasts {@code outage}, a taken pool or a full disk {@code hold}.
     */
    record Plan(String name, boolean postgres, int nodes, int workers, int jobs, Duration submitFor,
                int serverKills, int workerKills, int workerStops, int databaseOutages, Duration outage,
                int connectionKills, int poolExhaustions, int disksFull, Duration hold, Duration clockSkew) {}

    /** The checker's counts. */
    record Report(Plan plan, int acknowledged, int unacknowledged, int lost, int duplicated, int doubleAccepted,
                  int stuck, int failed, int webhooksLost, int webhooksUnderTwoIds, long backlogAtLastFault,
                  long terminalAfterLastFaultMs, Map<String, Integer> faults, long slowestRestartMs, long runMs,
                  int acceptedByWorkers) {
        @Override
        public String toString() {
            return String.format("""
                    chaos run %s: %d jobs acknowledged (%d never acknowledged), %d ms
                      faults: %s (slowest node restart %d ms)
                      lost %d, duplicated %d, double-accepted %d (of %d completions the workers got accepted), stuck %d, failed %d, webhooks lost %d, webhooks under two ids %d
                      %d jobs queued or running when the faults ended; every job terminal %d ms after the last fault ended""",
                    plan.name(), acknowledged, unacknowledged, runMs, faults, slowestRestartMs, lost, duplicated, doubleAccepted,
                    acceptedByWorkers, stuck,
                    failed, webhooksLost, webhooksUnderTwoIds, backlogAtLastFault, terminalAfterLastFaultMs);
        }
    }

    private final Plan plan;
    private final Path dir;
    private final Random random = new Random(42);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final String adminKey = "spool_" + "chaosadmin22"  + "_" + "a".repeat(32);

    private RestartablePostgres pg;
    private String databaseUrl;
    private final List<Map<String, String>> nodeSettings = new ArrayList<>();
    private final List<Node> nodes = Collections.synchronizedList(new ArrayList<>());
    private final List<Process> workers = Collections.synchronizedList(new ArrayList<>());
    private final List<Integer> ports = new ArrayList<>();
    private String tenantKey;
    private String workerKey;

    /** The history. */
    private final Map<String, Set<String>> answeredIds = new ConcurrentHashMap<>(); // idempotency key -> job ids answered
    private final AtomicInteger unacknowledged = new AtomicInteger();
    private final Map<String, AtomicInteger> accepted = new ConcurrentHashMap<>(); // job id -> 2xx outcome reports
    private final Map<String, Set<String>> webhookIds = new ConcurrentHashMap<>(); // job id + type -> webhook-ids
    private final Map<String, Integer> faults = new LinkedHashMap<>();
    private final AtomicLong lastFaultEnded = new AtomicLong();

    ChaosRun(Plan plan, Path dir) {
        this.plan = plan;
        this.dir = dir;
    }

    Report run() throws Exception {
        long started = System.nanoTime();
        HttpServer receiver = receiver();
        ExecutorService background = Executors.newVirtualThreadPerTaskExecutor();
        try {
            startDatabase();
            startNodes(receiver.getAddress().getPort());
            setUpKeys(receiver.getAddress().getPort());
            for (int i = 0; i < plan.workers(); i++) {
                workers.add(startWorker(i));
            }
            var submitting = background.submit(() -> {
                submitAll();
                return null;
            });
            var faulting = background.submit(() -> {
                inject(background);
                return null;
            });
            faulting.get();
            long backlog = backlog();
            submitting.get();
            long terminalMs = awaitTerminal();
            awaitWebhooks();
            Report report = check(backlog, terminalMs, started);
            return report;
        } finally {
            background.shutdownNow();
            workers.forEach(Process::destroyForcibly);
            nodes.forEach(Node::close);
            // Whatever Java process of ours is left (a node whose restart was under way): end it too.
            ProcessHandle.current().descendants()
                    .filter(p -> p.info().command().map(c -> c.endsWith("/java")).orElse(false))
                    .forEach(ProcessHandle::destroyForcibly);
            for (Path m : mounted) {
                run("umount", "-l", m.toString());
            }
            receiver.stop(0);
            if (pg != null) {
                pg.close();
            }
        }
    }

    // ---------------------------------------------------------------- setting up

    private void startDatabase() {
        if (plan.postgres()) {
            pg = new RestartablePostgres(dir.resolve("pg"), 60).start();
            databaseUrl = pg.newDatabase("chaos");
        } else {
            databaseUrl = "jdbc:sqlite:" + dir.resolve("node-0").resolve("spool.db");
        }
    }

    private void startNodes(int receiverPort) throws IOException {
        Path types = Files.writeString(dir.resolve("spool.yaml"), """
                types:
                  %s: {executor: worker, max_attempts: 25, timeout_seconds: 60}
                webhooks:
                  allow_hosts: [127.0.0.1]
                  retry_schedule: 500ms,1s,2s,4s,8s,15s,30s,30s,30s
                """.formatted(TYPE));
        for (int i = 0; i < plan.nodes(); i++) {
            int port = RestartablePostgres.freePort();
            ports.add(port);
            Map<String, String> s = new HashMap<>(Map.of(
                    "http.host", "127.0.0.1", "http.port", Integer.toString(port),
                    "storage.data_dir", dir.resolve("node-" + i).toString(),
                    "auth.admin_key", adminKey,
                    "jobs.lease_seconds", Integer.toString(LEASE_SECONDS),
                    "jobs.maintenance_interval_ms", "250", "runner.heartbeat_ms", "1000",
                    "storage.connect_timeout_ms", "2000",
                    // Retries wait at most 10 s: how soon the backlog drains after the faults is
                    // then Spool's recovery, not a backoff of minutes that a job may have earned.
                    "jobs.backoff_max_seconds", "10",
                    "config", types.toString()));
            if (plan.postgres()) {
                s.put("storage.database", databaseUrl);
            }
            if (plan.disksFull() > 0) {
                Path files = dir.resolve("files-" + i);
                Files.createDirectories(files);
                run("mount", "-t", "tmpfs", "-o", "size=" + DISK_BYTES, "tmpfs", files.toString());
                mounted.add(files);
                s.put("artifacts.dir", files.toString());
            }
            nodeSettings.add(s);
            nodes.add(startNode(i));
        }
    }

    /** The size of each node's artifact disk when the plan fills disks: room for every file of a long run (2,000 of 2 KiB). */
    private static final String DISK_BYTES = "32m";
    private final List<Path> mounted = Collections.synchronizedList(new ArrayList<>());

    /** Debian's libfaketime (package faketime), which .ci/run installs. */
    private static final Path FAKETIME = Path.of("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1");

    /**
     * Starts node {@code i}; the last node of a plan with a clock skew runs with its wall clock off
     * by that much (libfaketime preloaded into the JVM itself, so that a SIGKILL reaches the node).
     * Only the wall clock: monotonic clocks stay true, and libfaketime's "monotonic fix" is turned
     * off, because on this glibc it shifts every timed wait of the JVM (which waits on the monotonic
     * clock) by the offset, so that with a clock ahead each one returns at once: every parked
     * thread of the node spun, the node took most of both cores and starved the rest of the run.
     */
    private Node startNode(int i) {
        Map<String, String> environment = Map.of();
        if (!plan.clockSkew().isZero() && i == plan.nodes() - 1) {
            if (!Files.exists(FAKETIME)) {
                throw new IllegalStateException(FAKETIME + " is missing: install Debian's faketime (.ci/run does)");
            }
            environment = Map.of("LD_PRELOAD", FAKETIME.toString(), "FAKETIME_DONT_FAKE_MONOTONIC", "1",
                    "FAKETIME_FORCE_MONOTONIC_FIX", "0",
                    "FAKETIME", (plan.clockSkew().isNegative() ? "-" : "+") + plan.clockSkew().abs().toMillis() / 1000.0 + "s");
        }
        return new Node(nodeSettings.get(i), dir.resolve("node-" + i + ".log"), environment);
    }

    private static void run(String... command) throws IOException {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private void setUpKeys(int receiverPort) throws Exception {
        tenantKey = call("POST", 0, "/v1/keys", adminKey, "{\"name\": \"chaos\", \"tenant\": \"chaos\"}").get("key").asText();
        workerKey = call("POST", 0, "/v1/keys", adminKey, "{\"name\": \"workers\", \"role\": \"worker\"}").get("key").asText();
        call("POST", 0, "/v1/webhooks", tenantKey, "{\"url\": \"http://127.0.0.1:" + receiverPort + "/hook\"}");
    }

    private JsonNode call(String method, int node, String path, String key, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.get(node) + path))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IllegalStateException(method + " " + path + " answered " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body());
    }

    private Process startWorker(int i) {
        String url = "http://127.0.0.1:" + ports.get(i % ports.size());
        try {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
                    "-cp", System.getProperty("java.class.path"), WorkerMain.class.getName(), url, workerKey, TYPE, "16")
                    .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("worker-" + i + ".log").toFile()))
                    .start();
            Thread.ofVirtual().start(() -> {
                try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = out.readLine()) != null; ) {
                        if (line.startsWith("ACCEPTED ")) {
                            accepted.computeIfAbsent(line.substring(9).trim(), x -> new AtomicInteger()).incrementAndGet();
                        }
                    }
                } catch (IOException e) {
                    // the worker was killed
                }
            });
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Receives the tenant's webhooks and keeps, per job and event, the webhook-ids it was sent under. */
    private HttpServer receiver() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", ex -> {
            try {
                JsonNode body = JSON.readTree(ex.getRequestBody().readAllBytes());
                String key = body.path("data").path("id").asText() + " " + body.path("type").asText();
                webhookIds.computeIfAbsent(key, x -> ConcurrentHashMap.newKeySet())
                        .add(ex.getRequestHeaders().getFirst("webhook-id"));
                ex.sendResponseHeaders(204, -1);
            } finally {
                ex.close();
            }
        });
        server.start();
        return server;
    }

    // ---------------------------------------------------------------- load

    /**
     * Submits the plan's jobs at an even rate. A submit that gets no 2xx answer (an error, a 5xx, a
     * node that is down) is sent again with the same key to the next node until one answers.
     */
    private void submitAll() throws Exception {
        long perJobNanos = plan.submitFor().toNanos() / plan.jobs();
        long start = System.nanoTime();
        try (ExecutorService clients = Executors.newFixedThreadPool(32)) {
            for (int i = 0; i < plan.jobs(); i++) {
                long due = start + i * perJobNanos;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                int n = i;
                clients.submit(() -> submitOne(n));
            }
        }
    }

    private void submitOne(int n) {
        String key = "chaos-" + n;
        boolean attach = plan.disksFull() > 0 && n % 10 == 0;
        String body = "{\"type\": \"" + TYPE + "\", \"input\": {\"n\": " + n + ", \"ms\": " + (5 + n % 40)
                + ", \"attach\": " + attach + "}, \"metadata\": {\"chaos_key\": \"" + key + "\"}}";
        long giveUpAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        for (int attempt = 0; System.nanoTime() < giveUpAt; attempt++) {
            int node = (n + attempt) % ports.size();
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.get(node) + "/v1/jobs"))
                        .timeout(Duration.ofSeconds(10))
                        .header("Authorization", "Bearer " + tenantKey).header("Content-Type", "application/json")
                        .header("Idempotency-Key", key)
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200 || r.statusCode() == 201) {
                    answeredIds.computeIfAbsent(key, x -> ConcurrentHashMap.newKeySet()).add(JSON.readTree(r.body()).get("id").asText());
                    return;
                }
            } catch (IOException e) {
                // the node is down, or the answer was lost: try again
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            try {
                Thread.sleep(Math.min(1000, 50L << Math.min(attempt, 5)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        unacknowledged.incrementAndGet();
    }

    // ---------------------------------------------------------------- faults

    private enum Fault { SERVER_KILL, WORKER_KILL, WORKER_STOP, DATABASE_OUTAGE, CONNECTION_KILL, POOL_EXHAUSTED, DISK_FULL }

    private void inject(ExecutorService background) throws Exception {
        List<Fault> schedule = new ArrayList<>();
        schedule.addAll(Collections.nCopies(plan.serverKills(), Fault.SERVER_KILL));
        schedule.addAll(Collections.nCopies(plan.workerKills(), Fault.WORKER_KILL));
        schedule.addAll(Collections.nCopies(plan.workerStops(), Fault.WORKER_STOP));
        schedule.addAll(Collections.nCopies(plan.databaseOutages(), Fault.DATABASE_OUTAGE));
        schedule.addAll(Collections.nCopies(plan.connectionKills(), Fault.CONNECTION_KILL));
        schedule.addAll(Collections.nCopies(plan.poolExhaustions(), Fault.POOL_EXHAUSTED));
        schedule.addAll(Collections.nCopies(plan.disksFull(), Fault.DISK_FULL));
        Collections.shuffle(schedule, random);
        long gap = plan.submitFor().toNanos() / (schedule.size() + 1);
        List<java.util.concurrent.Future<?>> running = new ArrayList<>();
        for (Fault fault : schedule) {
            TimeUnit.NANOSECONDS.sleep(gap);
            faults.merge(fault.name().toLowerCase(java.util.Locale.ROOT), 1, Integer::sum);
            switch (fault) {
                case SERVER_KILL -> {
                    int i = upNode();
                    nodes.get(i).kill();
                    running.add(background.submit(() -> restartNode(i)));
                }
                case WORKER_KILL -> {
                    int i = random.nextInt(workers.size());
                    workers.get(i).destroyForcibly().waitFor();
                    Thread.sleep(500);
                    workers.set(i, startWorker(i));
                    ended();
                }
                case WORKER_STOP -> {
                    int i = random.nextInt(workers.size());
                    long pid = workers.get(i).pid();
                    running.add(background.submit(() -> {
                        signal("STOP", pid);
                        Thread.sleep(TimeUnit.SECONDS.toMillis(LEASE_SECONDS + 3)); // past its lease: its jobs are rescued
                        signal("CONT", pid);
                        ended();
                        return null;
                    }));
                }
                case DATABASE_OUTAGE -> {
                    if (pg != null) {
                        pg.stop();
                        Thread.sleep(plan.outage().toMillis());
                        pg.start();
                    }
                    ended();
                }
                case CONNECTION_KILL -> {
                    if (pg != null) {
                        terminateSpoolConnections();
                    }
                    ended();
                }
                case POOL_EXHAUSTED -> {
                    if (pg != null) {
                        exhaustConnections();
                    }
                    ended();
                }
                case DISK_FULL -> {
                    fillDisk(mounted.get(random.nextInt(mounted.size())));
                    ended();
                }
            }
        }
        for (var f : running) {
            f.get();
        }
        ended(); // a run without faults: "after the last fault" is from here
    }

    private void terminateSpoolConnections() {
        pg.execute("chaos", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                + "WHERE application_name = 'spool' AND pid <> pg_backend_pid()");
    }

    /**
     * Takes every connection slot the database has (then cuts Spool's own connections, so that it
     * must find new ones), holds them for the plan's hold, and gives them back.
     */
    private void exhaustConnections() throws InterruptedException {
        List<Connection> taken = new ArrayList<>();
        try {
            terminateSpoolConnections();
            while (true) {
                try {
                    taken.add(pg.connect("chaos"));
                } catch (SQLException full) {
                    break; // too many clients: every slot is ours
                }
            }
            Thread.sleep(plan.hold().toMillis());
        } finally {
            for (Connection c : taken) {
                try {
                    c.close();
                } catch (SQLException ignored) {
                    // closing anyway
                }
            }
        }
    }

    /** Fills a node's artifact disk to the last byte, holds it full for the plan's hold, then frees it. */
    private void fillDisk(Path disk) throws Exception {
        Path filler = disk.resolve("filler");
        try (var out = Files.newOutputStream(filler)) {
            byte[] block = new byte[4096];
            while (true) {
                out.write(block);
            }
        } catch (IOException full) {
            // no space left on device: as intended
        }
        Thread.sleep(plan.hold().toMillis());
        Files.deleteIfExists(filler);
    }

    private final Set<Integer> restarting = ConcurrentHashMap.newKeySet();

    /** A node that is up (not being restarted), waiting for one if need be. */
    private int upNode() throws InterruptedException {
        while (true) {
            List<Integer> up = new ArrayList<>();
            for (int i = 0; i < nodes.size(); i++) {
                if (!restarting.contains(i)) {
                    up.add(i);
                }
            }
            if (!up.isEmpty()) {
                int i = up.get(random.nextInt(up.size()));
                restarting.add(i);
                return i;
            }
            Thread.sleep(100);
        }
    }

    private final AtomicLong slowestRestartMs = new AtomicLong();

    private Void restartNode(int i) throws InterruptedException {
        Thread.sleep(1000);
        long t0 = System.nanoTime();
        nodes.set(i, startNode(i)); // waits until it listens
        slowestRestartMs.accumulateAndGet(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), Math::max);
        restarting.remove(i);
        ended();
        return null;
    }

    private void ended() {
        lastFaultEnded.accumulateAndGet(System.nanoTime(), Math::max);
    }

    private static void signal(String signal, long pid) throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(); // it may have been killed meanwhile
    }

    // ---------------------------------------------------------------- checking

    private Connection database() throws SQLException {
        return DriverManager.getConnection(databaseUrl);
    }

    /** Waits until every acknowledged job has ended; returns how long after the last fault that was (or -1: never). */
    private long awaitTerminal() throws Exception {
        Set<String> acknowledged = acknowledgedIds();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60 + LEASE_SECONDS);
        while (System.nanoTime() < deadline) {
            try (Connection c = database(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')")) {
                rs.next();
                if (rs.getLong(1) == 0 && stored(c).keySet().containsAll(acknowledged)) {
                    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastFaultEnded.get());
                }
            }
            Thread.sleep(250);
        }
        return -1;
    }

    private void awaitWebhooks() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try (Connection c = database()) {
                Map<String, String> stored = stored(c);
                if (stored.entrySet().stream().filter(e -> e.getValue().equals("succeeded"))
                        .allMatch(e -> webhookIds.containsKey(e.getKey() + " job.succeeded"))) {
                    return;
                }
            }
            Thread.sleep(250);
        }
    }

    private Set<String> acknowledgedIds() {
        Set<String> ids = new HashSet<>();
        answeredIds.values().forEach(ids::addAll);
        return ids;
    }

    /** Every job of the run in the database: id -> status. */
    private static Map<String, String> stored(Connection c) throws SQLException {
        Map<String, String> out = new HashMap<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT id, status FROM jobs WHERE type = '" + TYPE + "'")) {
            while (rs.next()) {
                out.put(rs.getString(1), rs.getString(2));
            }
        }
        return out;
    }

    /** Jobs not ended yet (the faults just ended: how much work recovery has ahead of it). */
    private long backlog() throws SQLException {
        try (Connection c = database(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private Report check(long backlog, long terminalMs, long started) throws Exception {
        try (Connection c = database()) {
            Map<String, String> stored = stored(c);
            Set<String> acknowledged = acknowledgedIds();
            int lost = (int) acknowledged.stream().filter(id -> !stored.containsKey(id)).count();
            int stuck = (int) acknowledged.stream().filter(id -> stored.containsKey(id))
                    .filter(id -> !Set.of("succeeded", "failed", "cancelled").contains(stored.get(id))).count();
            int failed = (int) stored.values().stream().filter("failed"::equals).count();

            // Duplicated: one key, two jobs — in any answer, or in the database.
            int duplicated = (int) answeredIds.values().stream().filter(ids -> ids.size() > 1).count();
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT idempotency_key, count(*) FROM jobs WHERE type = '" + TYPE + "' GROUP BY idempotency_key HAVING count(*) > 1")) {
                while (rs.next()) {
                    duplicated++;
                }
            }

            // Double-accepted: two outcomes recorded for one job, or two outcome reports answered 2xx.
            int doubleAccepted = (int) accepted.values().stream().filter(n -> n.get() > 1).count();
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("""
                    SELECT job_id, count(*) FROM job_events WHERE kind IN ('succeeded', 'failed', 'cancelled')
                    GROUP BY job_id HAVING count(*) > 1""")) {
                while (rs.next()) {
                    doubleAccepted++;
                }
            }

            int webhooksLost = (int) stored.entrySet().stream().filter(e -> e.getValue().equals("succeeded"))
                    .filter(e -> !webhookIds.containsKey(e.getKey() + " job.succeeded")).count();
            int underTwoIds = (int) webhookIds.values().stream().filter(ids -> ids.size() > 1).count();
            return new Report(plan, acknowledged.size(), unacknowledged.get(), lost, duplicated, doubleAccepted, stuck,
                    failed, webhooksLost, underTwoIds, backlog, terminalMs, faults, slowestRestartMs.get(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), accepted.size());
        }
    }
}
