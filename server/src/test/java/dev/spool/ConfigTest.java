package dev.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spool.engine.JobHandler;
import dev.spool.engine.JobType;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigTest {
    private static final Pattern ROW = Pattern.compile("^\\| `([a-z0-9_.]+)` \\| `([^`]*)` \\|");
    private static final Pattern ENV_ROW = Pattern.compile("^\\| `(SPOOL_[A-Z0-9_]+)` \\| `([a-z0-9_.]+)` \\|");

    @TempDir
    Path dir;

    private static String docs() throws IOException {
        Path here = Path.of("").toAbsolutePath();
        Path docs = here.resolve("docs/configuration.md");
        return Files.readString(Files.exists(docs) ? docs : here.getParent().resolve("docs/configuration.md"));
    }

    @Test
    void theDocsTableListsEverySettingWithItsDefault() throws IOException {
        Map<String, String> documented = new LinkedHashMap<>();
        for (String line : docs().lines().toList()) {
            Matcher m = ROW.matcher(line);
            if (m.find() && m.group(1).contains(".")) {
                documented.put(m.group(1), m.group(2));
            }
        }
        Map<String, String> actual = new LinkedHashMap<>(Config.defaults().settings());
        // The slot count depends on the machine; the docs say how it is derived.
        assertThat(actual.remove("runner.cpu_slots")).isEqualTo(Integer.toString(Runtime.getRuntime().availableProcessors()));
        assertThat(documented.remove("runner.cpu_slots")).isEqualTo("cores");
        assertThat(documented).containsExactlyInAnyOrderEntriesOf(actual);
    }

    @Test
    void theDocsListEveryEnvironmentVariableTheCodeReads() throws IOException {
        Map<String, String> documented = new HashMap<>();
        for (String line : docs().lines().toList()) {
            Matcher m = ENV_ROW.matcher(line);
            if (m.find()) {
                documented.put(m.group(1), m.group(2));
            }
        }
        assertThat(documented).containsExactlyInAnyOrderEntriesOf(Config.ENVIRONMENT);
    }

    @Test
    void laterSourcesOverrideEarlierOnes() throws IOException {
        Path file = dir.resolve("spool.yaml");
        Files.writeString(file, "http:\n  port: 9000\n  host: 0.0.0.0\njobs:\n  lease_seconds: 60\n");

        Config config = Config.load(Optional.of(file), Map.of("SPOOL_PORT", "9001"), Map.of("http.host", "::1"));
        assertThat(config.http().port()).isEqualTo(9001);
        assertThat(config.http().host()).isEqualTo("::1");
        assertThat(config.jobs().leaseSeconds()).isEqualTo(60);
        assertThat(config.jobs().backoffMaxSeconds()).as("untouched keys keep their default").isEqualTo(3600);
    }

    @Test
    void aWrongValueOrAnUnknownKeyStopsTheStartWithAMessageNamingIt() throws IOException {
        assertThatThrownBy(() -> Config.load(Optional.empty(), Map.of("SPOOL_PORT", "eighty"), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("http.port");
        assertThatThrownBy(() -> Config.load(Optional.empty(), Map.of(), Map.of("http.port", "70000")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("http.port");
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, "http:\n  prot: 9000\n");
        assertThatThrownBy(() -> Config.load(Optional.of(file), Map.of(), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("prot");
    }

    @Test
    void theLoggedConfigurationHidesTheAdminKeyAndTheDatabasePassword() {
        Config config = Config.load(Optional.empty(), Map.of(
                "SPOOL_ADMIN_KEY", "spool_abcdefghijkl_" + "a".repeat(32),
                "SPOOL_DATABASE", "postgresql://spool:hunter2@db.internal:5432/spool"), Map.of());
        assertThat(config.storage().isPostgres()).isTrue();
        assertThat(config.redacted()).doesNotContain("abcdefghijkl").doesNotContain("hunter2")
                .contains("postgresql://spool:<redacted>@db.internal:5432/spool");
        assertThat(Config.redactUrl("jdbc:postgresql://h/db?user=u&password=p&ssl=true"))
                .isEqualTo("jdbc:postgresql://h/db?user=u&password=<redacted>&ssl=true");
        assertThatThrownBy(() -> Config.load(Optional.empty(), Map.of("SPOOL_DATABASE", "mysql://x"), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("storage.database");
    }

    @Test
    void aFileCanChangeABuiltinTypeAndDeclareAnother() throws IOException {
        Path file = dir.resolve("types.yaml");
        Files.writeString(file, """
                types:
                  sleep:
                    concurrency: 2
                  stats.premium:
                    handler: text.stats
                    max_attempts: 5
                    price: {per_job: 0.01, currency: EUR}
                """);
        Map<String, JobHandler> handlers = new HashMap<>();
        var types = Server.types(Config.load(Optional.of(file), Map.of(), Map.of()), handlers);

        JobType sleep = types.get("sleep").orElseThrow();
        assertThat(sleep.concurrency()).isEqualTo(2);
        assertThat(sleep.timeoutSeconds()).as("unset fields keep the built-in value").isEqualTo(3600);
        JobType premium = types.get("stats.premium").orElseThrow();
        assertThat(premium.maxAttempts()).isEqualTo(5);
        assertThat(premium.price().perJob()).isEqualByComparingTo(new BigDecimal("0.01"));
        assertThat(premium.price().currency()).isEqualTo("EUR");
        assertThat(premium.inputSchema()).isEqualTo(types.get("text.stats").orElseThrow().inputSchema());
        assertThat(handlers).containsKeys("sleep", "stats.premium", "echo", "primes");

        Files.writeString(file, "types:\n  x:\n    handler: nope\n");
        assertThatThrownBy(() -> Server.types(Config.load(Optional.of(file), Map.of(), Map.of()), new HashMap<>()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no builtin handler named 'nope'");
    }

    /** A value other than the default for each text setting, valid for it. */
    private static final Map<String, String> OTHER_TEXT = Map.ofEntries(
            Map.entry("http.host", "localhost"), Map.entry("http.public_url", "https://spool.example.com"),
            Map.entry("storage.data_dir", "/tmp/spool-env"), Map.entry("storage.database", "postgresql://db:5432/spool"),
            Map.entry("storage.schema", "spool"), Map.entry("artifacts.backend", "s3"),
            Map.entry("artifacts.s3.endpoint", "http://127.0.0.1:9000"), Map.entry("artifacts.s3.region", "eu-west-1"),
            Map.entry("artifacts.s3.bucket", "jobs"), Map.entry("artifacts.s3.prefix", "files/"),
            Map.entry("artifacts.s3.access_key", "access"), Map.entry("artifacts.s3.secret_key", "secret"),
            Map.entry("artifacts.dir", "/tmp/spool-files"), Map.entry("artifacts.signing_key", "a-signing-key-of-some-length-1234"),
            Map.entry("webhooks.retry_schedule", "1s,2s"), Map.entry("auth.admin_key", "spool_abcdefghijkl_abcdefghijklmnopqrstuvwxyz234567"),
            Map.entry("logging.format", "json"), Map.entry("tracing.otlp_endpoint", "http://127.0.0.1:4318"),
            Map.entry("compat.hamsa.skip", "page"), Map.entry("compat.rodin.cancelled_status", "Canceled"),
            Map.entry("compat.gepetto.failed_status", "error"), Map.entry("compat.daily.bucket", "other"),
            Map.entry("compat.daily.region", "eu-west-1"));

    @Test
    void everySettingOfTheTableIsSetByItsOwnEnvironmentVariable() {
        Map<String, String> defaults = Config.load(Optional.empty(), Map.of(), Map.of()).settings();
        List<String> wrong = new ArrayList<>();
        defaults.forEach((key, value) -> {
            String other;
            String expected;
            if (value.equals("true") || value.equals("false")) {
                other = String.valueOf(!Boolean.parseBoolean(value));
                expected = other;
            } else if (value.matches("-?\\d+")) {
                other = String.valueOf(Math.max(1, Long.parseLong(value) + 1));
                expected = other;
            } else if (value.matches("-?\\d+\\.\\d+")) {
                other = String.valueOf(Double.parseDouble(value) + 0.5);
                expected = other;
            } else if (value.startsWith("[")) {
                other = "a.example.com, b.example.com";
                expected = "[\"a.example.com\",\"b.example.com\"]";
            } else if (key.startsWith("compat.") && key.contains(".types.")) {
                other = "elsewhere." + key.substring(key.lastIndexOf('.') + 1);
                expected = other;
            } else {
                other = OTHER_TEXT.get(key);
                expected = other;
            }
            if (other == null) {
                wrong.add(key + ": no other value in this test");
                return;
            }
            try {
                String got = Config.load(Optional.empty(), Map.of(Config.variable(key), other), Map.of()).settings().get(key);
                if (!expected.equals(got)) {
                    wrong.add(Config.variable(key) + "=" + other + " made " + key + " " + got);
                }
            } catch (IllegalArgumentException e) {
                wrong.add(Config.variable(key) + "=" + other + ": " + e.getMessage());
            }
        });
        assertThat(wrong).isEmpty();
        assertThat(defaults).hasSizeGreaterThan(60);
    }

    @Test
    void aMapOrASectionIsSetFromTheEnvironmentAsAYamlMapping() {
        Config config = Config.load(Optional.empty(), Map.of(
                "SPOOL_LIMITS_TENANTS", "{acme: {max_queued: 5, requests_per_second: 20}}",
                "SPOOL_HTTP", "{port: 9123}",
                "SPOOL_TYPES", "{render: {executor: worker, queue: gpu}}",
                "SPOOL_PORT", "9000"), Map.of());
        assertThat(config.limits().tenants().get("acme").maxQueued()).isEqualTo(5L);
        assertThat(config.http().port()).as("the rule's variable wins over the short name").isEqualTo(9123);
        assertThat(config.types().get("render").queue()).isEqualTo("gpu");
        assertThatThrownBy(() -> Config.load(Optional.empty(), Map.of("SPOOL_LIMITS_TENANTS", "[1, 2]"), Map.of()))
                .hasMessageContaining("limits.tenants takes a YAML mapping");
        assertThat(Config.variable("artifacts.s3.access_key")).isEqualTo("SPOOL_ARTIFACTS_S3_ACCESS_KEY");
    }
}
