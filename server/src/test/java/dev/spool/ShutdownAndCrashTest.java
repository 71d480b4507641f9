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
import dev.spool.testing.Node;
import dev.spool.testing.TestServer;
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
        try (SqliteStore store = SqliteStore.open(dir.resolve("spool.db"), 8, 1)) {
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
        try (SqliteStore store = SqliteStore.open(dir.resolve("spool.db"), 8, 1)) {
            assertThat(store.jobGetAny(JobId.parse(id).orElseThrow()).orElseThrow().status()).isEqualTo(JobStatus.SUCCEEDED);
        }
    }

    @Test
    void everyAcknowledgedSubmitSurvivesAKillOfTheProcess() throws Exception {
        String key = ApiKeys.generateSecret();
        // No slots: the jobs stay queued, so what is checked is the submit itself.
        Map<String, String> settings = Map.of("storage.data_dir", dir.toString(), "auth.admin_key", key, "runner.slots", "0");
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        AtomicBoolean killed = new AtomicBoolean();
        ExecutorService submitters = Executors.newFixedThreadPool(8);
        try (Node first = new Node(settings)) {
            SpoolClient client = first.client(key);
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
                first.kill(); // SIGKILL: no shutdown hook, no final commit
            }
        }
        List<String> survivorsToCheck = new ArrayList<>(acknowledged);
        submitters.shutdown();
        assertThat(submitters.awaitTermination(30, TimeUnit.SECONDS)).isTrue();

        try (Node second = new Node(settings)) {
            SpoolClient after = second.client(key);
            for (String id : survivorsToCheck) {
                assertThat(after.get(id).id()).isEqualTo(id);
            }
        }
    }
}
