package dev.spool.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.spool.Config;
import dev.spool.Server;
import dev.spool.client.Job;
import dev.spool.client.JobEvent;
import dev.spool.client.SpoolApiException;
import dev.spool.client.SpoolClient;
import dev.spool.client.SubmitRequest;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Workers in processes of their own that die or stall: the job is never lost and never finished twice. */
class WorkerFailureTest {
    private static final String PROGRAM = "sleep 2; echo \"{\\\"attempt\\\": $SPOOL_ATTEMPT}\"";

    @TempDir
    Path dir;

    private Server server;
    private String url;
    private String workerKey;
    private SpoolClient tenant;
    private SpoolClient workerApi;
    private final List<Process> workers = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        Path config = Files.writeString(dir.resolve("spool.yaml"), "types:\n  render: {executor: worker, max_attempts: 3}\n");
        server = Server.start(Config.load(Optional.of(config), Map.of(), Map.of(
                "http.port", "0", "storage.data_dir", dir.resolve("data").toString(), "jobs.lease_seconds", "2",
                "jobs.backoff_base_seconds", "0.1", "jobs.maintenance_interval_ms", "100", "runner.heartbeat_ms", "500")));
        url = "http://127.0.0.1:" + server.port();
        SpoolClient admin = SpoolClient.builder(URI.create(url)).apiKey(server.createdAdminKey().orElseThrow()).build();
        workerKey = admin.createKey("workers", null, "worker").key();
        workerApi = SpoolClient.builder(URI.create(url)).apiKey(workerKey).build();
        tenant = SpoolClient.builder(URI.create(url)).apiKey(admin.createKey("t", "studio", null).key()).build();
    }

    @AfterEach
    void stop() {
        workers.forEach(p -> {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        });
        server.close();
    }

    /** {@code spool worker} in a JVM of its own; its standard error goes to {@code log}. */
    private Process worker(String id, Path log) throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "worker", "--type", "render", "--url", url, "--api-key", workerKey, "--worker-id", id, "--grace", "PT0S", "--wait-seconds", "2",
                "--", "sh", "-c", PROGRAM)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        workers.add(p);
        return p;
    }

    private Job runningAt(String id, int attempt) {
        Job[] seen = new Job[1];
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            seen[0] = tenant.get(id);
            return seen[0].status().equals("running") && seen[0].attempt() == attempt;
        });
        return seen[0];
    }

    private void assertOneOutcome(String id) {
        assertThat(tenant.events(id)).filteredOn(e -> e.kind().equals("succeeded")).hasSize(1);
    }

    @Test
    void aWorkerKilledMidJobLosesItToAnotherAndItsLateReportIsRefused() throws Exception {
        Process first = worker("first", dir.resolve("first.log"));
        String id = tenant.submit(SubmitRequest.of("render", SpoolClient.JSON.readTree("{}"))).id();
        runningAt(id, 1);

        first.descendants().forEach(ProcessHandle::destroyForcibly);
        first.destroyForcibly().waitFor(); // SIGKILL: no release, no last words

        worker("second", dir.resolve("second.log"));
        Job done = tenant.waitFor(id, Duration.ofSeconds(60), j -> {});
        assertThat(done.status()).isEqualTo("succeeded");
        assertThat(done.attempt()).isEqualTo(2);
        assertThat(done.result().get("attempt").asInt()).isEqualTo(2);
        assertThat(tenant.events(id)).extracting(JobEvent::kind).contains("retry_scheduled");

        // What the first worker would have sent, had it lived: refused, and nothing changes.
        assertThatThrownBy(() -> workerApi.complete(id, 1, SpoolClient.JSON.readTree("{\"attempt\": 1}"), 0))
                .isInstanceOfSatisfying(SpoolApiException.class, e -> assertThat(e.status()).isEqualTo(409));
        assertThat(tenant.get(id).result().get("attempt").asInt()).isEqualTo(2);
        assertOneOutcome(id);
    }

    @Test
    void aWorkerStalledPastItsLeaseChangesNothingWhenItWakes() throws Exception {
        Path firstLog = dir.resolve("first.log");
        Process first = worker("first", firstLog);
        String id = tenant.submit(SubmitRequest.of("render", SpoolClient.JSON.readTree("{}"))).id();
        runningAt(id, 1);
        signal("STOP", first.pid()); // frozen: no heartbeats; its program still runs and finishes

        worker("second", dir.resolve("second.log"));
        Job done = tenant.waitFor(id, Duration.ofSeconds(60), j -> {});
        assertThat(done.result().get("attempt").asInt()).isEqualTo(2);

        signal("CONT", first.pid());
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            String log = Files.readString(firstLog);
            return log.contains("attempt 1 is no longer ours") || log.contains("attempt 1: its result was refused");
        });
        Job after = tenant.get(id);
        assertThat(after.status()).isEqualTo("succeeded");
        assertThat(after.result().get("attempt").asInt()).isEqualTo(2);
        assertOneOutcome(id);
    }

    private static void signal(String signal, long pid) throws Exception {
        assertThat(new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start().waitFor()).isZero();
    }
}
