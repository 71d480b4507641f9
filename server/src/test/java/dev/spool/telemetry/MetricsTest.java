package dev.spool.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spool.testing.Receiver;
import dev.spool.testing.TestServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /metrics} tells what happened: jobs of several outcomes run by a worker and by the
 * server, webhooks that get through and that do not; every count is asserted, and every scrape
 * passes {@code promtool check metrics} (Debian's prometheus; .ci/run installs it).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MetricsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path dir;
    private TestServer spool;
    private Receiver receiver;
    private String key;
    private String workerKey;

    @BeforeAll
    void start() {
        receiver = new Receiver();
        receiver.answer(r -> r.path().equals("/broken") ? 500 : 200);
        spool = new TestServer(dir.resolve("data"), Map.of("metrics.refresh_seconds", "1",
                "jobs.backoff_base_seconds", "0.05", "jobs.backoff_max_seconds", "1"), """
                webhooks:
                  allow_hosts: [127.0.0.1]
                  retry_schedule: 100ms
                types:
                  work: {executor: worker, max_attempts: 2}
                """);
        var admin = spool.client(spool.adminKey);
        key = admin.createKey("t", "tenant-m", null).key();
        workerKey = admin.createKey("w", "tenant-m", "worker").key();
    }

    @AfterAll
    void stop() {
        spool.close();
        receiver.close();
    }

    private String submit(String body) {
        return spool.call("POST", "/v1/jobs", key, body, 201).get("id").asText();
    }

    private JsonNode claim(int max) {
        return spool.call("POST", "/v1/worker/claim", workerKey, "{\"types\": [\"work\"], \"max\": " + max
                + ", \"worker_id\": \"w-1\"}", 200).get("jobs");
    }

    private String scrape() {
        HttpResponse<byte[]> res = spool.send(spool.request("/metrics", spool.adminKey).GET());
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain; version=0.0.4");
        return new String(res.body(), StandardCharsets.UTF_8);
    }

    @Test
    void theScrapeCountsJobsWebhooksWorkersAndRequestsAsTheyHappenedAndPassesPromtool() throws Exception {
        spool.call("POST", "/v1/webhooks", key, "{\"url\": \"" + receiver.url("/ok") + "\", \"events\": [\"succeeded\"]}", 201);
        // Four jobs for the worker in queue q1: one succeeds, one fails for good, one fails once and
        // then succeeds, one is cancelled while queued; its own webhook of the failed one is refused.
        String ok = submit("{\"type\": \"work\", \"queue\": \"q1\", \"input\": {}}");
        String bad = submit("{\"type\": \"work\", \"queue\": \"q1\", \"input\": {}, \"webhook\": {\"url\": \""
                + receiver.url("/broken") + "\", \"events\": [\"failed\"]}}");
        String flaky = submit("{\"type\": \"work\", \"queue\": \"q1\", \"input\": {}}");
        JsonNode jobs = claim(3);
        assertThat(jobs).hasSize(3);
        String cancelled = submit("{\"type\": \"work\", \"queue\": \"q1\", \"input\": {}}");
        spool.call("POST", "/v1/jobs/" + cancelled + "/cancel", key, null, 200);
        for (JsonNode j : jobs) {
            String id = j.get("id").asText();
            int attempt = j.get("attempt").asInt();
            if (id.equals(ok)) {
                spool.call("POST", "/v1/worker/jobs/" + id + "/complete", workerKey, "{\"attempt\": " + attempt + ", \"result\": {}}", 200);
            } else if (id.equals(bad)) {
                spool.call("POST", "/v1/worker/jobs/" + id + "/fail", workerKey, "{\"attempt\": " + attempt
                        + ", \"error\": {\"code\": \"bad_input\", \"message\": \"no\"}, \"retryable\": false}", 200);
            } else {
                spool.call("POST", "/v1/worker/jobs/" + id + "/fail", workerKey, "{\"attempt\": " + attempt
                        + ", \"error\": {\"code\": \"flaky\", \"message\": \"again\"}, \"retryable\": true}", 200);
            }
        }
        JsonNode again = await().atMost(Duration.ofSeconds(10)).until(() -> claim(1), a -> a.size() == 1);
        assertThat(again.get(0).get("id").asText()).isEqualTo(flaky);
        spool.call("POST", "/v1/worker/jobs/" + flaky + "/complete", workerKey, "{\"attempt\": 2, \"result\": {}}", 200);
        // One job the server runs itself, and two that wait in q2 for nobody.
        String echo = submit("{\"type\": \"echo\", \"input\": {}}");
        submit("{\"type\": \"work\", \"queue\": \"q2\", \"input\": {}, \"run_at\": \"2020-01-01T00:00:00Z\"}");
        submit("{\"type\": \"work\", \"queue\": \"q2\", \"input\": {}}");
        await().atMost(Duration.ofSeconds(10)).until(() -> spool.call("GET", "/v1/jobs/" + echo, key, null, 200)
                .get("status").asText().equals("succeeded"));
        // ok, flaky and echo succeeded: 3 webhooks to /ok; bad's own webhook: a try, a retry, given up.
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received("/ok").size() == 3
                && receiver.received("/broken").size() == 2);
        Thread.sleep(1100); // past metrics.refresh_seconds: the gauges read the database again

        Scrape s = await().atMost(Duration.ofSeconds(10)).until(() -> Scrape.of(scrape()),
                x -> x.value("spool_webhook_tries_seconds_count", "outcome", "failed") == 1);
        assertThat(s.value("spool_jobs_submitted_total", "type", "work", "queue", "q1")).isEqualTo(4);
        assertThat(s.value("spool_jobs_submitted_total", "type", "work", "queue", "q2")).isEqualTo(2);
        assertThat(s.value("spool_jobs_submitted_total", "type", "echo")).isEqualTo(1);
        assertThat(s.value("spool_jobs_started_total", "type", "work")).isEqualTo(4); // three, and flaky again
        assertThat(s.value("spool_jobs_started_total", "type", "echo")).isEqualTo(1);
        assertThat(s.value("spool_jobs_finished_total", "type", "work", "status", "succeeded")).isEqualTo(2);
        assertThat(s.value("spool_jobs_finished_total", "type", "work", "status", "failed")).isEqualTo(1);
        assertThat(s.value("spool_jobs_finished_total", "type", "work", "status", "cancelled")).isEqualTo(1);
        assertThat(s.value("spool_jobs_finished_total", "type", "echo", "status", "succeeded")).isEqualTo(1);
        assertThat(s.value("spool_attempts_failed_total", "type", "work", "code", "flaky")).isEqualTo(1);
        assertThat(s.value("spool_attempts_failed_total", "type", "work", "code", "bad_input")).isEqualTo(1);
        assertThat(s.value("spool_job_wait_seconds_count", "type", "work")).isEqualTo(4);
        assertThat(s.value("spool_job_run_seconds_count", "type", "work", "status", "succeeded")).isEqualTo(2);
        assertThat(s.value("spool_job_run_seconds_bucket", "type", "work", "status", "succeeded", "le", "+Inf")).isEqualTo(2);
        assertThat(s.value("spool_leases_rescued_total")).isZero();
        // The gauges, read from the database: q2 holds two queued jobs, one of them due since 2020.
        assertThat(s.value("spool_queue_depth", "queue", "q2", "type", "work")).isEqualTo(2);
        assertThat(s.value("spool_queue_oldest_age_seconds", "queue", "q2", "type", "work")).isGreaterThan(86_400 * 365);
        assertThat(s.value("spool_jobs_running")).isZero();
        assertThat(s.value("spool_workers_connected")).isEqualTo(1);
        assertThat(s.value("spool_workers_free_slots")).isEqualTo(1); // its last claim asked for one
        assertThat(s.value("spool_webhook_tries_seconds_count", "outcome", "delivered")).isEqualTo(3);
        assertThat(s.value("spool_webhook_tries_seconds_count", "outcome", "retrying")).isEqualTo(1);
        assertThat(s.value("spool_webhook_pending")).isZero();
        // HTTP by route template, never by raw path; the writer, the pool, the JVM.
        assertThat(s.value("http_server_requests_seconds_count", "method", "POST", "uri", "/v1/worker/jobs/{id}/complete",
                "status", "200")).isEqualTo(2);
        assertThat(s.value("http_server_requests_seconds_count", "method", "GET", "uri", "/v1/jobs/{id}")).isGreaterThanOrEqualTo(1);
        assertThat(s.text()).doesNotContain(ok).doesNotContain(flaky);
        assertThat(s.value("spool_store_write_batch_count")).isGreaterThan(0);
        assertThat(s.has("hikaricp_connections_active")).isTrue();
        assertThat(s.has("jvm_memory_used_bytes")).isTrue();
        assertThat(s.has("process_cpu_usage")).isTrue();
        promtool(s.text());
        theDocsAndTheDashboardNameOnlyWhatIsScraped(s);
    }

    /**
     * docs/observability.md lists every spool_ metric scraped, and the Grafana dashboard uses only
     * metrics scraped here or listed there (a counter appears once it counted something).
     */
    private static void theDocsAndTheDashboardNameOnlyWhatIsScraped(Scrape s) throws IOException {
        Path docs = Path.of("../docs").toAbsolutePath().normalize();
        Set<String> scraped = new HashSet<>();
        s.series().forEach(x -> scraped.add(x.name().replaceAll("_(bucket|count|sum|max)$", "")));
        String guide = Files.readString(docs.resolve("observability.md"));
        for (String name : scraped) {
            if (name.startsWith("spool_")) {
                assertThat(guide).as("docs/observability.md lists " + name).contains("`" + name + "`");
            }
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\b((?:spool|http|hikaricp|jvm|process)_[a-z_]+)")
                .matcher(Files.readString(docs.resolve("grafana-dashboard.json")));
        while (m.find()) {
            String used = m.group(1).replaceAll("_(bucket|count|sum|max)$", "");
            assertThat(scraped.contains(used) || guide.contains("`" + used + "`"))
                    .as("the dashboard's " + m.group(1) + " is scraped or documented").isTrue();
        }
    }

    @Test
    void metricsNeedAnAdminKeyUnlessPublicAndOpenMetricsIsServedOnAsking() {
        assertThat(spool.send(spool.request("/metrics", null).GET()).statusCode()).isEqualTo(401);
        assertThat(spool.send(spool.request("/metrics", key).GET()).statusCode()).isEqualTo(403);
        HttpResponse<byte[]> open = spool.send(spool.request("/metrics", spool.adminKey)
                .header("Accept", "application/openmetrics-text; version=1.0.0").GET());
        assertThat(open.headers().firstValue("Content-Type").orElse("")).startsWith("application/openmetrics-text");
        assertThat(new String(open.body(), StandardCharsets.UTF_8)).endsWith("# EOF\n");
    }

    @Test
    void metricsPublicOpensTheScrapeAndMetricsPortServesItAloneOnLoopback() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        try (TestServer open = new TestServer(dir.resolve("open"), Map.of("metrics.public", "true", "metrics.port",
                Integer.toString(port)))) {
            assertThat(open.send(open.request("/metrics", null).GET()).statusCode()).isEqualTo(200);
            assertThat(open.server.metricsPort()).hasValue(port);
            var http = HttpClient.newHttpClient();
            HttpResponse<String> alone = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(alone.statusCode()).isEqualTo(200);
            assertThat(alone.body()).contains("jvm_memory_used_bytes");
            assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/jobs"))
                    .build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
        }
    }

    @Test
    void tenThousandJobsWithDistinctIdsAndMetadataAddNoLabelValues() {
        // A first small batch makes the meters a batch of echo jobs uses; then 10,000 more add none.
        String warm = spool.call("POST", "/v1/batches", key, batch(0, 10), 201).get("jobs").get(9).get("id").asText();
        await().atMost(Duration.ofSeconds(10)).until(() -> spool.call("GET", "/v1/jobs/" + warm, key, null, 200)
                .get("status").asText().equals("succeeded"));
        scrape(); // so that the scrape's own request is counted before "before"
        Set<String> before = labelValues(Scrape.of(scrape()));
        for (int round = 1; round <= 10; round++) {
            spool.call("POST", "/v1/batches", key, batch(round, 1000), 201);
        }
        Set<String> after = labelValues(Scrape.of(scrape()));
        assertThat(after).isEqualTo(before);
    }

    private static String batch(int round, int n) {
        StringBuilder b = new StringBuilder("{\"jobs\": [");
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : ",").append("{\"type\": \"echo\", \"input\": {\"i\": ").append(i)
                    .append("}, \"metadata\": {\"order\": \"o-").append(round).append('-').append(i).append("\"}}");
        }
        return b.append("]}").toString();
    }

    private static Set<String> labelValues(Scrape s) {
        Set<String> values = new HashSet<>();
        // Spool's own series and the HTTP ones: what job data could reach (the JVM's come and go on their own).
        s.series().stream().filter(x -> x.name().startsWith("spool_") || x.name().startsWith("http_")).forEach(x -> x.labels().forEach((k, v) -> {
            if (!k.equals("le") && !k.equals("quantile")) {
                values.add(k + "=" + v);
            }
        }));
        return values;
    }

    /** Fails unless promtool (Debian's prometheus) finds the scrape well-formed: never skipped. */
    static void promtool(String text) throws IOException, InterruptedException {
        Path file = Files.createTempFile("scrape", ".txt");
        Files.writeString(file, text);
        Process p = new ProcessBuilder("sh", "-c", "promtool check metrics < " + file).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        if (code == 0) {
            Files.delete(file);
        }
        // promtool lints names too (exit 3 with "lint" findings); a malformed scrape is exit 1.
        assertThat(code).as("promtool check metrics < " + file + " said:\n" + out).isZero();
    }
}
