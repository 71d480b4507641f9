package dev.spool;

import dev.spool.artifact.Artifact;
import dev.spool.artifact.ArtifactStore;
import dev.spool.artifact.JobFiles;
import dev.spool.artifact.LocalArtifactStore;
import dev.spool.artifact.S3ArtifactStore;
import dev.spool.artifact.SourceFetcher;
import dev.spool.auth.ApiKeys;
import dev.spool.compat.Profiles;
import dev.spool.engine.Engine;
import dev.spool.engine.EventFeed;
import dev.spool.engine.Intake;
import dev.spool.engine.JobHandler;
import dev.spool.engine.JobMeter;
import dev.spool.engine.JobType;
import dev.spool.engine.JobTypes;
import dev.spool.engine.LocalRunner;
import dev.spool.engine.Schedules;
import dev.spool.engine.maintenance.Duty;
import dev.spool.engine.maintenance.IdempotencyPruner;
import dev.spool.engine.maintenance.LeaseRescuer;
import dev.spool.engine.maintenance.Maintenance;
import dev.spool.engine.maintenance.RetentionPruner;
import dev.spool.executor.Builtins;
import dev.spool.executor.CommandHandler;
import dev.spool.executor.HttpHandler;
import dev.spool.http.ApiServer;
import dev.spool.http.Gate;
import dev.spool.http.Standby;
import dev.spool.job.Backoff;
import dev.spool.job.InputFile;
import dev.spool.job.Job;
import dev.spool.job.JobId;
import dev.spool.job.Price;
import dev.spool.job.RetrySchedule;
import dev.spool.limit.Accounts;
import dev.spool.limit.LimitBook;
import dev.spool.limit.RateLimiter;
import dev.spool.net.OutboundPolicy;
import dev.spool.store.PostgresStore;
import dev.spool.store.Reachability;
import dev.spool.store.SqliteStore;
import dev.spool.store.Storage;
import dev.spool.telemetry.Metrics;
import dev.spool.telemetry.Tracing;
import dev.spool.webhook.Dispatcher;
import dev.spool.webhook.Fanout;
import dev.spool.webhook.Webhooks;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * A running Spool: the only place that sees every part and wires them together. {@link #close()}
 * shuts down gracefully: it stops claiming, lets running jobs finish within the grace period,
 * gives back the rest, and only then stops answering HTTP and closes the database.
 */
public final class Server implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Server.class);

    static {
        // Image handling (the thumbnail demo) must never look for a display on a server.
        System.setProperty("java.awt.headless", "true");
        // Helidon logs through java.util.logging; send it to SLF4J like everything else.
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
    }

    /** How long unreferenced file bytes are kept before they are deleted (see RetentionPruner). */
    private static final Duration ORPHAN_GRACE = Duration.ofHours(1);

    private final Storage storage;
    private final List<LocalRunner> runners;
    private final Maintenance maintenance;
    private final ApiServer api;
    private final Dispatcher dispatcher;
    private final EventFeed feed;
    private final SourceFetcher fetcher;
    private final Metrics metrics;
    private final Tracing tracing;
    private final Optional<String> createdAdminKey;
    private volatile boolean ready;

    private Server(Config config, Storage storage, int port, Tracing tracing) {
        InstantSource clock = InstantSource.system();
        this.storage = storage;
        List<LocalRunner> startedRunners = List.of();
        Maintenance startedMaintenance = null;
        Dispatcher startedDispatcher = null;
        EventFeed startedFeed = null;
        SourceFetcher startedFetcher = null;
        this.metrics = new Metrics(config.metrics().enabled());
        this.tracing = tracing;
        try {
            Config.Metrics m = config.metrics();
            storage.meterInto(metrics.registry());
            Map<String, JobHandler> handlers = new HashMap<>();
            JobTypes types = types(config, handlers);
            Config.Jobs jobs = config.jobs();
            ApiKeys keys = new ApiKeys(storage.keys(), clock);
            this.createdAdminKey = keys.bootstrap(config.auth().adminKey());
            LimitBook limits = new LimitBook(config.limits().defaults(), config.limits().tenants(), storage.tenants());
            storage.useRules(limits, type -> types.get(type).map(JobType::price).orElse(Price.FREE));
            Accounts accounts = new Accounts(storage.tenants(), limits);
            Gate gate = new Gate(keys, new RateLimiter(limits, storage.tenants().sharedBuckets()));

            Config.Artifacts a = config.artifacts();
            JobFiles files = new JobFiles(storage.files(), artifactStore(config), clock, new JobFiles.Settings(
                    a.maxUploadBytes(), a.maxPerJob(), a.maxBytesPerJob(), Duration.ofSeconds(a.linkTtlSeconds()), a.signingKey()));
            files.useQuota(accounts::checkFileBytes);
            Config.Webhooks w = config.webhooks();
            OutboundPolicy webhookPolicy = new OutboundPolicy(Set.copyOf(w.allowHosts()),
                    OutboundPolicy.Resolver.SYSTEM, "webhooks.allow_hosts");
            startedFeed = new EventFeed(storage.events(), Duration.ofSeconds(1));
            startedFetcher = new SourceFetcher(new OutboundPolicy(Set.copyOf(config.sources().allowHosts()),
                    OutboundPolicy.Resolver.SYSTEM, "sources.allow_hosts"));
            Webhooks webhooks = new Webhooks(storage.webhooks(), webhookPolicy, clock);
            JobMeter jobMeter = new JobMeter(metrics.registry(), m.perTenant());
            Engine engine = new Engine(storage, types, intake(files, startedFetcher, webhooks, gate.limiter(), accounts), clock, new Engine.Settings(
                    Duration.ofSeconds(jobs.leaseSeconds()),
                    new Backoff(Duration.ofMillis(Math.round(jobs.backoffBaseSeconds() * 1000)),
                            Duration.ofSeconds(jobs.backoffMaxSeconds())),
                    Duration.ofHours(jobs.idempotencyRetentionHours()),
                    jobs.maxBatchSize()), ThreadLocalRandom.current(), jobMeter, tracing);

            Profiles profiles = new Profiles(engine, gate, files, webhooks, startedFeed, config.http().publicUrl(), config.compat());
            // Webhook bodies show the job as the API does, or as the profile it came through does.
            Fanout fanout = new Fanout(storage.webhooks(), storage.files(),
                    profiles.payloads(ApiServer.payloads(types, config.http().publicUrl())));
            startedDispatcher = new Dispatcher(storage.webhooks(), fanout, webhookPolicy, clock, new Dispatcher.Settings(
                    RetrySchedule.parse(w.retrySchedule()), w.concurrency(), Duration.ofMillis(w.timeoutMs()),
                    Duration.ofHours(w.keepDeliveriesHours())), ThreadLocalRandom.current())
                    .observedBy(metrics.registry(), tracing).start();

            startedRunners = runners(config.runner(), engine, handlers, fileAccess(files));
            Map<String, Duration> retention = new HashMap<>();
            config.types().forEach((name, spec) -> {
                if (spec.retentionHours() != null) {
                    retention.put(name, Duration.ofHours(spec.retentionHours()));
                }
            });
            Schedules schedules = new Schedules(storage.schedules(), engine, ApiServer::submission, clock);
            startedMaintenance = new Maintenance(List.of(new LeaseRescuer(engine, 500), new IdempotencyPruner(engine),
                    Duty.of("schedules", schedules::runOnce),
                    new RetentionPruner(storage.jobs(), retention, Duration.ofHours(jobs.retentionHours()), 500),
                    Duty.of("orphan-sweeper", now -> files.deleteOrphans(now, ORPHAN_GRACE, 500))),
                    Duration.ofMillis(jobs.maintenanceIntervalMs()), clock);
            Config.Http http = config.http();
            Gauges gauges = new Gauges(storage, metrics.registry(), clock, Duration.ofSeconds(m.refreshSeconds()));
            metrics.beforeScrape(gauges::refreshIfDue);
            Watch watch = new Watch(storage, gauges, jobMeter, clock);
            this.api = new ApiServer(new ApiServer.Settings(http.host(), port, http.maxBodyBytes(), http.publicUrl(),
                    a.maxUploadBytes()), engine, new ApiServer.Services(keys, files, webhooks, startedFeed, gate, accounts, schedules),
                    new ApiServer.Observing(metrics, m.open(), m.port(), config.logging().accessLog(), tracing, watch::problems),
                    profiles.mounts(config.compat().enabled()), () -> ready && storage.reachable());
            this.dispatcher = startedDispatcher;
            this.feed = startedFeed;
            this.fetcher = startedFetcher;
            this.runners = startedRunners;
            this.maintenance = startedMaintenance;
            this.ready = true;
            log.info("Spool listening on {}, database {}, configuration {}", url(http.host(), api.port()),
                    storage.describe(), config.redacted());
        } catch (java.io.IOException e) {
            storage.close();
            throw new java.io.UncheckedIOException("cannot open the artifact folder: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            // A part failed to start (a taken port, say): stop what did start, in reverse order.
            for (AutoCloseable part : Arrays.asList(startedFetcher, startedFeed, startedDispatcher, tracing, metrics)) {
                closeQuietly(part);
            }
            if (startedMaintenance != null) {
                startedMaintenance.close();
            }
            closeTogether(startedRunners);
            storage.close();
            throw e;
        }
    }

    /**
     * The in-process runners: one for every built-in type with {@code runner.slots} set; by default
     * one for the types that wait ({@code io_slots}) and one for those that compute ({@code cpu_slots}).
     */
    private static List<LocalRunner> runners(Config.Runner r, Engine engine, Map<String, JobHandler> handlers,
                                             LocalRunner.FileAccess files) {
        String id = "local:" + ManagementFactory.getRuntimeMXBean().getName();
        if (r.slots() != Config.Runner.BY_TYPE) {
            return List.of(runner(r, engine, handlers, r.slots(), id, files));
        }
        List<LocalRunner> runners = new ArrayList<>();
        for (JobHandler.Bound bound : JobHandler.Bound.values()) {
            Map<String, JobHandler> these = new HashMap<>();
            handlers.forEach((type, handler) -> {
                if (handler.bound() == bound) {
                    these.put(type, handler);
                }
            });
            int slots = bound == JobHandler.Bound.IO ? r.ioSlots() : r.cpuSlots();
            if (!these.isEmpty() && slots > 0) {
                runners.add(runner(r, engine, these, slots, id + ":" + bound.name().toLowerCase(Locale.ROOT), files));
            }
        }
        return List.copyOf(runners);
    }

    private static LocalRunner runner(Config.Runner r, Engine engine, Map<String, JobHandler> handlers, int slots,
                                      String workerId, LocalRunner.FileAccess files) {
        return new LocalRunner(engine, handlers, new LocalRunner.Settings(slots, Duration.ofMillis(r.pollMs()),
                Duration.ofMillis(r.heartbeatMs()), Duration.ofMillis(r.progressMs()),
                Duration.ofSeconds(r.shutdownGraceSeconds())), workerId, files);
    }

    /** Closes the runners at once, each letting its jobs finish within the same grace period. */
    private static void closeTogether(List<LocalRunner> runners) {
        List<Thread> closing = runners.stream().map(runner -> Thread.ofVirtual().start(runner::close)).toList();
        for (Thread t : closing) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** A submit's surroundings: input files in the artifact store, URL sources fetched under their policy, webhook URLs checked. */
    private static Intake intake(JobFiles files, SourceFetcher fetcher, Webhooks webhooks, RateLimiter limiter,
                                 Accounts accounts) {
        return new Intake() {
            @Override
            public void admit(String tenant, String keyId, int jobs, long inputBytes) {
                limiter.admitSubmits(tenant, keyId, jobs);
                accounts.checkFileBytes(tenant, inputBytes);
            }

            @Override
            public InputFile store(String name, String contentType, InputStream content) {
                return files.storeInput(name, contentType, content);
            }

            @Override
            public Fetched fetch(String url) {
                SourceFetcher.Fetched fetched = fetcher.fetch(url);
                return new Fetched(fetched.contentType(), fetched.body());
            }

            @Override
            public void checkWebhookUrl(String field, String url) {
                webhooks.checkUrl(field, url);
            }
        };
    }

    /** The local folder (default) or S3-compatible object storage the configuration names. */
    static ArtifactStore artifactStore(Config config) throws java.io.IOException {
        Config.Artifacts a = config.artifacts();
        if (a.backend().equals("s3")) {
            Config.S3 s = a.s3();
            return new S3ArtifactStore(new S3ArtifactStore.Settings(
                    s.endpoint(), s.region(), s.bucket(), s.prefix(), s.accessKey(), s.secretKey(), s.pathStyle()));
        }
        return new LocalArtifactStore(a.dir().isEmpty() ? Path.of(config.storage().dataDir()).resolve("artifacts") : Path.of(a.dir()));
    }

    /** In-process handlers reach job files through the artifact service, under the job's own tenant. */
    private static LocalRunner.FileAccess fileAccess(JobFiles files) {
        return new LocalRunner.FileAccess() {
            @Override
            public List<InputFile> inputs(Job job) {
                return files.list(job.tenant(), job.id()).stream()
                        .filter(a -> a.kind() == Artifact.Kind.INPUT)
                        .map(a -> new InputFile(a.name(), a.contentType(), a.size(), a.sha256()))
                        .toList();
            }

            @Override
            public java.io.InputStream open(Job job, String name) {
                return files.open(files.get(job.tenant(), job.id(), name), 0);
            }

            @Override
            public void store(JobId id, int attempt, String name, String contentType, java.io.InputStream in) {
                files.upload(id, attempt, name, contentType, in);
            }
        };
    }

    /** The embedded SQLite file in the data folder, or the PostgreSQL database the configuration names. */
    static Storage openStore(Config.Storage s) {
        if (s.isPostgres()) {
            return PostgresStore.open(new PostgresStore.Settings(s.database(), s.schema(), s.readConnections(),
                    s.statementTimeoutMs(), s.groupCommitMax(), s.connectTimeoutMs(), s.writeConnections()));
        }
        return SqliteStore.open(Path.of(s.dataDir()).resolve("spool.db"), s.groupCommitMax(), s.readConnections(),
                Duration.ofMillis((long) s.statementTimeoutMs() + s.connectTimeoutMs()));
    }

    /**
     * Starts Spool with {@code config}; the caller owns the result and must close it. A database
     * that cannot be reached yet is waited for (a node of a cluster may well start before its
     * database): meanwhile the port answers {@code /healthz} 200 and everything else 503, and a new
     * connection is tried with a backoff of at most {@link #MOST_BETWEEN_TRIES}. Any other failure
     * to open the database (a wrong password, a file in use) ends the start at once.
     */
    public static Server start(Config config) {
        return start(config, Tracing.configured(config.tracing().otlpEndpoint(), System.getenv()));
    }

    /** Starts Spool with its traces going to {@code tracing} (a test's in-memory exporter, say), which it closes. */
    public static Server start(Config config, Tracing tracing) {
        Logs.use(config.logging().format());
        Config.Http http = config.http();
        Standby standby = null;
        long waitingSince = 0;
        Duration pause = Duration.ofMillis(100);
        try {
            while (true) {
                try {
                    Storage storage = openStore(config.storage());
                    int port = http.port();
                    if (standby != null) {
                        log.info("the database answered after {} ms of waiting; starting", (System.nanoTime() - waitingSince) / 1_000_000);
                        port = standby.port();
                        standby.close(); // the same port serves the API from here on
                        standby = null;
                    }
                    return new Server(config, storage, port, tracing);
                } catch (RuntimeException e) {
                    if (!Reachability.isUnreachable(e)) {
                        throw e;
                    }
                    if (standby == null) {
                        standby = new Standby(http.host(), http.port());
                        waitingSince = System.nanoTime();
                        log.warn("the database cannot be reached ({}); waiting for it, with /healthz up and /readyz "
                                + "answering 503 on {}", Reachability.rootMessage(e), url(http.host(), standby.port()));
                    }
                    Thread.sleep(pause.toMillis());
                    pause = pause.multipliedBy(2);
                    if (pause.compareTo(MOST_BETWEEN_TRIES) > 0) {
                        pause = MOST_BETWEEN_TRIES;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the database", e);
        } finally {
            closeQuietly(standby);
        }
    }

    /** Longest pause between two tries to reach the database at start: it is up within this of coming back. */
    static final Duration MOST_BETWEEN_TRIES = Duration.ofMillis(500);

    /**
     * The declared types: every built-in one, changed by the file's entry of the same name, plus the
     * file's own types. Fills {@code handlers} with the in-process handler of each builtin type.
     */
    static JobTypes types(Config config, Map<String, JobHandler> handlers) {
        Map<String, Builtins.Builtin> builtins = new LinkedHashMap<>();
        Builtins.all().forEach(b -> builtins.put(b.type().name(), b));
        List<JobType> types = new ArrayList<>();
        for (Builtins.Builtin b : builtins.values()) {
            if (!config.types().containsKey(b.type().name())) {
                types.add(b.type());
                handlers.put(b.type().name(), b.handler());
            }
        }
        for (var entry : config.types().entrySet()) {
            String name = entry.getKey();
            Config.TypeSpec spec = entry.getValue();
            Builtins.Builtin base = builtins.get(name);
            String executor = spec.executor() != null ? spec.executor() : "builtin";
            switch (executor) {
                case "worker" -> {
                    types.add(declared(name, "worker", spec, base));
                    continue;
                }
                case "command" -> {
                    types.add(declared(name, "command", spec, base));
                    handlers.put(name, new CommandHandler(spec.command()));
                    continue;
                }
                case "http" -> {
                    if (spec.url() == null) {
                        throw new IllegalArgumentException("type " + name + ": an http type needs 'url'");
                    }
                    types.add(declared(name, "http", spec, base));
                    handlers.put(name, HttpHandler.to(spec.url()));
                    continue;
                }
                case "builtin" -> {
                    if (spec.command() != null || spec.url() != null) {
                        throw new IllegalArgumentException("type " + name + ": a builtin type has no command or url; "
                                + "set executor: command or executor: http");
                    }
                }
                default -> throw new IllegalArgumentException("type " + name + ": unknown executor '" + executor
                        + "' (supported: builtin, worker, command, http)");
            }
            String handlerName = spec.handler() != null ? spec.handler() : base != null ? base.type().handler() : name;
            Builtins.Builtin handler = builtins.get(handlerName);
            if (handler == null) {
                throw new IllegalArgumentException("type " + name + ": no builtin handler named '" + handlerName
                        + "' (builtin handlers: " + String.join(", ", builtins.keySet()) + ")");
            }
            JobType defaults = base != null ? base.type() : handler.type();
            Config.PriceSpec p = spec.price();
            Price price = p == null ? defaults.price() : new Price(p.perJob(), p.perSecond(), p.perUnit(), p.currency());
            types.add(JobType.of(name,
                    spec.description() != null ? spec.description() : defaults.description(),
                    executor, handlerName,
                    spec.queue() != null ? spec.queue() : defaults.queue(),
                    spec.maxAttempts() != null ? spec.maxAttempts() : defaults.maxAttempts(),
                    spec.timeoutSeconds() != null ? spec.timeoutSeconds() : defaults.timeoutSeconds(),
                    spec.concurrency() != null ? spec.concurrency() : defaults.concurrency(),
                    price,
                    spec.inputSchema() != null ? spec.inputSchema() : defaults.inputSchema()));
            handlers.put(name, handler.handler());
        }
        // The profiles' types that the file does not declare are served by workers.
        for (String name : config.compat().allTypes()) {
            if (types.stream().noneMatch(t -> t.name().equals(name))) {
                types.add(JobType.of(name, "Jobs of a compatibility profile (/compat/...), served by workers",
                        "worker", null, "default", 3, 3600, 0, Price.FREE, null));
            }
        }
        return new JobTypes(types);
    }

    /**
     * A type run by something other than a built-in handler (workers, a program, an endpoint), with
     * defaults where the file is silent.
     */
    private static JobType declared(String name, String executor, Config.TypeSpec spec, Builtins.Builtin base) {
        if (base != null) {
            throw new IllegalArgumentException("type " + name + " is built in; declare a " + executor + " type under another name");
        }
        if (spec.handler() != null) {
            throw new IllegalArgumentException("type " + name + ": only builtin types have a handler");
        }
        if (spec.command() != null && !executor.equals("command")) {
            throw new IllegalArgumentException("type " + name + ": only command types have a command");
        }
        if (spec.url() != null && !executor.equals("http")) {
            throw new IllegalArgumentException("type " + name + ": only http types have a url");
        }
        Config.PriceSpec p = spec.price();
        return JobType.of(name, spec.description(), executor, null,
                spec.queue() != null ? spec.queue() : "default",
                spec.maxAttempts() != null ? spec.maxAttempts() : 3,
                spec.timeoutSeconds() != null ? spec.timeoutSeconds() : 3600,
                spec.concurrency() != null ? spec.concurrency() : 0,
                p == null ? Price.FREE : new Price(p.perJob(), p.perSecond(), p.perUnit(), p.currency()),
                spec.inputSchema());
    }

    private static void closeQuietly(AutoCloseable part) {
        if (part == null) {
            return;
        }
        try {
            part.close();
        } catch (Exception e) {
            log.warn("stopping {} failed", part.getClass().getSimpleName(), e);
        }
    }

    private static String url(String host, int port) {
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /** The port of the {@code /metrics} listener, when {@code metrics.port} asked for one. */
    public Optional<Integer> metricsPort() {
        return api.metricsPort();
    }

    public int port() {
        return api.port();
    }

    /** The secret of the admin key made on this first start, to be shown once; empty otherwise. */
    public Optional<String> createdAdminKey() {
        return createdAdminKey;
    }

    @Override
    public void close() {
        ready = false;
        log.info("shutting down: finishing or giving back {} running jobs", runners.stream().mapToInt(LocalRunner::active).sum());
        closeTogether(runners); // each within the same grace period, not one after the other
        maintenance.close();
        feed.close(); // ends the open event streams, so that the HTTP server can stop
        api.close();
        dispatcher.close();
        fetcher.close();
        storage.close();
        tracing.close(); // exports the spans still buffered
        metrics.close();
        log.info("stopped");
    }
}
