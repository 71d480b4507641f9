package dev.spool.http;

import static dev.spool.testing.TestJobs.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spool.client.Batch;
import dev.spool.client.Job;
import dev.spool.client.ListQuery;
import dev.spool.client.SpoolClient;
import dev.spool.client.SubmitRequest;
import dev.spool.job.JobId;
import dev.spool.testing.TestServer;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * No tenant reaches another's jobs: on every route that takes an id, another tenant's job answers
 * exactly (status, headers that matter, body byte for byte) what a job that does not exist answers,
 * and changes nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CrossTenantTest {
    @TempDir
    static Path dir;

    private TestServer spool;
    private SpoolClient alice;
    private String bobKey;
    private Job alicesJob;
    private Job alicesRunningJob;
    private Batch alicesBatch;

    @BeforeAll
    void start() {
        spool = new TestServer(dir, Map.of());
        SpoolClient admin = spool.client(spool.adminKey);
        alice = spool.client(admin.createKey("alice", "alice", null).key());
        bobKey = admin.createKey("bob", "bob", null).key();
        alicesJob = alice.waitFor(alice.submit(SubmitRequest.of("echo", json("{\"secret\": 1}"))).id(), Duration.ofSeconds(10), j -> {});
        alicesRunningJob = alice.submit(SubmitRequest.of("sleep", json("{\"seconds\": 60}")));
        alicesBatch = alice.submitBatch(List.of(SubmitRequest.of("echo", json("{}"))));
    }

    @AfterAll
    void stop() {
        spool.close();
    }

    /** Every route that names a job or batch, as a request for the given id. */
    private List<Function<String, HttpRequest.Builder>> routes() {
        return List.of(
                id -> spool.request("/v1/jobs/" + id, bobKey).GET(),
                id -> spool.request("/v1/jobs/" + id + "/events", bobKey).GET(),
                id -> spool.request("/v1/jobs/" + id + "/logs", bobKey).GET(),
                id -> spool.request("/v1/jobs/" + id + "/result", bobKey).GET(),
                id -> spool.request("/v1/jobs/" + id + "/artifacts", bobKey).GET(),
                id -> spool.request("/v1/jobs/" + id + "/artifacts.zip", bobKey).GET(),
                id -> spool.request("/v1/jobs/" + id + "/artifacts/out.txt", bobKey).GET(),
                id -> spool.request("/v1/jobs/" + id + "/cancel", bobKey).POST(HttpRequest.BodyPublishers.noBody()),
                id -> spool.request("/v1/jobs/" + id + "/retry", bobKey).POST(HttpRequest.BodyPublishers.noBody()),
                id -> spool.request("/v1/jobs/" + id, bobKey).DELETE());
    }

    @Test
    void anotherTenantsJobLooksExactlyLikeAJobThatDoesNotExist() {
        String missing = JobId.generate().value();
        for (Job target : List.of(alicesJob, alicesRunningJob)) {
            for (var route : routes()) {
                HttpResponse<byte[]> theirs = spool.send(route.apply(target.id()));
                HttpResponse<byte[]> nobodys = spool.send(route.apply(missing));

                String what = theirs.request().method() + " " + theirs.request().uri().getPath();
                assertThat(theirs.statusCode()).as(what).isEqualTo(404);
                assertThat(theirs.statusCode()).as(what).isEqualTo(nobodys.statusCode());
                assertThat(theirs.body()).as(what).isEqualTo(nobodys.body());
                assertThat(theirs.headers().firstValue("content-type")).isEqualTo(nobodys.headers().firstValue("content-type"));
                assertThat(theirs.headers().firstValue("content-length")).isEqualTo(nobodys.headers().firstValue("content-length"));
            }
        }
        HttpResponse<byte[]> batch = spool.send(spool.request("/v1/batches/" + alicesBatch.id(), bobKey).GET());
        HttpResponse<byte[]> noBatch = spool.send(spool.request("/v1/batches/" + JobId.generate().value(), bobKey).GET());
        assertThat(batch.statusCode()).isEqualTo(404);
        assertThat(batch.body()).isEqualTo(noBatch.body());
    }

    @Test
    void anotherTenantCanNeitherListNorChangeTheJobs() {
        SpoolClient bob = spool.client(bobKey);
        assertThat(bob.list(ListQuery.builder().build()).data()).isEmpty();
        assertThat(bob.list(ListQuery.builder().batchId(alicesBatch.id()).build()).data()).isEmpty();

        for (var route : routes()) {
            spool.send(route.apply(alicesRunningJob.id()));
        }
        Job after = alice.get(alicesRunningJob.id());
        assertThat(after.cancelRequested()).isFalse();
        assertThat(after.status()).isIn("queued", "running");
        assertThat(alice.get(alicesJob.id()).status()).isEqualTo("succeeded");
    }

    @Test
    void theSameIdempotencyKeyInTwoTenantsMakesTwoJobs() {
        SpoolClient bob = spool.client(bobKey);
        Job a = alice.submit(SubmitRequest.of("echo", json("{}")), "shared-key");
        Job b = bob.submit(SubmitRequest.of("echo", json("{}")), "shared-key");
        assertThat(a.id()).isNotEqualTo(b.id());
    }
}
