package dev.spool;

import static dev.spool.testing.TestJobs.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spool.auth.ApiKeys;
import dev.spool.client.Job;
import dev.spool.client.SpoolClient;
import dev.spool.client.SubmitRequest;
import dev.spool.job.JobEvent;
import dev.spool.job.JobId;
import dev.spool.job.JobStatus;
import dev.spool.store.SqliteStore;
import dev.spool.store.Store;
import dev.spool.testing.TestServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShutdownAndCrashTest {
    @TempDir
    Path dir;

    @Test
    void shutdownGivesBackAJobThatOutlastsTheGracePeriodSoNothingIsLeftRunning() {
        String id;
        try (TestServer spool = new TestServer(dir, Map.of("runner.shutdown_grace_seconds", "0"))) {
            SpoolClient client = spool.client(spool.adminKey);
            id = client.submit(SubmitRequest.of("sleep", json("{\"seconds\": 60}")).withMaxAttempts(1)).id();
            await().atMost(Duration.ofSeconds(10)).until(() -> client.get(id).status().equals("running"));
        }
        try (Store store = SqliteStore.open(dir.resolve("spool.db"), 8, 1)) {
            var job = store.jobGetAny(JobId.parse(id).orElseThrow()).orElseThrow();
            assertThat(job.status()).isEqualTo(JobStatus.QUEUED);
            assertThat(job.attemptsLeft()).as("a given-back attempt is not spent").isEqualTo(1);
            assertThat(store.jobEvents(job.tenant(), job.id())).extracting(JobEvent::kind).endsWith("given_back");
        }
    }

    @Test
    void shutdownLetsARunningJobFinishWithinTheGracePeriod() {
        String id;
        try (TestServer spool = new TestServer(dir, Map.of("runner.shutdown_grace_seconds", "20"))) {
            SpoolClient client = spool.client(spool.adminKey);
            id = client.submit(SubmitRequest.of("sleep", json("{\"seconds\": 1}"))).id();
            await().atMost(Duration.ofSeconds(10)).until(() -> client.get(id).status().equals("running"));
        }
        try (Store store = SqliteStore.open(dir.resolve("spool.db"), 8, 1)) {
            assertThat(store.jobGetAny(JobId.parse(id).orElseThrow()).orElseThrow().status()).isEqualTo(JobStatus.SUCCEEDED);
        }
    }

    @Test
    void everyAcknowledgedSubmitSurvivesAKillOfTheProcess() throws Exception {
        String key = ApiKeys.generateSecret();
        Process first = serve(key);
        SpoolClient client = client(first, key);

        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        AtomicBoolean killed = new AtomicBoolean();
        ExecutorService submitters = Executors.newFixedThreadPool(8);
        for (int t = 0; t < 8; t++) {
            submitters.submit(() -> {
                while (!killed.get()) {
                    try {
                        Job job = client.submit(SubmitRequest.of("echo", json("{\"n\": 1}")));
                        if (!killed.get()) {
                            acknowledged.add(job.id());
                        }
                    } catch (RuntimeException e) {
                        return; // the server is gone
                    }
                }
            });
        }
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> acknowledged.size() >= 300);
        } finally {
            killed.set(true);
            first.destroyForcibly().waitFor(); // SIGKILL: no shutdown hook, no final commit
        }
        List<String> survivorsToCheck = new ArrayList<>(acknowledged);
        submitters.shutdown();
        assertThat(submitters.awaitTermination(30, TimeUnit.SECONDS)).isTrue();

        Process second = serve(key);
        try {
            SpoolClient after = client(second, key);
            for (String id : survivorsToCheck) {
                assertThat(after.get(id).id()).isEqualTo(id);
            }
        } finally {
            second.destroyForcibly().waitFor();
        }
    }

    /** Spool in its own JVM on this test's data folder, with no in-process slots so jobs stay queued. */
    private Process serve(String key) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "dev.spool.testing.ServeMain", dir.toString(), key, "0")
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        assertThat(line).as("the server process announces its port").startsWith("PORT ");
        ports.put(p, Integer.parseInt(line.substring(5).trim()));
        return p;
    }

    private final Map<Process, Integer> ports = new ConcurrentHashMap<>();

    private SpoolClient client(Process p, String key) {
        return SpoolClient.builder(URI.create("http://127.0.0.1:" + ports.get(p))).apiKey(key)
                .timeout(Duration.ofSeconds(5)).build();
    }
}
