package dev.spool.http;

import static dev.spool.testing.TestJobs.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spool.client.Job;
import dev.spool.client.JobEvent;
import dev.spool.client.SpoolClient;
import dev.spool.client.SpoolWorker;
import dev.spool.client.SubmitRequest;
import dev.spool.testing.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The Java worker runtime (client module) against a real server. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkerRuntimeTest {
    @TempDir
    static Path dir;

    private TestServer spool;
    private SpoolClient tenant;
    private SpoolClient worker;
    private String tenantKey;
    private String workerKey;

    @BeforeAll
    void start() {
        spool = new TestServer(dir, Map.of("jobs.lease_seconds", "3"), """
                types:
                  double: {executor: worker}
                  slow: {executor: worker}
                  picky: {executor: worker}
                """);
        SpoolClient admin = spool.client(spool.adminKey);
        tenantKey = admin.createKey("t", "runtime", null).key();
        tenant = spool.client(tenantKey);
        workerKey = admin.createKey("w", null, "worker").key();
        worker = spool.client(workerKey);
    }

    @AfterAll
    void stop() {
        spool.close();
    }

    @Test
    void jobsEndingTogetherAreReportedInFewerCallsThanJobsAndEveryOneSucceeds() {
        Map<String, AtomicInteger> calls = new java.util.concurrent.ConcurrentHashMap<>();
        SpoolClient counting = SpoolClient.builder(spool.uri()).apiKey(workerKey)
                .onResponse(r -> calls.computeIfAbsent(r.request().method() + " " + r.request().uri().getPath()
                        .replaceAll("/jobs/[^/]+/", "/jobs/{id}/"), k -> new AtomicInteger()).incrementAndGet())
                .build();
        int n = 200;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(tenant.submit(SubmitRequest.of("double", json("{\"n\": " + i + "}"))).id());
        }
        try (SpoolWorker w = SpoolWorker.builder(counting).waitSeconds(1).types("double").concurrency(64).handler(job -> {
            Thread.sleep(5);
            return json("{\"twice\": " + job.input().get("n").asInt() * 2 + "}");
        }).start()) {
            await().atMost(Duration.ofSeconds(60)).until(() -> ids.stream().allMatch(id -> tenant.get(id).status().equals("succeeded")));
        }
        assertThat(calls).doesNotContainKey("POST /v1/worker/jobs/{id}/complete");
        int reportCalls = calls.get("POST /v1/worker/reports").get();
        assertThat(reportCalls).as("report calls for %d jobs", n).isBetween(1, n - 1);
        assertThat(tenant.get(ids.get(7)).result().get("twice").asInt()).isEqualTo(14);
    }

    @Test
    void aWorkerRunsJobsConcurrentlyWithProgressAndLogs() {
        AtomicInteger atOnce = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        try (SpoolWorker w = SpoolWorker.builder(worker).waitSeconds(1).types("double").concurrency(4).handler(job -> {
            most.accumulateAndGet(atOnce.incrementAndGet(), Math::max);
            try {
                job.log("doubling " + job.input().get("n").asInt());
                job.progress(0.5, "half");
                Thread.sleep(100);
                job.addUnits(1);
                return json("{\"doubled\": " + 2 * job.input().get("n").asInt() + "}");
            } finally {
                atOnce.decrementAndGet();
            }
        }).start()) {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                ids.add(tenant.submit(SubmitRequest.of("double", json("{\"n\": " + i + "}"))).id());
            }
            for (int i = 0; i < 20; i++) {
                Job done = tenant.waitFor(ids.get(i), Duration.ofSeconds(30), j -> {});
                assertThat(done.status()).isEqualTo("succeeded");
                assertThat(done.result().get("doubled").asInt()).isEqualTo(2 * i);
                assertThat(done.usage().units()).isEqualTo(1);
            }
            var logs = json(new String(spool.send(spool.request("/v1/jobs/" + ids.getFirst() + "/logs",
                    tenantKey).GET()).body())).get("data");
            assertThat(logs.get(0).get("line").asText()).isEqualTo("doubling 0");
        }
        assertThat(most.get()).as("jobs ran side by side, never more than the concurrency").isBetween(2, 4);
    }

    @Test
    void aCancelInterruptsTheHandlerAndTheJobEndsCancelled() {
        try (SpoolWorker w = SpoolWorker.builder(worker).waitSeconds(1).types("slow").handler(job -> {
            Thread.sleep(60_000);
            return json("{}");
        }).start()) {
            String id = tenant.submit(SubmitRequest.of("slow", json("{}"))).id();
            await().atMost(Duration.ofSeconds(10)).until(() -> w.active() == 1);
            tenant.cancel(id);
            Job ended = tenant.waitFor(id, Duration.ofSeconds(10), j -> {});
            assertThat(ended.status()).isEqualTo("cancelled");
        }
    }

    @Test
    void aHandlerFailureIsReportedWithItsCode() {
        try (SpoolWorker w = SpoolWorker.builder(worker).waitSeconds(1).types("picky").handler(job -> {
            throw new SpoolWorker.Failure("unsupported_format", "cannot read .xyz files", false);
        }).start()) {
            String id = tenant.submit(SubmitRequest.of("picky", json("{}"))).id();
            Job failed = tenant.waitFor(id, Duration.ofSeconds(10), j -> {});
            assertThat(failed.status()).isEqualTo("failed");
            assertThat(failed.error().code()).isEqualTo("unsupported_format");
            assertThat(failed.attempt()).isEqualTo(1);
        }
    }

    @Test
    void closingHandsBackWhatItCannotFinishWithoutSpendingTheAttempt() {
        String id;
        SpoolWorker w = SpoolWorker.builder(worker).waitSeconds(1).types("slow").grace(Duration.ZERO).handler(job -> {
            Thread.sleep(60_000);
            return json("{}");
        }).start();
        id = tenant.submit(SubmitRequest.of("slow", json("{}"))).id();
        await().atMost(Duration.ofSeconds(10)).until(() -> w.active() == 1);
        w.close();

        Job back = tenant.get(id);
        assertThat(back.status()).isEqualTo("queued");
        assertThat(tenant.events(id)).extracting(JobEvent::kind).endsWith("given_back");
        tenant.cancel(id);
    }
}
