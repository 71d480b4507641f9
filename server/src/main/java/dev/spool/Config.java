package dev.spool;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.spool.compat.CompatSettings;
import dev.spool.job.RetrySchedule;
import dev.spool.store.PostgresStore;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Spool's whole configuration: one record tree, every default in {@link #defaults()}, validated
 * when built and immutable after. Sources, lowest first: defaults, the YAML file, environment
 * variables, command-line flags. docs/configuration.md lists every key; a test keeps it in step.
 */
public record Config(Http http, Storage storage, Artifacts artifacts, Sources sources, Webhooks webhooks, Jobs jobs,
                     Runner runner, Auth auth, Limits limits, Metrics metrics, Logging logging, Tracing tracing, CompatSettings compat,
                     Map<String, TypeSpec> types) {

    /**
     * @param publicUrl    the base URL clients reach this server at, used in job links; empty: links are relative
     * @param maxBodyBytes requests with a larger body are refused with 413 before they are read
     */
    public record Http(String host, int port, String publicUrl, long maxBodyBytes) {}

    /**
     * @param database           empty for the embedded SQLite file in {@code dataDir}, or a PostgreSQL URL
     * @param groupCommitMax     most writes committed together in one transaction
     * @param readConnections    connections for reads, beside the writer's
     * @param writeConnections   PostgreSQL only: write transactions in flight at once, each on a connection of its own
     * @param schema             PostgreSQL only: the schema of Spool's tables
     * @param statementTimeoutMs PostgreSQL: longest a statement may run; both: with connectTimeoutMs, the
     *                           longest a caller waits for its write before it is told to retry
     * @param connectTimeoutMs   longest a call waits for a database connection (to open one, or from the pool)
     */
    public record Storage(String dataDir, String database, int groupCommitMax, int readConnections, String schema,
                          int statementTimeoutMs, int connectTimeoutMs, int writeConnections) {
        @com.fasterxml.jackson.annotation.JsonIgnore
        public boolean isPostgres() {
            return !database.isEmpty();
        }
    }

    /**
     * @param dir          folder of the local artifact store; empty for {@code artifacts} in the data folder
     * @param signingKey   key that signs download links; a secret; empty: one made once and shared through the database
     */
    public record Artifacts(String backend, String dir, S3 s3, long maxUploadBytes, int maxPerJob, long maxBytesPerJob,
                            int linkTtlSeconds, String signingKey) {}

    /** @param allowHosts host names whose URL sources the server fetches even when they resolve to private addresses */
    public record Sources(List<String> allowHosts) {
        public Sources {
            allowHosts = List.copyOf(allowHosts == null ? List.of() : allowHosts);
        }
    }

    /**
     * @param allowHosts          host names webhooks may reach even when they resolve to private addresses
     * @param retrySchedule       the waits between the tries of a delivery; after the last, it is given up
     * @param concurrency         deliveries in flight at once, per node
     * @param timeoutMs           longest a receiver may take to accept the connection, and then to answer
     * @param keepDeliveriesHours how long finished deliveries stay in the delivery log
     */
    public record Webhooks(List<String> allowHosts, String retrySchedule, int concurrency, int timeoutMs,
                           int keepDeliveriesHours) {
        public Webhooks {
            allowHosts = List.copyOf(allowHosts == null ? List.of() : allowHosts);
        }
    }

    /** S3-compatible object storage for artifacts; {@code secretKey} is a secret, never logged. */
    public record S3(String endpoint, String region, String bucket, String prefix, String accessKey, String secretKey,
                     boolean pathStyle) {}

    /** @param retentionHours how long finished jobs and their files are kept, unless their type says otherwise */
    public record Jobs(int leaseSeconds, double backoffBaseSeconds, int backoffMaxSeconds,
                       int idempotencyRetentionHours, int maxBatchSize, int maintenanceIntervalMs, int retentionHours) {}

    /**
     * @param slots    built-in jobs at once on this node, all types together; {@link #BY_TYPE}: {@code ioSlots} for
     *                 the types that wait (no-op, sleep, http) and {@code cpuSlots} for those that compute; 0: none here
     * @param ioSlots  with slots by type: jobs at once of the types that wait
     * @param cpuSlots with slots by type: jobs at once of the types that keep a processor busy (and of command types)
     */
    public record Runner(int slots, int ioSlots, int cpuSlots, int pollMs, int heartbeatMs, int progressMs,
                         int shutdownGraceSeconds) {
        public static final int BY_TYPE = -1;
    }

    /** @param adminKey an admin API key to accept (and store on first start); a secret, never logged */
    public record Auth(String adminKey) {}

    /**
     * Every tenant's rate limits and quotas (0: none); {@code tenants} overrides them for some
     * tenants (a key left out keeps the default), and the admin API over that.
     *
     * @param requestsPerSecond    each tenant's API requests per second, all its keys together
     * @param burst                requests a tenant may send at once above that rate (0: one second's worth)
     * @param submitsPerMinute     jobs each tenant may submit per minute (a batch counts each job)
     * @param keyRequestsPerSecond each API key's requests per second
     * @param keyBurst             each key's burst (0: one second's worth)
     * @param keySubmitsPerMinute  jobs each key may submit per minute
     * @param maxQueued            the most jobs a tenant may have queued at once
     * @param maxRunning           the most jobs of a tenant that may run at once
     * @param maxFileBytes         the most bytes of files a tenant's jobs may keep
     */
    public record Limits(long requestsPerSecond, long burst, long submitsPerMinute, long keyRequestsPerSecond,
                         long keyBurst, long keySubmitsPerMinute, long maxQueued, long maxRunning, long maxFileBytes,
                         Map<String, dev.spool.limit.Limits> tenants) {
        public Limits {
            tenants = tenants == null ? Map.of() : Map.copyOf(tenants);
            for (long value : new long[] {requestsPerSecond, burst, submitsPerMinute, keyRequestsPerSecond, keyBurst,
                    keySubmitsPerMinute, maxQueued, maxRunning, maxFileBytes}) {
                require(value >= 0, "limits.* cannot be negative (0 means no limit)");
            }
        }

        /** The defaults as the limits service takes them. */
        public dev.spool.limit.Limits defaults() {
            return new dev.spool.limit.Limits(requestsPerSecond, burst, submitsPerMinute, keyRequestsPerSecond, keyBurst,
                    keySubmitsPerMinute, maxQueued, maxRunning, maxFileBytes);
        }
    }

    /**
     * @param enabled        record metrics at all (off: nothing is recorded and /metrics answers 404; for measuring their cost)
     * @param open           {@code GET /metrics} without a key (else it needs an admin key)
     * @param port           above 0: also serve {@code /metrics}, without a key, on this port of loopback
     * @param perTenant      label job metrics with the tenant too (one series per tenant: mind the cardinality)
     * @param refreshSeconds gauges read from the database (queue depths, the outbox) are read at most this often
     */
    public record Metrics(boolean enabled, @com.fasterxml.jackson.annotation.JsonProperty("public") boolean open, int port,
                          boolean perTenant, int refreshSeconds) {}

    /**
     * @param format    {@code text} (one line per event) or {@code json} (one JSON object per line)
     * @param accessLog a line per HTTP request: method, route, status, bytes, milliseconds, key id
     */
    public record Logging(String format, boolean accessLog) {}

    /** @param otlpEndpoint where traces go over OTLP (http/protobuf); empty: off, unless OTEL_* variables say otherwise */
    public record Tracing(String otlpEndpoint) {}

    /** A job type as the file declares it; unset fields keep the built-in type's value, or the defaults. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record TypeSpec(String description, String executor, String handler, List<String> command, String url,
                           String queue, Integer maxAttempts, Integer timeoutSeconds, Integer concurrency, PriceSpec price,
                           JsonNode inputSchema, Integer retentionHours) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record PriceSpec(BigDecimal perJob, BigDecimal perSecond, BigDecimal perUnit, String currency) {}

    /**
     * Short names kept from before every key had its own variable, and the key each sets. The
     * variable of the rule ({@link #variable}) wins over its short name when both are set.
     */
    public static final Map<String, String> ENVIRONMENT = Map.ofEntries(
            Map.entry("SPOOL_HOST", "http.host"),
            Map.entry("SPOOL_PORT", "http.port"),
            Map.entry("SPOOL_PUBLIC_URL", "http.public_url"),
            Map.entry("SPOOL_DATA_DIR", "storage.data_dir"),
            Map.entry("SPOOL_DATABASE", "storage.database"),
            Map.entry("SPOOL_ADMIN_KEY", "auth.admin_key"),
            Map.entry("SPOOL_ARTIFACTS_SIGNING_KEY", "artifacts.signing_key"),
            Map.entry("SPOOL_S3_ACCESS_KEY", "artifacts.s3.access_key"),
            Map.entry("SPOOL_S3_SECRET_KEY", "artifacts.s3.secret_key"),
            Map.entry("SPOOL_LOG_FORMAT", "logging.format"),
            Map.entry("SPOOL_METRICS_ENABLED", "metrics.enabled"));

    static final ObjectMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .build();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    public Config {
        types = types == null ? Map.of() : Map.copyOf(new LinkedHashMap<>(types));
        require(http.port() >= 0 && http.port() <= 65535, "http.port must be between 0 and 65535");
        require(http.maxBodyBytes() >= 1024, "http.max_body_bytes must be at least 1024");
        require(http.publicUrl() != null && (http.publicUrl().isEmpty() || http.publicUrl().matches("https?://\\S+")),
                "http.public_url must be empty or an http(s) URL");
        require(storage.database().isEmpty() || storage.database().matches("(jdbc:postgresql|postgresql|postgres)://.+"),
                "storage.database must be empty (embedded SQLite) or a PostgreSQL URL such as postgresql://user:password@host:5432/spool");
        require(storage.schema().matches("[a-z_][a-z0-9_]{0,62}"), "storage.schema must be a lower-case SQL name");
        require(storage.statementTimeoutMs() >= 100, "storage.statement_timeout_ms must be at least 100");
        require(storage.connectTimeoutMs() >= 250, "storage.connect_timeout_ms must be at least 250");
        require(storage.groupCommitMax() >= 1, "storage.group_commit_max must be at least 1");
        require(storage.readConnections() >= 1, "storage.read_connections must be at least 1");
        require(storage.writeConnections() >= 1 && storage.writeConnections() <= 64,
                "storage.write_connections must be between 1 and 64");
        require(artifacts.backend().equals("local") || artifacts.backend().equals("s3"), "artifacts.backend must be local or s3");
        require(!artifacts.backend().equals("s3") || !artifacts.s3().bucket().isBlank(), "artifacts.s3.bucket is required with the s3 backend");
        require(artifacts.maxUploadBytes() >= 1, "artifacts.max_upload_bytes must be at least 1");
        require(artifacts.maxPerJob() >= 1, "artifacts.max_per_job must be at least 1");
        require(artifacts.maxBytesPerJob() >= 1, "artifacts.max_bytes_per_job must be at least 1");
        require(artifacts.linkTtlSeconds() >= 1, "artifacts.link_ttl_seconds must be at least 1");
        RetrySchedule.parse(webhooks.retrySchedule()); // throws with the reason
        require(webhooks.concurrency() >= 1 && webhooks.concurrency() <= 1000, "webhooks.concurrency must be between 1 and 1000");
        require(webhooks.timeoutMs() >= 100, "webhooks.timeout_ms must be at least 100");
        require(webhooks.keepDeliveriesHours() >= 1, "webhooks.keep_deliveries_hours must be at least 1");
        require(jobs.leaseSeconds() >= 1, "jobs.lease_seconds must be at least 1");
        require(jobs.backoffBaseSeconds() > 0, "jobs.backoff_base_seconds must be above 0");
        require(jobs.backoffMaxSeconds() >= jobs.backoffBaseSeconds(), "jobs.backoff_max_seconds must be at least jobs.backoff_base_seconds");
        require(jobs.idempotencyRetentionHours() >= 24, "jobs.idempotency_retention_hours must be at least 24");
        require(jobs.maxBatchSize() >= 1 && jobs.maxBatchSize() <= 10_000, "jobs.max_batch_size must be between 1 and 10000");
        require(jobs.maintenanceIntervalMs() >= 10, "jobs.maintenance_interval_ms must be at least 10");
        require(jobs.retentionHours() >= 1, "jobs.retention_hours must be at least 1");
        types.forEach((name, t) -> require(t.retentionHours() == null || t.retentionHours() >= 1,
                "types." + name + ".retention_hours must be at least 1"));
        require(runner.slots() >= Runner.BY_TYPE, "runner.slots must be -1 (sized by type), 0 (none here) or more");
        require(runner.ioSlots() >= 0 && runner.ioSlots() <= 10_000, "runner.io_slots must be between 0 and 10000");
        require(runner.cpuSlots() >= 0 && runner.cpuSlots() <= 10_000, "runner.cpu_slots must be between 0 and 10000");
        require(runner.pollMs() >= 10, "runner.poll_ms must be at least 10");
        require(runner.heartbeatMs() >= 10 && runner.heartbeatMs() < jobs.leaseSeconds() * 1000L,
                "runner.heartbeat_ms must be at least 10 and shorter than the lease");
        require(runner.progressMs() >= 10, "runner.progress_ms must be at least 10");
        require(runner.shutdownGraceSeconds() >= 0, "runner.shutdown_grace_seconds cannot be negative");
        require(metrics.port() >= 0 && metrics.port() <= 65535, "metrics.port must be between 0 (none) and 65535");
        require(metrics.port() == 0 || metrics.port() != http.port(), "metrics.port must differ from http.port");
        require(metrics.refreshSeconds() >= 1 && metrics.refreshSeconds() <= 3600, "metrics.refresh_seconds must be between 1 and 3600");
        require(logging.format().equals("text") || logging.format().equals("json"), "logging.format must be text or json");
        require(tracing.otlpEndpoint().isEmpty() || tracing.otlpEndpoint().matches("https?://\\S+"),
                "tracing.otlp_endpoint must be empty or an http(s) URL");
    }

    public static Config defaults() {
        return new Config(
                new Http("127.0.0.1", 8080, "", 1024 * 1024),
                new Storage("./spool-data", "", 512, 4, "public", 30_000, 5_000, PostgresStore.Settings.WRITE_CONNECTIONS),
                new Artifacts("local", "", new S3("", "us-east-1", "spool", "artifacts/", "", "", false),
                        1L << 30, 100, 10L << 30, 3600, ""),
                new Sources(List.of()),
                new Webhooks(List.of(), RetrySchedule.DEFAULT, 16, 10_000, 720),
                new Jobs(30, 1.0, 3600, 24, 1000, 1000, 720),
                new Runner(Runner.BY_TYPE, 256, Runtime.getRuntime().availableProcessors(), 500, 5000, 250, 30),
                new Auth(""),
                new Limits(0, 0, 0, 0, 0, 0, 0, 0, 0, Map.of()),
                new Metrics(true, false, 0, false, 15),
                new Logging("text", false),
                new Tracing(""),
                CompatSettings.defaults(),
                Map.of());
    }

    /**
     * Builds the configuration from the defaults, then {@code file} if given, then the environment,
     * then {@code overrides} (dotted keys, as the command line gives them).
     */
    public static Config load(Optional<Path> file, Map<String, String> environment, Map<String, String> overrides) {
        ObjectNode tree = MAPPER.valueToTree(defaults());
        if (file.isPresent()) {
            try {
                JsonNode fromFile = YAML.readTree(Files.readString(file.get()));
                if (fromFile != null && !fromFile.isMissingNode() && !fromFile.isNull()) {
                    if (!fromFile.isObject()) {
                        throw new IllegalArgumentException("the configuration file must hold a YAML mapping");
                    }
                    merge(tree, (ObjectNode) fromFile);
                }
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read configuration file " + file.get() + ": " + e.getMessage(), e);
            }
        }
        // The short names, then one rule for every key: SPOOL_<KEY>, the dotted key in capitals with
        // '_' for '.'; a section or a map takes a YAML mapping. Sections first, so that a key inside one wins.
        for (Map<String, String> variables : List.of(ENVIRONMENT, VARIABLES)) {
            variables.forEach((variable, key) -> {
                String value = environment.get(variable);
                if (value != null && !value.isEmpty()) {
                    set(tree, key, value);
                }
            });
        }
        overrides.forEach((key, value) -> set(tree, key, value));
        try {
            return MAPPER.treeToValue(tree, Config.class);
        } catch (JsonProcessingException e) {
            if (e.getCause() instanceof IllegalArgumentException invalid) {
                throw invalid; // a rule in a constructor, with its own clear message
            }
            throw new IllegalArgumentException("invalid configuration: " + e.getOriginalMessage(), e);
        }
    }

    /** Copies {@code from} into {@code into}, key by key, so that a file may set one key of a section. */
    private static void merge(ObjectNode into, ObjectNode from) {
        for (Map.Entry<String, JsonNode> e : from.properties()) {
            JsonNode existing = into.get(e.getKey());
            if (existing instanceof ObjectNode o && e.getValue() instanceof ObjectNode v && !e.getKey().equals("input_schema")) {
                merge(o, v);
            } else {
                into.set(e.getKey(), e.getValue());
            }
        }
    }

    /** The environment variable of a dotted key: {@code artifacts.s3.access_key} is {@code SPOOL_ARTIFACTS_S3_ACCESS_KEY}. */
    public static String variable(String dottedKey) {
        return "SPOOL_" + dottedKey.replace('.', '_').toUpperCase(Locale.ROOT);
    }

    /**
     * Every key of the configuration (each section, map and setting of the defaults, job types
     * included as one map) by its environment variable, shallowest first.
     */
    static final Map<String, String> VARIABLES;

    static {
        List<String> keys = new ArrayList<>();
        paths("", MAPPER.valueToTree(defaults()), keys);
        keys.sort(Comparator.comparingInt((String k) -> k.split("\\.").length));
        Map<String, String> variables = new LinkedHashMap<>();
        for (String key : keys) {
            String before = variables.put(variable(key), key);
            if (before != null) {
                throw new IllegalStateException(key + " and " + before + " would share the variable " + variable(key));
            }
        }
        VARIABLES = Collections.unmodifiableMap(variables);
    }

    private static void paths(String prefix, JsonNode node, List<String> into) {
        node.properties().forEach(e -> {
            String key = prefix + e.getKey();
            into.add(key);
            if (e.getValue().isObject() && !key.equals("types")) {
                paths(key + ".", e.getValue(), into);
            }
        });
    }

    /**
     * Sets a dotted key from text, typed as the default at that key is: a list from a YAML list
     * ({@code [a, b]}) or comma-separated text, a section or a map from a YAML mapping, merged in.
     */
    private static void set(ObjectNode tree, String dottedKey, String value) {
        String[] parts = dottedKey.split("\\.");
        ObjectNode node = tree;
        for (int i = 0; i < parts.length - 1; i++) {
            if (!(node.get(parts[i]) instanceof ObjectNode next)) {
                throw new IllegalArgumentException("unknown configuration key " + dottedKey);
            }
            node = next;
        }
        String leaf = parts[parts.length - 1];
        JsonNode current = node.get(leaf);
        if (current == null) {
            throw new IllegalArgumentException("unknown configuration key " + dottedKey);
        }
        try {
            if (current.isObject()) {
                JsonNode mapping = yaml(dottedKey, value);
                if (!mapping.isObject()) {
                    throw new IllegalArgumentException(dottedKey + " takes a YAML mapping such as {key: value}, not '" + value + "'");
                }
                merge((ObjectNode) current, (ObjectNode) mapping);
            } else if (current.isArray()) {
                String text = value.trim();
                JsonNode list = text.startsWith("[") ? yaml(dottedKey, text) : MAPPER.valueToTree(text.isEmpty() ? List.of()
                        : Arrays.stream(text.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList());
                if (!list.isArray()) {
                    throw new IllegalArgumentException(dottedKey + " takes a list: [a, b] or a,b");
                }
                node.set(leaf, list);
            } else if (current.isBoolean()) {
                if (!value.equals("true") && !value.equals("false")) {
                    throw new IllegalArgumentException(dottedKey + " must be true or false, not '" + value + "'");
                }
                node.put(leaf, Boolean.parseBoolean(value));
            } else if (current.isIntegralNumber()) {
                node.put(leaf, Long.parseLong(value.trim()));
            } else if (current.isNumber()) {
                node.put(leaf, Double.parseDouble(value.trim()));
            } else {
                node.put(leaf, value);
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(dottedKey + " must be a number, not '" + value + "'");
        }
    }

    private static JsonNode yaml(String dottedKey, String text) {
        try {
            JsonNode parsed = YAML.readTree(text);
            return parsed == null ? MAPPER.nullNode() : parsed;
        } catch (IOException e) {
            throw new IllegalArgumentException(dottedKey + " is not valid YAML: " + e.getMessage());
        }
    }

    /** Every setting except job types, as dotted key to value: what the docs table lists. */
    public Map<String, String> settings() {
        Map<String, String> flat = new LinkedHashMap<>();
        ObjectNode tree = MAPPER.valueToTree(this);
        tree.remove("types");
        flatten("", tree, flat);
        return flat;
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> into) {
        node.properties().forEach(e -> {
            String key = prefix + e.getKey();
            if (e.getValue().isObject()) {
                flatten(key + ".", e.getValue(), into);
            } else {
                into.put(key, e.getValue().isArray() ? e.getValue().toString() : e.getValue().asText());
            }
        });
    }

    /** The configuration as one line of JSON for the log, with secrets replaced. */
    public String redacted() {
        ObjectNode tree = MAPPER.valueToTree(this);
        ((ObjectNode) tree.get("auth")).put("admin_key", auth.adminKey().isEmpty() ? "" : "<redacted>");
        ((ObjectNode) tree.get("storage")).put("database", redactUrl(storage.database()));
        ((ObjectNode) tree.get("artifacts")).put("signing_key", artifacts.signingKey().isEmpty() ? "" : "<redacted>");
        ((ObjectNode) tree.get("artifacts").get("s3")).put("secret_key", artifacts.s3().secretKey().isEmpty() ? "" : "<redacted>");
        tree.put("types", String.join(",", types.keySet()));
        return tree.toString();
    }

    /** A database URL without its password, for logs. */
    static String redactUrl(String url) {
        return url.replaceAll("(://[^:/@]+:)[^@]*@", "$1<redacted>@").replaceAll("(password=)[^&]*", "$1<redacted>");
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
