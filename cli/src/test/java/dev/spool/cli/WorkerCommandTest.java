package dev.spool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spool.Config;
import dev.spool.Server;
import dev.spool.client.Job;
import dev.spool.client.SpoolClient;
import dev.spool.client.SubmitRequest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** {@code spool worker -- PROGRAM}: any program becomes a worker. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkerCommandTest {
    @TempDir
    static Path dir;

    private Server server;
    private String url;
    private String workerKey;
    private SpoolClient tenant;
    private String tenantKey;

    @BeforeAll
    void start() throws Exception {
        Path config = Files.writeString(dir.resolve("spool.yaml"), """
                types:
                  copy: {executor: worker}
                  crash: {executor: worker, max_attempts: 1}
                  slow: {executor: worker}
                  limited: {executor: worker, max_attempts: 1, timeout_seconds: 1}
                """);
        server = Server.start(Config.load(Optional.of(config), Map.of(), Map.of(
                "http.port", "0", "storage.data_dir", dir.toString(), "runner.shutdown_grace_seconds", "0")));
        url = "http://127.0.0.1:" + server.port();
        SpoolClient admin = SpoolClient.builder(URI.create(url)).apiKey(server.createdAdminKey().orElseThrow()).build();
        workerKey = admin.createKey("workers", null, "worker").key();
        tenantKey = admin.createKey("t", "cli", null).key();
        tenant = SpoolClient.builder(URI.create(url)).apiKey(tenantKey).build();
    }

    @AfterAll
    void stop() {
        server.close();
    }

    /** Runs {@code spool worker} on a thread of its own until the test stops it. */
    private Thread worker(String type, String... program) {
        List<String> args = new ArrayList<>(List.of("worker", "--type", type, "--url", url, "--api-key", workerKey,
                "--grace", "PT0S", "--wait-seconds", "2", "--"));
        args.addAll(List.of(program));
        Thread t = Thread.ofPlatform().start(() -> Main.run(new PrintWriter(new StringWriter()),
                new PrintWriter(new StringWriter()), args.toArray(String[]::new)));
        return t;
    }

    private static void stop(Thread worker) throws InterruptedException {
        worker.interrupt();
        worker.join(Duration.ofSeconds(15));
        assertThat(worker.isAlive()).isFalse();
    }

    private static JsonNode json(String text) throws Exception {
        return SpoolClient.JSON.readTree(text);
    }

    @Test
    void theProgramsOutputIsTheResult() throws Exception {
        Thread w = worker("copy", "sh", "-c", "echo 'spool:progress 0.5 reading' >&2; echo \"attempt $SPOOL_ATTEMPT\" >&2; cat");
        try {
            String id = tenant.submit(SubmitRequest.of("copy", json("{\"a\": [1, 2]}"))).id();
            Job done = tenant.waitFor(id, Duration.ofSeconds(20), j -> {});
            assertThat(done.status()).isEqualTo("succeeded");
            assertThat(done.result()).isEqualTo(json("{\"a\": [1, 2]}"));
        } finally {
            stop(w);
        }
    }

    @Test
    void filesTheProgramWritesToItsOutputFolderAreUploaded() throws Exception {
        Thread w = worker("copy", "sh", "-c", "echo rendered > \"$SPOOL_OUTPUT_DIR/frame.txt\"; echo '{\"frames\": 1}'");
        try {
            String id = tenant.submit(SubmitRequest.of("copy", json("{}"))).id();
            Job done = tenant.waitFor(id, Duration.ofSeconds(20), j -> {});
            assertThat(done.status()).isEqualTo("succeeded");
            var answer = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                            URI.create(url + "/v1/jobs/" + id + "/artifacts/frame.txt")).header("Authorization", "Bearer " + tenantKey).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(answer.body()).isEqualTo("rendered\n");
        } finally {
            stop(w);
        }
    }

    @Test
    void aNonZeroExitFailsTheAttemptWithItsStandardError() throws Exception {
        Thread w = worker("crash", "sh", "-c", "echo 'no GPU found' >&2; exit 3");
        try {
            String id = tenant.submit(SubmitRequest.of("crash", json("{}"))).id();
            Job failed = tenant.waitFor(id, Duration.ofSeconds(20), j -> {});
            assertThat(failed.status()).isEqualTo("failed");
            assertThat(failed.error().code()).isEqualTo("exit_3");
            assertThat(failed.error().message()).contains("no GPU found");
        } finally {
            stop(w);
        }
    }

    @Test
    void aCancelKillsTheProgramAndTheJobEndsCancelled() throws Exception {
        Thread w = worker("slow", "sleep", "3600");
        try {
            String id = tenant.submit(SubmitRequest.of("slow", json("{}"))).id();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> sleeping() == 1);
            tenant.cancel(id);
            Job ended = tenant.waitFor(id, Duration.ofSeconds(20), j -> {});
            assertThat(ended.status()).isEqualTo("cancelled");
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> sleeping() == 0);
        } finally {
            stop(w);
        }
    }

    @Test
    void aProgramPastTheJobsTimeoutIsKilledAndTheAttemptFails() throws Exception {
        Thread w = worker("limited", "sleep", "3601");
        try {
            String id = tenant.submit(SubmitRequest.of("limited", json("{}"))).id();
            Job failed = tenant.waitFor(id, Duration.ofSeconds(20), j -> {});
            assertThat(failed.status()).isEqualTo("failed");
            assertThat(failed.error().code()).isEqualTo("timeout");
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> running("sleep 3601") == 0);
        } finally {
            stop(w);
        }
    }

    /** Child processes of this JVM running {@code sleep 3600}. */
    private static long sleeping() {
        return running("sleep 3600");
    }

    private static long running(String commandLine) {
        return ProcessHandle.current().descendants()
                .filter(p -> p.info().commandLine().map(c -> c.contains(commandLine)).orElse(false)).count();
    }
}
