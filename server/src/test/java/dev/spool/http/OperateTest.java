package dev.spool.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spool.client.Batch;
import dev.spool.client.BulkFilter;
import dev.spool.client.Queue;
import dev.spool.client.Schedule;
import dev.spool.client.SpoolClient;
import dev.spool.client.SubmitRequest;
import dev.spool.testing.TestJobs;
import dev.spool.testing.TestServer;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The operator's routes over HTTP: queues, bulk actions, repeatable batches, schedules; each tenant kept to its own. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OperateTest {
    @TempDir
    static Path dir;

    private TestServer spool;
    private String alice;
    private String bob;
    private String worker;

    @BeforeAll
    void start() {
        spool = new TestServer(dir, Map.of("jobs.maintenance_interval_ms", "200"),
                "types:\n  render: {executor: worker, queue: renders}\n  train: {executor: worker}\n");
        var admin = spool.client(spool.adminKey);
        alice = admin.createKey("alice", "alice", null).key();
        bob = admin.createKey("bob", "bob", null).key();
        worker = admin.createKey("w", null, "worker").key();
    }

    @AfterAll
    void stop() {
        spool.close();
    }

    private String submit(String key, String body) {
        return spool.call("POST", "/v1/jobs", key, body, 201).get("id").asText();
    }

    private JsonNode queue(String key, String name) {
        for (JsonNode q : spool.call("GET", "/v1/queues", key, null, 200).get("data")) {
            if (q.get("name").asText().equals(name)) {
                return q;
            }
        }
        return null;
    }

    private List<String> statuses(String key, String query) {
        List<String> out = new ArrayList<>();
        spool.call("GET", "/v1/jobs?limit=1000&" + query, key, null, 200).get("data").forEach(j -> out.add(j.get("status").asText()));
        return out;
    }

    @Test
    void aQueuePausedByAnAdminTakesSubmitsButHandsOutNoClaimUntilResumed() {
        for (int i = 0; i < 3; i++) {
            submit(alice, "{\"type\": \"train\", \"queue\": \"gpu\", \"input\": {}}");
        }
        assertThat(queue(alice, "gpu").get("queued").asInt()).isEqualTo(3);
        assertThat(queue(alice, "renders")).as("a declared type's queue").isNotNull();
        assertThat(queue(bob, "gpu")).as("bob has no job there: alice's queue is not his to see").isNull();

        spool.call("POST", "/v1/queues/gpu/pause", alice, null, 403);
        JsonNode paused = spool.call("POST", "/v1/queues/gpu/pause", spool.adminKey, null, 200);
        assertThat(paused.get("paused").asBoolean()).isTrue();
        assertThat(paused.get("queued").asInt()).isEqualTo(3);
        submit(alice, "{\"type\": \"train\", \"queue\": \"gpu\", \"input\": {}}");
        JsonNode claim = spool.call("POST", "/v1/worker/claim", worker, "{\"queues\": [\"gpu\"], \"max\": 10}", 200);
        assertThat(claim.get("jobs")).as("no claim from a paused queue").isEmpty();
        assertThat(queue(alice, "gpu").get("paused").asBoolean()).isTrue();
        assertThat(queue(spool.adminKey, "gpu").get("queued").asInt()).isEqualTo(4);

        spool.call("POST", "/v1/queues/gpu/resume", spool.adminKey, null, 200);
        claim = spool.call("POST", "/v1/worker/claim", worker, "{\"queues\": [\"gpu\"], \"max\": 10}", 200);
        assertThat(claim.get("jobs")).hasSize(4);
        spool.call("POST", "/v1/queues/" + "bad%20name/pause", spool.adminKey, null, 400);
    }

    @Test
    void bulkActionsCountFirstTouchOnlyTheFilterAndTheTenantAndRepeatSafely() {
        for (int i = 0; i < 30; i++) {
            submit(alice, "{\"type\": \"render\", \"input\": {}, \"metadata\": {\"deploy\": \"bad\"}}");
        }
        String spared = submit(alice, "{\"type\": \"render\", \"input\": {}, \"metadata\": {\"deploy\": \"good\"}}");
        for (int i = 0; i < 10; i++) {
            submit(bob, "{\"type\": \"render\", \"input\": {}, \"metadata\": {\"deploy\": \"bad\"}}");
        }
        String filter = "{\"metadata\": {\"deploy\": \"bad\"}}";
        JsonNode dry = spool.call("POST", "/v1/jobs/cancel", alice, "{\"metadata\": {\"deploy\": \"bad\"}, \"dry_run\": true}", 200);
        assertThat(dry.get("matched").asInt()).isEqualTo(30);
        assertThat(dry.get("changed").asInt()).isZero();
        assertThat(statuses(alice, "metadata%5Bdeploy%5D=bad")).containsOnly("queued");

        HttpResponse<byte[]> first = cancel(alice, "deploy-42", filter);
        HttpResponse<byte[]> again = cancel(alice, "deploy-42", filter);
        assertThat(json(first).get("changed").asInt()).isEqualTo(30);
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(json(again)).isEqualTo(json(first));
        assertThat(cancel(alice, "deploy-42", "{\"type\": \"render\"}").statusCode()).as("the key, another body").isEqualTo(422);
        assertThat(statuses(alice, "metadata%5Bdeploy%5D=bad")).hasSize(30).containsOnly("cancelled");
        assertThat(statuses(alice, "metadata%5Bdeploy%5D=good")).containsExactly("queued");
        assertThat(statuses(bob, "metadata%5Bdeploy%5D=bad")).as("bob's jobs with the same metadata").hasSize(10).containsOnly("queued");

        assertThat(spool.call("POST", "/v1/jobs/retry", alice, "{\"status\": [\"cancelled\"]}", 200).get("changed").asInt()).isEqualTo(30);
        JsonNode deleted = spool.call("POST", "/v1/jobs/delete", alice, "{\"metadata\": {\"deploy\": \"bad\"}, \"status\": [\"queued\"]}", 200);
        assertThat(deleted.get("changed").asInt()).isEqualTo(30);
        assertThat(statuses(alice, "metadata%5Bdeploy%5D=bad")).isEmpty();
        spool.call("GET", "/v1/jobs/" + spared, alice, null, 200);

        spool.call("POST", "/v1/jobs/delete", alice, "{}", 400);
        spool.call("POST", "/v1/jobs/cancel", alice, "{\"status\": [\"nope\"]}", 400);
        spool.call("POST", "/v1/jobs/cancel", alice, "{\"colour\": \"red\"}", 400);
        spool.call("POST", "/v1/jobs/cancel", alice, "[]", 400);
        assertThat(spool.call("POST", "/v1/jobs/cancel", alice, "{\"all\": true, \"dry_run\": true}", 200).get("matched").asInt())
                .as("all: every job of the tenant it applies to").isGreaterThanOrEqualTo(1);
    }

    private HttpResponse<byte[]> cancel(String key, String idempotencyKey, String body) {
        return spool.send(spool.request("/v1/jobs/cancel", key).header("Content-Type", "application/json")
                .header("Idempotency-Key", idempotencyKey).POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private static JsonNode json(HttpResponse<byte[]> res) {
        return dev.spool.testing.TestJobs.json(new String(res.body(), StandardCharsets.UTF_8));
    }

    @Test
    void aBatchRetriedWithOneKeyMakesItsJobsOnceAndIsCancelledWhole() {
        String body = "{\"jobs\": [" + String.join(", ", IntStream.range(0, 50)
                .mapToObj(i -> "{\"type\": \"render\", \"input\": {\"frame\": " + i + "}}").toList()) + "]}";
        HttpRequest.Builder post = spool.request("/v1/batches", alice).header("Content-Type", "application/json")
                .header("Idempotency-Key", "nightly-2026-11-27");
        HttpResponse<byte[]> first = spool.send(post.copy().POST(HttpRequest.BodyPublishers.ofString(body)));
        HttpResponse<byte[]> retried = spool.send(post.copy().POST(HttpRequest.BodyPublishers.ofString(body)));
        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(retried.statusCode()).isEqualTo(200);
        assertThat(retried.headers().firstValue("Idempotent-Replayed")).contains("true");
        String batch = json(first).get("id").asText();
        assertThat(json(retried).get("id").asText()).isEqualTo(batch);
        assertThat(statuses(alice, "batch_id=" + batch)).as("50 jobs, not 100").hasSize(50);
        assertThat(spool.send(post.copy().POST(HttpRequest.BodyPublishers.ofString("{\"jobs\": [{\"type\": \"render\", \"input\": {}}]}")))
                .statusCode()).isEqualTo(422);

        assertThat(spool.call("POST", "/v1/jobs/cancel", bob, "{\"batch_id\": \"" + batch + "\"}", 200).get("matched").asInt())
                .as("bob's filter on alice's batch").isZero();
        spool.call("POST", "/v1/batches/" + batch + "/cancel", bob, null, 404);
        JsonNode cancelled = spool.call("POST", "/v1/batches/" + batch + "/cancel", alice, null, 200);
        assertThat(cancelled.get("changed").asInt()).isEqualTo(50);
        assertThat(spool.call("GET", "/v1/batches/" + batch, alice, null, 200).get("counts").get("cancelled").asInt()).isEqualTo(50);
    }

    @Test
    void aScheduleIsCheckedFiresOnItsTicksAndIsChangedPausedAndDeleted() {
        spool.call("POST", "/v1/schedules", alice, "{\"cron\": \"61 * * * *\", \"job\": {\"type\": \"render\", \"input\": {}}}", 400);
        spool.call("POST", "/v1/schedules", alice, "{\"cron\": \"0 3 * * *\", \"timezone\": \"Mars/Olympus\", \"job\": {\"type\": \"render\", \"input\": {}}}", 400);
        spool.call("POST", "/v1/schedules", alice, "{\"cron\": \"0 3 * * *\", \"job\": {\"type\": \"nope\", \"input\": {}}}", 422);
        spool.call("POST", "/v1/schedules", alice, "{\"cron\": \"0 3 * * *\"}", 400);
        spool.call("POST", "/v1/schedules", alice, "{\"cron\": \"0 3 * * *\", \"overlap\": \"sometimes\", \"job\": {\"type\": \"render\", \"input\": {}}}", 400);

        JsonNode nightly = spool.call("POST", "/v1/schedules", alice, "{\"name\": \"nightly\", \"cron\": \"0 3 * * *\", "
                + "\"timezone\": \"Europe/Berlin\", \"job\": {\"type\": \"render\", \"input\": {}}}", 201);
        assertThat(nightly.get("next_runs")).hasSize(5);
        assertThat(nightly.get("next_run_at").asText()).matches(".*T0[12]:00:00.000Z"); // 03:00 in Berlin
        JsonNode everySecond = spool.call("POST", "/v1/schedules", alice,
                "{\"cron\": \"* * * * * *\", \"job\": {\"type\": \"render\", \"input\": {\"tick\": true}}}", 201);
        String id = everySecond.get("id").asText();
        Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> statuses(alice, "metadata%5Bschedule_id%5D=" + id).size() >= 2);

        JsonNode paused = spool.call("POST", "/v1/schedules/" + id + "/pause", alice, null, 200);
        assertThat(paused.get("paused").asBoolean()).isTrue();
        assertThat(paused.get("next_runs")).isEmpty();
        assertThat(paused.get("last_job_id").isNull()).isFalse();
        int made = statuses(alice, "metadata%5Bschedule_id%5D=" + id).size();
        JsonNode renamed = spool.call("PATCH", "/v1/schedules/" + nightly.get("id").asText(), alice, "{\"name\": \"nightly render\"}", 200);
        assertThat(renamed.get("next_run_at")).isEqualTo(nightly.get("next_run_at"));
        assertThat(spool.call("GET", "/v1/schedules", alice, null, 200).get("data")).hasSize(2);
        assertThat(spool.call("GET", "/v1/schedules", bob, null, 200).get("data")).isEmpty();
        spool.call("GET", "/v1/schedules/" + id, bob, null, 404);
        spool.call("DELETE", "/v1/schedules/" + id, bob, null, 404);

        spool.call("DELETE", "/v1/schedules/" + id, alice, null, 204);
        spool.call("GET", "/v1/schedules/" + id, alice, null, 404);
        assertThat(statuses(alice, "metadata%5Bschedule_id%5D=" + id)).as("its jobs stay").hasSizeGreaterThanOrEqualTo(made);
    }

    @Test
    void theJavaClientCoversTheOperatorsRoutes() {
        SpoolClient client = spool.client(alice);
        List<SubmitRequest> jobs = List.of(SubmitRequest.of("render", TestJobs.json("{\"f\": 1}")),
                SubmitRequest.of("render", TestJobs.json("{\"f\": 2}")));
        Batch made = client.submitBatch(jobs, "client-batch");
        assertThat(client.submitBatch(jobs, "client-batch").id()).isEqualTo(made.id());
        assertThat(client.cancelBatch(made.id()).changed()).isEqualTo(2);
        assertThat(client.deleteJobs(BulkFilter.none().withBatchId(made.id()).asDryRun(), null).matched()).isEqualTo(2);
        assertThat(client.retryJobs(BulkFilter.none().withBatchId(made.id()), "client-retry").changed()).isEqualTo(2);
        assertThat(client.cancelJobs(BulkFilter.none().withBatchId(made.id()).withStatus("queued"), null).changed()).isEqualTo(2);
        assertThat(client.queues()).extracting(Queue::name).contains("renders");
        SpoolClient admin = spool.client(spool.adminKey);
        assertThat(admin.pauseQueue("renders").paused()).isTrue();
        assertThat(admin.resumeQueue("renders").paused()).isFalse();

        Schedule s = client.createSchedule(Schedule.Request.of("0 0 * * *", jobs.getFirst()).withName("midnight"));
        assertThat(s.nextRuns()).hasSize(5);
        assertThat(client.updateSchedule(s.id(), Schedule.Request.change().withTimezone("Asia/Tokyo")).nextRunAt().toString())
                .endsWith("T15:00:00Z");
        assertThat(client.pauseSchedule(s.id()).paused()).isTrue();
        assertThat(client.resumeSchedule(s.id()).paused()).isFalse();
        assertThat(client.schedules()).extracting(Schedule::id).contains(s.id());
        assertThat(client.schedule(s.id()).name()).isEqualTo("midnight");
        client.deleteSchedule(s.id());
        assertThat(client.schedules()).extracting(Schedule::id).doesNotContain(s.id());
    }
}
