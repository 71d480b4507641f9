package dev.spool.http;

import static dev.spool.testing.TestJobs.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spool.client.Job;
import dev.spool.client.JobEvent;
import dev.spool.client.SpoolClient;
import dev.spool.client.SubmitRequest;
import dev.spool.testing.TestServer;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP worker protocol against a real server: claim, heartbeat, log, complete, fail, fencing, roles. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkerProtocolTest {
    private static final String TYPES = """
            types:
              transcribe:
                executor: worker
                max_attempts: 3
                input_schema: {type: object, required: [audio], properties: {audio: {type: string}}}
              render:
                executor: worker
                queue: gpu
            """;

    @TempDir
    static Path dir;

    private TestServer spool;
    private SpoolClient admin;
    private SpoolClient tenant;
    private String tenantKey;
    private String workerKey;

    @BeforeAll
    void start() {
        spool = new TestServer(dir, Map.of("jobs.lease_seconds", "2", "jobs.backoff_base_seconds", "0.2"), TYPES);
        admin = spool.client(spool.adminKey);
        tenantKey = admin.createKey("tenant", "studio", null).key();
        tenant = spool.client(tenantKey);
        workerKey = admin.createKey("gpu-workers", null, "worker").key();
    }

    @AfterAll
    void stop() {
        spool.close();
    }

    private JsonNode ok(HttpResponse<byte[]> res) {
        String body = new String(res.body(), StandardCharsets.UTF_8);
        assertThat(res.statusCode()).as(body).isBetween(200, 299);
        return body.isEmpty() ? null : json(body);
    }

    private JsonNode claim(String body) {
        return ok(spool.post("/v1/worker/claim", workerKey, body)).get("jobs");
    }

    private String submitTranscribe(String audio) {
        return tenant.submit(SubmitRequest.of("transcribe", json("{\"audio\": \"" + audio + "\"}"))).id();
    }

    @Test
    void aWorkerClaimsReportsProgressAndLogsAndCompletes() {
        String id = submitTranscribe("a.wav");
        JsonNode jobs = claim("{\"worker_id\": \"host-1:100\", \"name\": \"gpu box\", \"types\": [\"transcribe\"], \"max\": 5}");
        assertThat(jobs).hasSize(1);
        JsonNode claimed = jobs.get(0);
        assertThat(claimed.get("id").asText()).isEqualTo(id);
        assertThat(claimed.get("attempt").asInt()).isEqualTo(1);
        assertThat(claimed.get("tenant").asText()).isEqualTo("studio");
        assertThat(claimed.get("input").get("audio").asText()).isEqualTo("a.wav");

        JsonNode beat = ok(spool.post("/v1/worker/jobs/" + id + "/heartbeat", workerKey,
                "{\"attempt\": 1, \"progress\": {\"fraction\": 0.5, \"message\": \"half way\"}}"));
        assertThat(beat.get("cancel_requested").asBoolean()).isFalse();
        assertThat(tenant.get(id).progress().message()).isEqualTo("half way");
        ok(spool.post("/v1/worker/jobs/" + id + "/logs", workerKey, "{\"attempt\": 1, \"lines\": [\"loading\", \"decoding\"]}"));

        JsonNode workers = ok(spool.send(spool.request("/v1/workers", spool.adminKey).GET())).get("data");
        JsonNode me = null;
        for (JsonNode w : workers) {
            if (w.get("id").asText().equals("host-1:100")) {
                me = w;
            }
        }
        assertThat(me).isNotNull();
        assertThat(me.get("name").asText()).isEqualTo("gpu box");
        assertThat(me.get("jobs_in_hand").asInt()).isEqualTo(1);

        JsonNode done = ok(spool.post("/v1/worker/jobs/" + id + "/complete", workerKey,
                "{\"attempt\": 1, \"result\": {\"text\": \"hello\"}, \"usage\": {\"units\": 12}}"));
        assertThat(done.get("status").asText()).isEqualTo("succeeded");

        Job job = tenant.get(id);
        assertThat(job.result().get("text").asText()).isEqualTo("hello");
        assertThat(job.usage().units()).isEqualTo(12);
        JsonNode logs = ok(spool.send(spool.request("/v1/jobs/" + id + "/logs", tenantKey).GET())).get("data");
        assertThat(logs).extracting(l -> l.get("line").asText()).containsExactly("loading", "decoding");
        assertThat(spool.post("/v1/worker/jobs/" + id + "/complete", workerKey, "{\"attempt\": 1, \"result\": {}}").statusCode())
                .as("a second outcome for the same attempt").isEqualTo(409);
    }

    @Test
    void oneCallHeartbeatsManyJobsAndOneCallReportsManyEachAnsweredOnItsOwn() {
        String a = submitTranscribe("a.wav");
        String b = submitTranscribe("b.wav");
        String c = submitTranscribe("c.wav");
        String d = submitTranscribe("d.wav");
        JsonNode jobs = claim("{\"worker_id\": \"batcher\", \"types\": [\"transcribe\"], \"max\": 10}");
        assertThat(jobs).extracting(j -> j.get("id").asText()).contains(a, b, c, d);
        tenant.cancel(d); // running: the cancel is asked of its worker

        JsonNode beats = ok(spool.post("/v1/worker/heartbeats", workerKey, """
                {"heartbeats": [
                  {"id": "%s", "attempt": 1, "progress": {"fraction": 0.25, "message": "a quarter"}},
                  {"id": "%s", "attempt": 7},
                  {"id": "%s", "attempt": 1}
                ]}""".formatted(a, b, d))).get("results");
        assertThat(beats).hasSize(3);
        assertThat(beats.get(0).get("id").asText()).isEqualTo(a);
        assertThat(beats.get(0).get("cancel_requested").asBoolean()).isFalse();
        assertThat(beats.get(0).get("lease_expires_at").asText()).isNotEmpty();
        assertThat(beats.get(1).get("error").get("code").asText()).isEqualTo("stale_attempt");
        assertThat(beats.get(1).get("error").get("status").asInt()).isEqualTo(409);
        assertThat(beats.get(2).get("cancel_requested").asBoolean()).isTrue();
        assertThat(tenant.get(a).progress().message()).isEqualTo("a quarter");

        JsonNode reports = ok(spool.post("/v1/worker/reports", workerKey, """
                {"reports": [
                  {"id": "%s", "attempt": 1, "outcome": "succeeded", "result": {"text": "A"}, "usage": {"units": 3}},
                  {"id": "%s", "attempt": 1, "outcome": "failed", "error": {"code": "bad_audio", "message": "no audio"}, "retryable": false},
                  {"id": "%s", "attempt": 2, "outcome": "succeeded", "result": {}},
                  {"id": "%s", "attempt": 1, "outcome": "released"}
                ]}""".formatted(a, b, c, d))).get("results");
        assertThat(reports).hasSize(4);
        assertThat(reports.get(0).get("status").asText()).isEqualTo("succeeded");
        assertThat(reports.get(1).get("status").asText()).isEqualTo("failed");
        assertThat(reports.get(2).get("id").asText()).isEqualTo(c);
        assertThat(reports.get(2).get("error").get("code").asText()).as("a stale attempt is refused alone").isEqualTo("stale_attempt");
        assertThat(reports.get(3).get("status").asText()).as("released while a cancel was asked").isEqualTo("cancelled");

        assertThat(tenant.get(a).result().get("text").asText()).isEqualTo("A");
        assertThat(tenant.get(a).usage().units()).isEqualTo(3);
        assertThat(tenant.get(b).error().code()).isEqualTo("bad_audio");
        assertThat(tenant.get(c).status()).isEqualTo("running");
        ok(spool.post("/v1/worker/reports", workerKey,
                "{\"reports\": [{\"id\": \"" + c + "\", \"attempt\": 1, \"outcome\": \"succeeded\"}]}"));
        assertThat(tenant.get(c).status()).isEqualTo("succeeded");
    }

    @Test
    void aMalformedItemRefusesTheWholeBatchAndAppliesNothing() {
        String a = submitTranscribe("x.wav");
        claim("{\"worker_id\": \"batcher-2\", \"types\": [\"transcribe\"], \"max\": 10}");
        for (String body : new String[] {
                "{\"reports\": [{\"id\": \"" + a + "\", \"attempt\": 1, \"outcome\": \"succeeded\"}, {\"id\": \"" + a
                        + "\", \"attempt\": 1, \"outcome\": \"failed\", \"error\": {\"message\": \"x\"}}]}",
                "{\"reports\": [{\"id\": \"" + a + "\", \"attempt\": 1, \"outcome\": \"succeeded\"}, {\"id\": \"nope\", \"attempt\": 1, \"outcome\": \"succeeded\"}]}",
                "{\"reports\": [{\"id\": \"" + a + "\", \"attempt\": 1, \"outcome\": \"succeeded\"}, {\"id\": \"" + a + "\", \"attempt\": 1, \"outcome\": \"done\"}]}",
                "{\"reports\": [{\"id\": \"" + a + "\", \"attempt\": 1, \"outcome\": \"failed\"}]}",
                "{\"reports\": []}",
                "{\"reports\": [null]}",
                "{\"heartbeats\": [{\"id\": \"" + a + "\", \"attempt\": 1, \"progress\": {\"fraction\": 2}}]}"}) {
            String path = body.startsWith("{\"heartbeats") ? "/v1/worker/heartbeats" : "/v1/worker/reports";
            HttpResponse<byte[]> res = spool.post(path, workerKey, body);
            assertThat(res.statusCode()).as(body).isEqualTo(400);
            assertThat(res.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        }
        assertThat(tenant.get(a).status()).isEqualTo("running");
        assertThat(spool.post("/v1/worker/reports", tenantKey,
                "{\"reports\": [{\"id\": \"" + a + "\", \"attempt\": 1, \"outcome\": \"succeeded\"}]}").statusCode())
                .as("a tenant key cannot report").isEqualTo(403);
    }

    @Test
    void aLongPollAnswersAsSoonAsWorkArrives() throws Exception {
        CompletableFuture<JsonNode> waiting = CompletableFuture.supplyAsync(() ->
                claim("{\"worker_id\": \"poller\", \"types\": [\"render\"], \"wait_seconds\": 30}"));
        Thread.sleep(300); // let the claim start waiting; what is measured below is from the submit on
        long submitted = System.nanoTime();
        String id = tenant.submit(SubmitRequest.of("render", json("{}"))).id();
        JsonNode jobs = waiting.get();
        long ms = (System.nanoTime() - submitted) / 1_000_000;
        System.out.printf("long-poll claim answered %d ms after the submit%n", ms);

        assertThat(jobs).hasSize(1);
        assertThat(jobs.get(0).get("id").asText()).isEqualTo(id);
        assertThat(ms).as("woken by the submit, not by the once-a-second look").isLessThan(900);
        ok(spool.post("/v1/worker/jobs/" + id + "/complete", workerKey, "{\"attempt\": 1}"));
    }

    @Test
    void aWorkerWhoseLeaseExpiredCanChangeNothingAndTheNextAttemptWins() {
        String id = submitTranscribe("b.wav");
        JsonNode first = claim("{\"worker_id\": \"stalled\", \"types\": [\"transcribe\"]}").get(0);
        assertThat(first.get("id").asText()).isEqualTo(id);

        // No heartbeat: the lease (2 s) runs out, the job is rescued and claimed again.
        JsonNode[] second = new JsonNode[1];
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            JsonNode jobs = claim("{\"worker_id\": \"fresh\", \"types\": [\"transcribe\"], \"wait_seconds\": 1}");
            for (JsonNode j : jobs) {
                if (j.get("id").asText().equals(id)) {
                    second[0] = j;
                }
            }
            return second[0] != null;
        });
        assertThat(second[0].get("attempt").asInt()).isEqualTo(2);

        for (String report : new String[] {"heartbeat", "complete", "logs"}) {
            String body = report.equals("logs") ? "{\"attempt\": 1, \"lines\": [\"late\"]}" : "{\"attempt\": 1, \"result\": {}}";
            if (report.equals("heartbeat")) {
                body = "{\"attempt\": 1}";
            }
            HttpResponse<byte[]> stale = spool.post("/v1/worker/jobs/" + id + "/" + report, workerKey, body);
            assertThat(stale.statusCode()).as(report).isEqualTo(409);
            assertThat(json(new String(stale.body(), StandardCharsets.UTF_8)).get("code").asText()).isEqualTo("stale_attempt");
        }
        assertThat(tenant.get(id).status()).isEqualTo("running");
        ok(spool.post("/v1/worker/jobs/" + id + "/complete", workerKey, "{\"attempt\": 2, \"result\": {\"from\": 2}}"));
        assertThat(tenant.get(id).result().get("from").asInt()).isEqualTo(2);
        assertThat(tenant.events(id)).extracting(JobEvent::kind).containsSubsequence("started", "retry_scheduled", "started", "succeeded");
    }

    @Test
    void aCancelReachesTheWorkerThroughItsHeartbeat() {
        String id = submitTranscribe("c.wav");
        claim("{\"worker_id\": \"w\", \"types\": [\"transcribe\"]}");
        tenant.cancel(id);

        JsonNode beat = ok(spool.post("/v1/worker/jobs/" + id + "/heartbeat", workerKey, "{\"attempt\": 1}"));
        assertThat(beat.get("cancel_requested").asBoolean()).isTrue();
        JsonNode ended = ok(spool.post("/v1/worker/jobs/" + id + "/fail", workerKey,
                "{\"attempt\": 1, \"error\": {\"code\": \"cancelled\", \"message\": \"stopped on request\"}}"));
        assertThat(ended.get("status").asText()).isEqualTo("cancelled");
    }

    @Test
    void aRetryableFailureComesBackAndANonRetryableOneEndsTheJob() {
        String id = submitTranscribe("d.wav");
        claim("{\"types\": [\"transcribe\"]}");
        JsonNode retried = ok(spool.post("/v1/worker/jobs/" + id + "/fail", workerKey,
                "{\"attempt\": 1, \"error\": {\"code\": \"oom\", \"message\": \"out of memory\"}}"));
        assertThat(retried.get("status").asText()).isEqualTo("queued");

        await().atMost(Duration.ofSeconds(10)).until(() -> claim("{\"types\": [\"transcribe\"], \"wait_seconds\": 1}").size() > 0);
        JsonNode failed = ok(spool.post("/v1/worker/jobs/" + id + "/fail", workerKey,
                "{\"attempt\": 2, \"error\": {\"message\": \"corrupt file\"}, \"retryable\": false}"));
        assertThat(failed.get("status").asText()).isEqualTo("failed");
        assertThat(tenant.get(id).error().code()).isEqualTo("worker_error");
    }

    @Test
    void keysKeepToTheirRoles() {
        assertThat(spool.post("/v1/worker/claim", tenantKey, "{}").statusCode()).as("a tenant key may not claim").isEqualTo(403);
        assertThat(spool.post("/v1/jobs", workerKey, "{\"type\": \"transcribe\", \"input\": {\"audio\": \"x\"}}").statusCode())
                .as("a worker key may not submit").isEqualTo(403);
        assertThat(spool.send(spool.request("/v1/jobs", workerKey).GET()).statusCode()).as("nor read as a tenant").isEqualTo(403);
        assertThat(spool.send(spool.request("/v1/workers", workerKey).GET()).statusCode()).isEqualTo(403);
        assertThat(spool.send(spool.request("/v1/workers", tenantKey).GET()).statusCode()).isEqualTo(403);
    }

    @Test
    void badWorkerRequestsAreClearProblems() {
        assertThat(spool.post("/v1/worker/claim", workerKey, "{\"types\": [\"echo\"]}").statusCode())
                .as("a type the server runs itself").isEqualTo(400);
        assertThat(spool.post("/v1/worker/claim", workerKey, "{\"types\": [\"nope\"]}").statusCode()).isEqualTo(422);
        assertThat(spool.post("/v1/worker/claim", workerKey, "{\"max\": 0}").statusCode()).isEqualTo(400);
        assertThat(spool.post("/v1/worker/claim", workerKey, "{\"wait_seconds\": 61}").statusCode()).isEqualTo(400);
        String id = dev.spool.job.JobId.generate().value();
        assertThat(spool.post("/v1/worker/jobs/" + id + "/heartbeat", workerKey, "{}").statusCode()).isEqualTo(400);
        assertThat(spool.post("/v1/worker/jobs/" + id + "/heartbeat", workerKey, "{\"attempt\": 1}").statusCode()).isEqualTo(404);
        assertThat(spool.post("/v1/worker/jobs/" + id + "/fail", workerKey, "{\"attempt\": 1}").statusCode()).isEqualTo(400);
        assertThat(spool.post("/v1/worker/jobs/" + id + "/logs", workerKey, "{\"attempt\": 1, \"lines\": []}").statusCode()).isEqualTo(400);
    }
}
