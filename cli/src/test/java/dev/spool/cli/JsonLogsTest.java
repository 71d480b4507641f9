package dev.spool.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code spool serve} with {@code logging.format: json}, in a process of its own with the real
 * logback.xml: every line it writes parses as JSON, and the lines of one request (a debug line of
 * the submit, the access log's) carry the request's id.
 */
class JsonLogsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ADMIN = "spool_abcdefghijkl_abcdefghijklmnopqrstuvwxyz234567";

    @TempDir
    Path dir;

    @Test
    void everyLineIsJsonAndARequestsLinesShareItsId() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path config = Files.writeString(dir.resolve("spool.yaml"), "logging: {format: json, access_log: true}\n");
        // As the jar runs it (its manifest enables native access, for SQLite's driver).
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Main.class.getName(), "serve", "--config", config.toString(),
                "--port", Integer.toString(port), "--data-dir", dir.resolve("data").toString());
        pb.environment().put("SPOOL_ADMIN_KEY", ADMIN);
        pb.environment().put("SPOOL_LOG_LEVEL", "debug");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        List<String> lines = new CopyOnWriteArrayList<>();
        String jobId;
        Thread reader = Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (java.io.IOException e) {
                // the process ended
            }
        });
        try {
            HttpClient http = HttpClient.newHttpClient();
            URI base = URI.create("http://127.0.0.1:" + port);
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> http.send(
                    HttpRequest.newBuilder(base.resolve("/readyz")).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
            HttpResponse<String> submitted = http.send(HttpRequest.newBuilder(base.resolve("/v1/jobs"))
                    .header("Authorization", "Bearer " + ADMIN).header("Content-Type", "application/json")
                    .header("X-Request-Id", "req-logs-1")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"type\": \"echo\", \"input\": {}}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(submitted.statusCode()).isEqualTo(201);
            jobId = JSON.readTree(submitted.body()).get("id").asText();
            assertThat(submitted.headers().firstValue("X-Request-Id")).hasValue("req-logs-1");
            // An id that is not sane is replaced by a new one.
            HttpResponse<String> odd = http.send(HttpRequest.newBuilder(base.resolve("/healthz"))
                    .header("X-Request-Id", "bad id with spaces").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(odd.headers().firstValue("X-Request-Id").orElseThrow()).isNotEqualTo("bad id with spaces").hasSizeGreaterThan(8);

            await().atMost(Duration.ofSeconds(10)).until(() -> lines.stream().filter(l -> l.contains("req-logs-1")).count() >= 2
                    && lines.stream().anyMatch(l -> l.contains("the handler returned")));
        } finally {
            p.destroy();
            p.waitFor();
            reader.join(5_000);
        }
        assertThat(lines).isNotEmpty();
        for (String line : lines) {
            JsonNode event = parse(line); // fails on a line that is not JSON
            assertThat(event.has("@timestamp") && event.has("level") && event.has("message")).as(line).isTrue();
        }
        List<JsonNode> request = lines.stream().map(JsonLogsTest::parse)
                .filter(e -> "req-logs-1".equals(e.path("request_id").asText(null))).toList();
        assertThat(request).extracting(e -> e.get("logger_name").asText())
                .contains("dev.spool.http.JobRoutes", "dev.spool.access");
        JsonNode access = request.stream().filter(e -> e.get("logger_name").asText().equals("dev.spool.access")).findFirst().orElseThrow();
        assertThat(access.get("message").asText()).contains("POST /v1/jobs 201").doesNotContain(ADMIN);
        // The job's own lines (the server ran it: echo) carry its id and attempt.
        List<JsonNode> job = lines.stream().map(JsonLogsTest::parse).filter(e -> jobId.equals(e.path("job_id").asText(null))).toList();
        assertThat(job).extracting(e -> e.get("message").asText()).anyMatch(m -> m.equals("running, type echo"))
                .anyMatch(m -> m.startsWith("the handler returned"));
        assertThat(job).allMatch(e -> e.get("attempt").asText().equals("1"));
    }

    private static JsonNode parse(String line) {
        try {
            return JSON.readTree(line);
        } catch (java.io.IOException e) {
            throw new AssertionError(line, e);
        }
    }
}
