package dev.spool.http;

import static dev.spool.testing.TestJobs.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.spool.client.Job;
import dev.spool.client.SpoolClient;
import dev.spool.client.SubmitRequest;
import dev.spool.testing.TestServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The server-side command and http executors, with a real program and a real HTTP endpoint on loopback. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExecutorTest {
    @TempDir
    static Path dir;

    private HttpServer model;
    private final AtomicInteger busyCalls = new AtomicInteger();
    private TestServer spool;
    private SpoolClient tenant;
    private String tenantKey;

    @BeforeAll
    void start() throws Exception {
        model = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        model.createContext("/classify", exchange -> {
            byte[] in = exchange.getRequestBody().readAllBytes();
            String label = new String(in, StandardCharsets.UTF_8).contains("meow") ? "cat" : "dog";
            byte[] out = ("{\"label\": \"" + label + "\", \"attempt\": " + exchange.getRequestHeaders().getFirst("Spool-Attempt") + "}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, out.length);
            exchange.getResponseBody().write(out);
            exchange.close();
        });
        model.createContext("/busy", exchange -> {
            busyCalls.incrementAndGet();
            exchange.sendResponseHeaders(503, -1);
            exchange.close();
        });
        model.createContext("/reject", exchange -> {
            byte[] out = "input too long".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(400, out.length);
            exchange.getResponseBody().write(out);
            exchange.close();
        });
        model.start();
        String base = "http://127.0.0.1:" + model.getAddress().getPort();
        spool = new TestServer(dir, Map.of("jobs.backoff_base_seconds", "0.1"), """
                types:
                  upper:
                    executor: command
                    command: [sh, -c, "echo 'spool:progress 0.5 working' >&2; echo started >&2; tr a-z A-Z"]
                  draw:
                    executor: command
                    command: [sh, -c, "printf 'P1\\n1 1\\n1\\n' > $SPOOL_OUTPUT_DIR/dot.pbm; echo hi > $SPOOL_OUTPUT_DIR/note.txt; echo '{}'"]
                  broken:
                    executor: command
                    max_attempts: 1
                    command: [sh, -c, "echo 'disk full' >&2; exit 4"]
                  forever:
                    executor: command
                    max_attempts: 1
                    timeout_seconds: 1
                    command: [sleep, "3600"]
                  endless:
                    executor: command
                    command: [sleep, "7200"]
                  classify: {executor: http, url: "%s/classify"}
                  busy: {executor: http, url: "%s/busy", max_attempts: 2}
                  reject: {executor: http, url: "%s/reject"}
                """.formatted(base, base, base));
        SpoolClient admin = spool.client(spool.adminKey);
        tenantKey = admin.createKey("t", "exec", null).key();
        tenant = spool.client(tenantKey);
    }

    @AfterAll
    void stop() {
        spool.close();
        model.stop(0);
    }

    private Job run(String type, String input) throws Exception {
        return tenant.waitFor(tenant.submit(SubmitRequest.of(type, json(input))).id(), Duration.ofSeconds(30), j -> {});
    }

    @Test
    void aCommandTypeRunsItsProgramWithTheInputAndKeepsItsLog() throws Exception {
        Job done = run("upper", "{\"text\": \"quiet please\"}");
        assertThat(done.status()).isEqualTo("succeeded");
        assertThat(done.result()).isEqualTo(json("{\"TEXT\": \"QUIET PLEASE\"}"));
        var logs = json(new String(spool.send(spool.request("/v1/jobs/" + done.id() + "/logs", tenantKey).GET()).body())).get("data");
        assertThat(logs.get(0).get("line").asText()).isEqualTo("started");
    }

    @Test
    void filesAProgramWritesToItsOutputFolderBecomeTheJobsArtifacts() throws Exception {
        Job done = run("draw", "{}");
        assertThat(done.status()).isEqualTo("succeeded");
        var files = json(new String(spool.send(spool.request("/v1/jobs/" + done.id() + "/artifacts", tenantKey).GET()).body())).get("data");
        assertThat(files).extracting(f -> f.get("name").asText()).containsExactly("dot.pbm", "note.txt");
        assertThat(files.get(1).get("content_type").asText()).isEqualTo("text/plain");
        var note = spool.send(spool.request("/v1/jobs/" + done.id() + "/artifacts/note.txt", tenantKey).GET());
        assertThat(new String(note.body(), StandardCharsets.UTF_8)).isEqualTo("hi\n");
    }

    @Test
    void aFailingProgramFailsTheJobWithItsExitStatusAndStandardError() throws Exception {
        Job failed = run("broken", "{}");
        assertThat(failed.status()).isEqualTo("failed");
        assertThat(failed.error().code()).isEqualTo("exit_4");
        assertThat(failed.error().message()).contains("disk full");
    }

    @Test
    void aProgramPastItsTimeoutIsKilled() throws Exception {
        Job failed = run("forever", "{}");
        assertThat(failed.status()).isEqualTo("failed");
        assertThat(failed.error().code()).isEqualTo("timeout");
        await().atMost(Duration.ofSeconds(10)).until(() -> children("sleep 3600") == 0);
    }

    @Test
    void aCancelKillsTheProgram() throws Exception {
        String id = tenant.submit(SubmitRequest.of("endless", json("{}"))).id();
        await().atMost(Duration.ofSeconds(10)).until(() -> children("sleep 7200") == 1);
        tenant.cancel(id);
        assertThat(tenant.waitFor(id, Duration.ofSeconds(15), j -> {}).status()).isEqualTo("cancelled");
        await().atMost(Duration.ofSeconds(10)).until(() -> children("sleep 7200") == 0);
    }

    @Test
    void anHttpTypePostsTheInputAndStoresTheAnswer() throws Exception {
        Job done = run("classify", "{\"sound\": \"meow\"}");
        assertThat(done.status()).isEqualTo("succeeded");
        assertThat(done.result().get("label").asText()).isEqualTo("cat");
        assertThat(done.result().get("attempt").asInt()).isEqualTo(1);
    }

    @Test
    void anHttpEndpointThatIsBusyIsRetriedAndOneThatRefusesIsNot() throws Exception {
        Job busy = run("busy", "{}");
        assertThat(busy.status()).isEqualTo("failed");
        assertThat(busy.error().code()).isEqualTo("http_503");
        assertThat(busy.attempt()).isEqualTo(2);
        assertThat(busyCalls.get()).isEqualTo(2);

        Job rejected = run("reject", "{}");
        assertThat(rejected.status()).isEqualTo("failed");
        assertThat(rejected.error().code()).isEqualTo("http_400");
        assertThat(rejected.error().message()).contains("input too long");
        assertThat(rejected.attempt()).as("a 4xx is not retried").isEqualTo(1);
    }

    private static long children(String commandLine) {
        return ProcessHandle.current().descendants()
                .filter(p -> p.info().commandLine().map(c -> c.contains(commandLine)).orElse(false)).count();
    }
}
