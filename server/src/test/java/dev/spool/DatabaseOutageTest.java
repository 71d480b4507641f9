package dev.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.spool.testing.RestartablePostgres;
import dev.spool.testing.TestJobs;
import dev.spool.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A database that goes away is not a bug: while it is gone every call answers 503 with {@code
 * Retry-After} and a problem clients can retry on, the log says so once (not a stack per request),
 * and when it comes back the node serves again by itself — also a node that started while it was
 * still down.
 */
class DatabaseOutageTest {
    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void whileTheDatabaseIsDownEveryCallAnswers503WithRetryAfterAndTheLogSaysItOnce() throws Exception {
        try (RestartablePostgres pg = new RestartablePostgres(dir.resolve("pg")).start()) {
            String url = pg.newDatabase("outage");
            try (TestServer spool = new TestServer(dir.resolve("data"), Map.of("storage.database", url,
                    "storage.connect_timeout_ms", "1000"))) {
                String key = spool.adminKey;
                HttpResponse<byte[]> first = spool.post("/v1/jobs", key, "{\"type\": \"echo\", \"input\": {\"n\": 1}}");
                assertThat(first.statusCode()).isEqualTo(201);
                String id = TestJobs.JSON.readTree(first.body()).get("id").asText();
                // Its run is over before the outage: this test counts what calls and the log say while
                // nothing is in flight (a report caught by the outage is the chaos suite's to check).
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(TestJobs.JSON.readTree(
                        spool.send(spool.request("/v1/jobs/" + id, key).GET()).body()).get("status").asText()).isEqualTo("succeeded"));

                ListAppender<ILoggingEvent> log = capture();
                pg.stop();
                long stopped = System.nanoTime();
                int calls = 0;
                for (int round = 0; round < 25; round++) {
                    for (HttpRequest.Builder call : List.of(
                            spool.request("/v1/jobs/" + id, key).GET(),
                            spool.request("/v1/jobs?limit=5", key).GET(),
                            spool.request("/v1/jobs", key).header("Content-Type", "application/json")
                                    .header("Idempotency-Key", "outage-" + round)
                                    .POST(HttpRequest.BodyPublishers.ofString("{\"type\": \"echo\", \"input\": {\"n\": 2}}")),
                            spool.request("/v1/jobs/" + id + "/cancel", key).POST(HttpRequest.BodyPublishers.noBody()))) {
                        HttpResponse<byte[]> answer = spool.send(call.timeout(Duration.ofSeconds(15)));
                        assertUnavailable(answer);
                        calls++;
                    }
                }
                assertThat(get(spool.uri(), "/healthz").statusCode()).isEqualTo(200);
                assertUnavailable(spool.send(spool.request("/readyz", null).GET()));

                List<String> lines = log.list.stream().map(DatabaseOutageTest::describe).toList();
                assertThat(lines).as("log lines for %d refused calls: %s", calls, lines)
                        .hasSizeLessThanOrEqualTo(8)
                        .noneMatch(line -> line.startsWith("[ERROR]"));

                long outageMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopped);
                pg.start();
                long back = System.nanoTime();
                // Reads come back when the pool has a connection again; its creator backs off up to
                // 5 s between tries during an outage, so allow for that and say how long it took.
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                        assertThat(spool.send(spool.request("/readyz", null).GET()).statusCode()).isEqualTo(200));
                System.out.printf("outage of %d ms: %d calls refused; ready again %d ms after the database%n", outageMs, calls,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - back));
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(spool.post("/v1/jobs", key,
                        "{\"type\": \"echo\", \"input\": {\"n\": 3}}").statusCode()).isEqualTo(201));
                assertThat(spool.send(spool.request("/v1/jobs/" + id, key).GET()).statusCode()).isEqualTo(200);
                assertThat(log.list).anyMatch(e -> e.getFormattedMessage().contains("answers again"));
                detach(log);
            }
        }
    }

    @Test
    void aNodeStartedWhileTheDatabaseIsDownWaitsAndIsReadyWithinTwoSecondsOfItsReturn() throws Exception {
        RestartablePostgres pg = new RestartablePostgres(dir.resolve("pg")).start();
        try (pg) {
            String url = pg.newDatabase("late");
            // The schema exists already, as it does when a cluster's database restarts.
            Server.start(config(url, 0)).close();
            pg.stop();

            int port = RestartablePostgres.freePort();
            CompletableFuture<Server> starting = CompletableFuture.supplyAsync(() -> Server.start(config(url, port)));
            URI base = URI.create("http://127.0.0.1:" + port);
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .untilAsserted(() -> assertThat(get(base, "/healthz").statusCode()).isEqualTo(200));
            assertUnavailable(get(base, "/readyz"));
            assertUnavailable(get(base, "/v1/jobs"));
            assertThat(starting).isNotDone();

            pg.start();
            long back = System.nanoTime();
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).ignoreExceptions()
                    .untilAsserted(() -> assertThat(get(base, "/readyz").statusCode()).isEqualTo(200));
            long readyMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - back);
            System.out.printf("ready %d ms after the database came back%n", readyMs);
            assertThat(readyMs).isLessThanOrEqualTo(2_000);
            try (Server server = starting.get(10, TimeUnit.SECONDS)) {
                assertThat(server.port()).isEqualTo(port);
            }
        }
    }

    private Config config(String url, int port) {
        return Config.load(Optional.empty(), Map.of(), Map.of("http.host", "127.0.0.1", "http.port", Integer.toString(port),
                "storage.database", url, "storage.data_dir", dir.resolve("data").toString(),
                "storage.connect_timeout_ms", "1000", "runner.shutdown_grace_seconds", "1"));
    }

    private HttpResponse<byte[]> get(URI base, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    private static void assertUnavailable(HttpResponse<byte[]> answer) throws Exception {
        assertThat(answer.statusCode()).as("%s %s", answer.request().method(), answer.uri()).isEqualTo(503);
        assertThat(answer.headers().firstValue("Retry-After")).hasValueSatisfying(v -> assertThat(Integer.parseInt(v)).isPositive());
        assertThat(answer.headers().firstValue("Content-Type")).contains("application/problem+json");
        JsonNode problem = TestJobs.JSON.readTree(answer.body());
        assertThat(problem.get("code").asText()).isEqualTo("unavailable");
    }

    /** Every WARN or worse line logged from now on, from any logger. */
    private static ListAppender<ILoggingEvent> capture() {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> appender = new ListAppender<>() {
            @Override
            protected void append(ILoggingEvent e) {
                if (e.getLevel().isGreaterOrEqual(Level.WARN)) {
                    super.append(e);
                }
            }
        };
        appender.start();
        root.addAppender(appender);
        return appender;
    }

    /** A captured line with its exception's chain, so that a failure says what was thrown. */
    private static String describe(ILoggingEvent e) {
        StringBuilder line = new StringBuilder("[" + e.getLevel() + "] " + e.getFormattedMessage());
        for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
            line.append(" <- ").append(t.getClassName()).append(": ").append(t.getMessage());
            if (t.getStackTraceElementProxyArray().length > 0) {
                line.append(" at ").append(t.getStackTraceElementProxyArray()[0].getSTEAsString());
            }
        }
        return line.toString();
    }

    private static void detach(ListAppender<ILoggingEvent> appender) {
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(appender);
    }
}
