package dev.spool.http;

import static dev.spool.testing.TestJobs.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.spool.client.ApiKey;
import dev.spool.client.Batch;
import dev.spool.client.Job;
import dev.spool.client.JobEvent;
import dev.spool.client.JobPage;
import dev.spool.client.JobType;
import dev.spool.client.ListQuery;
import dev.spool.client.SpoolApiException;
import dev.spool.client.SpoolClient;
import dev.spool.client.SubmitRequest;
import dev.spool.testing.TestServer;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The native API end to end: a real server on a free port, the real client, every answer checked against openapi.yaml. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiTest {
    @TempDir
    static Path dir;

    private TestServer spool;
    private SpoolClient admin;
    private SpoolClient tenant;
    private String tenantKey;

    @BeforeAll
    void start() {
        spool = new TestServer(dir, Map.of());
        admin = spool.client(spool.adminKey);
        tenantKey = admin.createKey("api-test", "api-tenant", null).key();
        tenant = spool.client(tenantKey);
    }

    @AfterAll
    void stop() {
        assertThat(spool.contract.checked()).as("answers checked against the OpenAPI document").isGreaterThan(20);
        spool.close();
    }

    private static void assertProblem(Runnable call, int status, String code) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(SpoolApiException.class, e -> {
            assertThat(e.status()).isEqualTo(status);
            assertThat(e.code()).isEqualTo(code);
            assertThat(e.detail()).isNotBlank();
        });
    }

    @Test
    void aDemoJobIsAcceptedAtOnceAndSucceedsWithItsResult() {
        Job submitted = tenant.submit(SubmitRequest.of("text.stats", json("{\"text\": \"one two two. three!\"}"))
                .withMetadata(Map.of("customer", "c-1")).withTitle("stats"));
        assertThat(submitted.status()).isIn("queued", "running", "succeeded");
        assertThat(submitted.urls().self()).isEqualTo("/v1/jobs/" + submitted.id());

        Job done = tenant.waitFor(submitted.id(), Duration.ofSeconds(10), j -> {});
        assertThat(done.status()).isEqualTo("succeeded");
        assertThat(done.result().get("words").asInt()).isEqualTo(4);
        assertThat(done.result().get("top_words").get(0).get("word").asText()).isEqualTo("two");
        assertThat(done.usage().units()).isEqualTo(4);
        assertThat(done.usage().cost().amount()).isPositive();
        assertThat(done.metadata()).containsEntry("customer", "c-1");
        assertThat(done.owner().keyId()).startsWith("key_");
        assertThat(tenant.events(done.id())).extracting(JobEvent::kind).containsSubsequence("submitted", "started", "succeeded");
    }

    @Test
    void aJobReportsProgressWhileItRuns() {
        Job job = tenant.submit(SubmitRequest.of("sleep", json("{\"seconds\": 1.5}")));
        List<Double> seen = new ArrayList<>();
        Job done = tenant.waitFor(job.id(), Duration.ofSeconds(10), j -> {
            if (j.progress() != null && j.progress().fraction() != null) {
                seen.add(j.progress().fraction());
            }
        });
        assertThat(done.status()).isEqualTo("succeeded");
        assertThat(seen).isNotEmpty().isSorted();
        assertThat(seen.getFirst()).isLessThan(1.0);
    }

    @Test
    void theSameIdempotencyKeyReturnsTheSameJobAndAnotherBodyIsRefused() {
        SubmitRequest request = SubmitRequest.of("echo", json("{\"a\": 1, \"b\": [1, 2]}"));
        Job first = tenant.submit(request, "order-42");
        Job again = tenant.submit(SubmitRequest.of("echo", json("{\"b\": [1, 2], \"a\": 1}")), "order-42");
        assertThat(again.id()).isEqualTo(first.id());

        assertProblem(() -> tenant.submit(SubmitRequest.of("echo", json("{\"a\": 2}")), "order-42"), 422, "idempotency_mismatch");
        assertThat(tenant.list(ListQuery.builder().metadata("nothing", "x").build()).data()).isEmpty();
        HttpResponse<byte[]> replay = spool.send(spool.request("/v1/jobs", tenantKey)
                .header("Content-Type", "application/json").header("Idempotency-Key", "order-42")
                .POST(HttpRequest.BodyPublishers.ofString("{\"type\": \"echo\", \"input\": {\"a\": 1, \"b\": [1, 2]}}")));
        assertThat(replay.statusCode()).isEqualTo(200);
        assertThat(replay.headers().firstValue("Idempotent-Replayed")).contains("true");
    }

    @Test
    void listsFilterAndPageWithAnOpaqueCursor() {
        String tag = "list-" + System.nanoTime();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            ids.add(tenant.submit(SubmitRequest.of("echo", json("{\"i\": " + i + "}")).withMetadata(Map.of("run", tag))).id());
        }
        List<String> seen = new ArrayList<>();
        String cursor = null;
        do {
            ListQuery.Builder q = ListQuery.builder().metadata("run", tag).limit(3);
            if (cursor != null) {
                q.cursor(cursor);
            }
            JobPage page = tenant.list(q.build());
            page.data().forEach(j -> seen.add(j.id()));
            cursor = page.hasMore() ? page.nextCursor() : null;
        } while (cursor != null);

        assertThat(seen).containsExactlyElementsOf(ids.reversed());
        assertThat(tenant.list(ListQuery.builder().metadata("run", tag).type("sleep").build()).data()).isEmpty();
        assertThat(tenant.list(ListQuery.builder().metadata("run", tag).createdAfter(Instant.now().plusSeconds(60)).build())
                .data()).isEmpty();
        await().atMost(Duration.ofSeconds(10)).until(() ->
                tenant.list(ListQuery.builder().metadata("run", tag).status("succeeded").build()).data().size() == 7);
    }

    @Test
    void aRunningJobCanBeCancelledAndThenRetried() {
        Job job = tenant.submit(SubmitRequest.of("sleep", json("{\"seconds\": 30}")));
        await().atMost(Duration.ofSeconds(10)).until(() -> tenant.get(job.id()).status().equals("running"));

        Job flagged = tenant.cancel(job.id());
        assertThat(flagged.cancelRequested()).isTrue();
        Job cancelled = tenant.waitFor(job.id(), Duration.ofSeconds(10), j -> {});
        assertThat(cancelled.status()).isEqualTo("cancelled");
        assertThat(cancelled.usage().runMs()).isLessThan(30_000);

        assertProblem(() -> tenant.delete(dev.spool.job.JobId.generate().value()), 404, "not_found");
        Job retried = tenant.retry(job.id());
        assertThat(retried.status()).isIn("queued", "running");
        tenant.cancel(job.id());
        tenant.waitFor(job.id(), Duration.ofSeconds(10), j -> {});
        tenant.delete(job.id());
        assertProblem(() -> tenant.get(job.id()), 404, "not_found");
    }

    @Test
    void aFailingJobIsRetriedAndEndsWithItsError() {
        Job job = tenant.submit(SubmitRequest.of("sleep", json("{\"seconds\": 0, \"fail_attempts\": 5}")).withMaxAttempts(2));
        Job failed = tenant.waitFor(job.id(), Duration.ofSeconds(20), j -> {});
        assertThat(failed.status()).isEqualTo("failed");
        assertThat(failed.attempt()).isEqualTo(2);
        assertThat(failed.error().code()).isEqualTo("planned_failure");
        assertThat(tenant.events(job.id())).extracting(JobEvent::kind).contains("retry_scheduled", "failed");
        assertProblem(() -> tenant.cancel(job.id()), 409, "invalid_state");
    }

    @Test
    void aJobThatRunsPastItsTimeoutFails() {
        Job job = tenant.submit(SubmitRequest.of("sleep", json("{\"seconds\": 20}")).withTimeoutSeconds(1).withMaxAttempts(1));
        Job failed = tenant.waitFor(job.id(), Duration.ofSeconds(15), j -> {});
        assertThat(failed.status()).isEqualTo("failed");
        assertThat(failed.error().code()).isEqualTo("timeout");
    }

    @Test
    void aBatchIsSubmittedWholeAndCountsItsMembers() {
        Batch batch = tenant.submitBatch(List.of(
                SubmitRequest.of("echo", json("{}")), SubmitRequest.of("text.stats", json("{\"text\": \"a b\"}"))));
        assertThat(batch.total()).isEqualTo(2);

        await().atMost(Duration.ofSeconds(10)).until(() -> tenant.getBatch(batch.id()).done());
        assertThat(tenant.getBatch(batch.id()).counts()).containsEntry("succeeded", 2L);
        assertThat(tenant.list(ListQuery.builder().batchId(batch.id()).build()).data()).hasSize(2);

        assertProblem(() -> tenant.submitBatch(List.of(SubmitRequest.of("echo", json("{}")),
                SubmitRequest.of("nope", json("{}")))), 422, "unknown_type");
        assertProblem(() -> tenant.submitBatch(List.of()), 400, "invalid_request");
    }

    @Test
    void theTypesAreListedWithTheirSchemasAndPrices() {
        List<JobType> types = tenant.types();
        assertThat(types).extracting(JobType::name).contains("echo", "text.stats", "primes", "sleep");
        JobType stats = types.stream().filter(t -> t.name().equals("text.stats")).findFirst().orElseThrow();
        assertThat(stats.inputSchema().get("required").get(0).asText()).isEqualTo("text");
        assertThat(stats.price().perJob()).isPositive();
    }

    @Test
    void keysCanBeCreatedListedAndRevokedByAnAdminOnly() {
        ApiKey made = admin.createKey("temporary", "keys-tenant", null);
        assertThat(made.key()).startsWith("spool_" + made.prefix() + "_");
        SpoolClient temporary = spool.client(made.key());
        assertThat(temporary.list(ListQuery.builder().build()).data()).isEmpty();

        assertThat(admin.listKeys()).extracting(ApiKey::id).contains(made.id());
        assertThat(admin.listKeys()).allMatch(k -> k.key() == null);
        assertProblem(() -> temporary.listKeys(), 403, "forbidden");
        assertProblem(() -> temporary.createKey("x", null, "admin"), 403, "forbidden");

        admin.revokeKey(made.id());
        assertProblem(() -> temporary.list(ListQuery.builder().build()), 401, "unauthenticated");
        assertProblem(() -> admin.revokeKey("key_nothing"), 404, "not_found");
    }

    @Test
    void healthReadinessAndTheContractAreServedWithoutAKey() {
        assertThat(spool.send(spool.request("/healthz", null).GET()).statusCode()).isEqualTo(200);
        assertThat(spool.send(spool.request("/readyz", null).GET()).statusCode()).isEqualTo(200);
        HttpResponse<byte[]> doc = spool.send(spool.request("/openapi.json", null).GET());
        assertThat(doc.statusCode()).isEqualTo(200);
        assertThat(json(new String(doc.body())).get("openapi").asText()).isEqualTo("3.1.0");
    }

    @Test
    void anUnknownRouteIsA404Problem() {
        HttpResponse<byte[]> res = spool.send(spool.request("/v2/nothing", tenantKey).GET());
        assertThat(res.statusCode()).isEqualTo(404);
        assertThat(res.headers().firstValue("content-type")).contains("application/problem+json");
    }
}
