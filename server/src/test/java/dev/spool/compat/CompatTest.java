package dev.spool.compat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spool.testing.Receiver;
import dev.spool.testing.TestServer;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole life of a job through each profile: submitted the vendor's way, served by a worker
 * over the native worker protocol, polled the vendor's way through each status, its results
 * fetched the vendor's way, and its callback received by a loopback receiver.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CompatTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] IMAGE = "\u0089PNG fake image bytes".getBytes(StandardCharsets.ISO_8859_1);

    @TempDir
    static Path dir;

    private TestServer spool;
    private Receiver receiver;
    private String key;
    private String otherKey;
    private String workerKey;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void start() {
        receiver = new Receiver();
        spool = new TestServer(dir.resolve("data"), Map.of("compat.sync_wait_seconds", "20"), """
                webhooks:
                  allow_hosts: [127.0.0.1]
                  retry_schedule: 100ms,100ms,100ms
                """);
        var admin = spool.client(spool.adminKey);
        key = admin.createKey("studio", "studio", null).key();
        otherKey = admin.createKey("other", "other", null).key();
        workerKey = admin.createKey("workers", null, "worker").key();
    }

    @AfterAll
    void stop() {
        spool.close();
        receiver.close();
    }

    // ---------------------------------------------------------------- plumbing

    record Answer(int status, JsonNode json, byte[] bytes, HttpResponse<byte[]> raw) {}

    private Answer call(String method, String path, Map<String, String> headers, String body) {
        HttpRequest.Builder r = HttpRequest.newBuilder(spool.uri().resolve(path));
        headers.forEach(r::header);
        if (body != null) {
            r.header("Content-Type", "application/json");
        }
        r.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return send(r);
    }

    private Answer send(HttpRequest.Builder r) {
        try {
            HttpResponse<byte[]> res = http.send(r.build(), HttpResponse.BodyHandlers.ofByteArray());
            JsonNode json = null;
            String type = res.headers().firstValue("content-type").orElse("");
            if (type.contains("json") && res.body().length > 0) {
                json = JSON.readTree(res.body());
            }
            return new Answer(res.statusCode(), json, res.body(), res);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private Answer multipart(String path, Map<String, String> headers, List<String[]> parts) {
        String boundary = "spool-test-boundary";
        var out = new java.io.ByteArrayOutputStream();
        for (String[] p : parts) { // {field, value} or {field, filename, content type, content}
            String head = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + p[0] + "\""
                    + (p.length == 4 ? "; filename=\"" + p[1] + "\"\r\nContent-Type: " + p[2] : "") + "\r\n\r\n";
            out.writeBytes(head.getBytes(StandardCharsets.UTF_8));
            out.writeBytes((p.length == 4 ? p[3] : p[1]).getBytes(StandardCharsets.ISO_8859_1));
            out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpRequest.Builder r = HttpRequest.newBuilder(spool.uri().resolve(path))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(out.toByteArray()));
        headers.forEach(r::header);
        return send(r);
    }

    private Map<String, String> bearer(String k) {
        return Map.of("Authorization", "Bearer " + k);
    }

    /** Claims the one queued job of {@code type} as a worker; returns its claim. */
    private JsonNode claim(String type) {
        JsonNode jobs = json(spool.post("/v1/worker/claim", workerKey,
                "{\"worker_id\": \"compat-test\", \"types\": [\"" + type + "\"], \"max\": 1, \"wait_seconds\": 5}").body()).get("jobs");
        assertThat(jobs).as("a %s job to claim", type).hasSize(1);
        return jobs.get(0);
    }

    private void upload(JsonNode claim, String name, String type, byte[] bytes) {
        var res = spool.send(spool.request("/v1/worker/jobs/" + claim.get("id").asText() + "/artifacts/" + name
                + "?attempt=" + claim.get("attempt").asInt(), workerKey).header("Content-Type", type)
                .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes))));
        assertThat(res.statusCode()).isEqualTo(201);
    }

    private void complete(JsonNode claim, String result) {
        var res = spool.post("/v1/worker/jobs/" + claim.get("id").asText() + "/complete", workerKey,
                "{\"attempt\": " + claim.get("attempt").asInt() + ", \"result\": " + result + "}");
        assertThat(res.statusCode()).as(new String(res.body(), StandardCharsets.UTF_8)).isEqualTo(200);
    }

    private void fail(JsonNode claim, String message) {
        var res = spool.post("/v1/worker/jobs/" + claim.get("id").asText() + "/fail", workerKey,
                "{\"attempt\": " + claim.get("attempt").asInt() + ", \"error\": {\"code\": \"bad_media\", \"message\": \""
                        + message + "\"}, \"retryable\": false}");
        assertThat(res.statusCode()).as(new String(res.body(), StandardCharsets.UTF_8)).isEqualTo(200);
    }

    private static JsonNode json(byte[] body) {
        try {
            return JSON.readTree(body);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private static JsonNode json(String body) {
        return json(body.getBytes(StandardCharsets.UTF_8));
    }

    private List<Receiver.Received> awaitCalls(String path, int n) {
        await().atMost(Duration.ofSeconds(15)).until(() -> receiver.received(path).size() >= n);
        return receiver.received(path);
    }

    /** The job as the native API shows it: compat jobs are ordinary jobs. */
    private JsonNode nativeJob(String id) {
        var res = spool.send(spool.request("/v1/jobs/" + id, key).GET());
        assertThat(res.statusCode()).isEqualTo(200);
        return json(res.body());
    }

    private int nativeCount() {
        return json(spool.send(spool.request("/v1/jobs?limit=1000", key).GET()).body()).get("data").size();
    }

    private byte[] fetch(String url) {
        // webhook bodies carry links relative to the server when http.public_url is not set
        return send(HttpRequest.newBuilder(spool.uri().resolve(url)).GET()).bytes();
    }

    // ---------------------------------------------------------------- Hamsa

    @Test
    void hamsaTranscriptionFromSubmitToWebhook() {
        Map<String, String> token = Map.of("Authorization", "Token " + key);
        Answer submitted = call("POST", "/compat/hamsa/v1/jobs/transcribe", token, """
                {"mediaUrl": "https://media.example/talk.mp3", "model": "Hamsa-General-V2.0", "title": "Talk",
                 "language": "en", "webhookUrl": "%s", "webhookAuth": {"authKey": "Token", "authSecret": "s3cret"}}
                """.formatted(receiver.url("/hamsa")));
        assertThat(submitted.status()).isEqualTo(200);
        assertThat(submitted.json().get("success").asBoolean()).isTrue();
        String id = submitted.json().get("data").get("jobId").asText();

        // every documented header form works: Token, Bearer, and the bare key of the generated samples
        for (String auth : List.of("Token " + key, "Bearer " + key, key)) {
            Answer got = call("GET", "/compat/hamsa/v1/jobs?jobId=" + id, Map.of("Authorization", auth), null);
            assertThat(got.status()).isEqualTo(200);
            assertThat(got.json().get("data").get("status").asText()).isEqualTo("PENDING");
        }
        JsonNode claim = claim("hamsa.transcription");
        assertThat(claim.get("input").get("mediaUrl").asText()).isEqualTo("https://media.example/talk.mp3");
        assertThat(claim.get("input").has("webhookAuth")).as("the webhook secret is not the worker's to see").isFalse();
        assertThat(call("GET", "/compat/hamsa/v1/jobs?jobId=" + id, token, null).json().get("data").get("status").asText())
                .isEqualTo("PENDING");
        complete(claim, "{\"text\": \"hello world\", \"segments\": [{\"start\": 0, \"end\": 1.5, \"text\": \"hello world\"}]}");

        Answer done = call("GET", "/compat/hamsa/v1/jobs?jobId=" + id, token, null);
        JsonNode data = done.json().get("data");
        assertThat(data.get("status").asText()).isEqualTo("COMPLETED");
        assertThat(data.get("type").asText()).isEqualTo("TRANSCRIPTION");
        assertThat(data.get("jobResponse").get("text").asText()).isEqualTo("hello world");
        assertThat(data.get("systemModelKey").asText()).isEqualTo("HAMSA_GENERAL_V2.0");
        assertThat(data.get("createdAt").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
        assertThat(done.json().get("previewUrl").asText()).endsWith("/v1/jobs/" + id);

        Receiver.Received hook = awaitCalls("/hamsa", 1).getFirst();
        assertThat(hook.header("authorization")).isEqualTo("Token s3cret");
        assertThat(json(hook.body()).get("data").get("status").asText()).isEqualTo("COMPLETED");
        assertThat(json(hook.body()).get("data").get("jobResponse").get("text").asText()).isEqualTo("hello world");

        // v2 view and the list, with its filters
        Answer view = call("GET", "/compat/hamsa/v2/jobs/view/" + id + "?projectId=p", bearer(key), null);
        assertThat(view.json().get("data").get("url").asText()).isEqualTo("https://media.example/talk.mp3");
        assertThat(view.json().get("data").get("attributes").get("model").asText()).isEqualTo("Hamsa-General-V2.0");
        Answer list = call("POST", "/compat/hamsa/v1/jobs/all?projectId=p", token,
                "{\"take\": 10, \"skip\": 0, \"status\": \"COMPLETED\", \"type\": \"TRANSCRIPTION\", \"search\": \"talk\","
                        + " \"sort\": {\"field\": \"createdAt\", \"direction\": \"desc\"}}");
        assertThat(list.json().get("data").get("jobs")).extracting(j -> j.get("id").asText()).contains(id);
        assertThat(list.json().get("data").get("filtered").asInt()).isLessThanOrEqualTo(list.json().get("data").get("total").asInt());
        assertThat(call("POST", "/compat/hamsa/v1/jobs/all?projectId=p", token, "{\"status\": \"FAILED\", \"search\": \"talk\"}")
                .json().get("data").get("jobs")).isEmpty();

        // an ordinary job in the native API
        JsonNode nativeJob = nativeJob(id);
        assertThat(nativeJob.get("status").asText()).isEqualTo("succeeded");
        assertThat(nativeJob.get("metadata").get("spool.compat").asText()).isEqualTo("hamsa");
        assertThat(nativeJob.toString()).doesNotContain("s3cret");
    }

    @Test
    void hamsaRefusesBadInputInItsOwnEnvelopeAndStoresNothing() {
        int before = nativeCount();
        Answer missing = call("POST", "/compat/hamsa/v1/jobs/transcribe", Map.of("Authorization", "Token " + key),
                "{\"model\": \"Hamsa-General-V2.0\"}");
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.json().get("success").asBoolean()).isFalse();
        assertThat(missing.json().get("messageKey").asText()).isEqualTo("VALIDATION_ERROR");
        assertThat(missing.json().get("message").asText()).contains("mediaUrl");
        Answer badModel = call("POST", "/compat/hamsa/v1/jobs/transcribe", Map.of("Authorization", "Token " + key),
                "{\"mediaUrl\": \"https://m.example/a.mp3\", \"model\": \"GPT\"}");
        assertThat(badModel.status()).isEqualTo(400);
        Answer notJson = call("POST", "/compat/hamsa/v1/jobs/transcribe", Map.of("Authorization", "Token " + key), "{nope");
        assertThat(notJson.status()).isEqualTo(400);
        assertThat(nativeCount()).isEqualTo(before);
        Answer unauthorised = call("GET", "/compat/hamsa/v1/jobs?jobId=x", Map.of("Authorization", "Token nope"), null);
        assertThat(unauthorised.status()).isEqualTo(401);
        assertThat(unauthorised.json().get("messageKey").asText()).isEqualTo("UNAUTHORIZED");
    }

    // ---------------------------------------------------------------- Hume

    @Test
    void humeBatchJobFromSubmitToCallbackPredictionsAndArtifacts() throws Exception {
        Map<String, String> hume = Map.of("X-Hume-Api-Key", key);
        Answer submitted = call("POST", "/compat/hume/v0/batch/jobs", hume, """
                {"urls": ["https://media.example/faces.zip"], "models": {"face": {"fps_pred": 1}},
                 "callback_url": "%s", "notify": false}
                """.formatted(receiver.url("/hume")));
        assertThat(submitted.status()).isEqualTo(200);
        String id = submitted.json().get("job_id").asText();

        JsonNode queued = call("GET", "/compat/hume/v0/batch/jobs/" + id, hume, null).json();
        assertThat(queued.get("type").asText()).isEqualTo("INFERENCE");
        assertThat(queued.get("state").get("status").asText()).isEqualTo("QUEUED");
        assertThat(queued.get("state").get("created_timestamp_ms").isIntegralNumber()).isTrue();
        JsonNode face = queued.get("request").get("models").get("face");
        assertThat(face.get("fps_pred").asInt()).as("given").isEqualTo(1);
        assertThat(face.get("prob_threshold").asDouble()).as("default filled in").isEqualTo(0.99);

        JsonNode claim = claim("hume.batch");
        JsonNode running = call("GET", "/compat/hume/v0/batch/jobs/" + id, hume, null).json();
        assertThat(running.get("state").get("status").asText()).isEqualTo("IN_PROGRESS");
        assertThat(running.get("state").get("started_timestamp_ms").asLong())
                .isGreaterThanOrEqualTo(running.get("state").get("created_timestamp_ms").asLong());
        assertThat(call("GET", "/compat/hume/v0/batch/jobs/" + id + "/predictions", hume, null).status()).isEqualTo(400);
        upload(claim, "faces-1.json", "application/json", "{\"faces\": 2}".getBytes(StandardCharsets.UTF_8));
        String predictions = """
                [{"source": {"type": "url", "url": "https://media.example/faces.zip"},
                  "results": {"predictions": [{"file": "faces/1.jpg", "models": {"face": {"grouped_predictions": []}}},
                                              {"file": "faces/2.jpg", "models": {"face": {"grouped_predictions": []}}}],
                              "errors": [{"file": "faces/3.jpg", "message": "no face"}]}}]""";
        complete(claim, "{\"predictions\": " + predictions + "}");

        JsonNode done = call("GET", "/compat/hume/v0/batch/jobs/" + id, hume, null).json();
        assertThat(done.get("state").get("status").asText()).isEqualTo("COMPLETED");
        assertThat(done.get("state").get("num_predictions").asInt()).isEqualTo(2);
        assertThat(done.get("state").get("num_errors").asInt()).isEqualTo(1);
        assertThat(done.get("state").has("ended_timestamp_ms")).isTrue();
        assertThat(call("GET", "/compat/hume/v0/batch/jobs/" + id + "/predictions", hume, null).json()).isEqualTo(json(predictions));
        Answer zip = call("GET", "/compat/hume/v0/batch/jobs/" + id + "/artifacts", hume, null);
        assertThat(zip.status()).isEqualTo(200);
        try (var in = new ZipInputStream(new ByteArrayInputStream(zip.bytes()))) {
            assertThat(in.getNextEntry().getName()).isEqualTo("faces-1.json");
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("{\"faces\": 2}");
        }
        JsonNode callback = json(awaitCalls("/hume", 1).getFirst().body());
        assertThat(callback.get("job_id").asText()).isEqualTo(id);
        assertThat(callback.get("status").asText()).isEqualTo("COMPLETED");
        assertThat(callback.get("predictions")).isEqualTo(json(predictions));

        Answer list = call("GET", "/compat/hume/v0/batch/jobs?status=COMPLETED&limit=5&sort_by=ended&direction=asc", hume, null);
        assertThat(list.json().isArray()).isTrue();
        assertThat(list.json()).extracting(j -> j.get("job_id").asText()).contains(id);
        assertThat(list.json()).allSatisfy(j -> assertThat(j.get("state").get("status").asText()).isEqualTo("COMPLETED"));
    }

    @Test
    void humeLocalFileSubmitFailureAndErrors() throws Exception {
        Map<String, String> hume = Map.of("X-Hume-Api-Key", key);
        String content = "fake audio";
        Answer submitted = multipart("/compat/hume/v0/batch/jobs", hume, List.of(
                new String[] {"json", "{\"models\": {\"prosody\": {}}, \"callback_url\": \"" + receiver.url("/hume-failed") + "\"}"},
                new String[] {"file", "call.wav", "audio/wav", content}));
        assertThat(submitted.status()).as(new String(submitted.bytes(), StandardCharsets.UTF_8)).isEqualTo(200);
        String id = submitted.json().get("job_id").asText();
        JsonNode file = call("GET", "/compat/hume/v0/batch/jobs/" + id, hume, null).json().get("request").get("files").get(0);
        assertThat(file.get("filename").asText()).isEqualTo("call.wav");
        assertThat(file.get("md5sum").asText()).isEqualTo(HexFormat.of().formatHex(
                MessageDigest.getInstance("MD5").digest(content.getBytes(StandardCharsets.ISO_8859_1))));

        fail(claim("hume.batch"), "unreadable audio");
        JsonNode failed = call("GET", "/compat/hume/v0/batch/jobs/" + id, hume, null).json().get("state");
        assertThat(failed.get("status").asText()).isEqualTo("FAILED");
        assertThat(failed.get("message").asText()).isEqualTo("unreadable audio");
        assertThat(failed.has("started_timestamp_ms") && failed.has("ended_timestamp_ms")).isTrue();
        JsonNode callback = json(awaitCalls("/hume-failed", 1).getFirst().body());
        assertThat(callback.get("status").asText()).isEqualTo("FAILED");
        assertThat(callback.get("message").asText()).isEqualTo("unreadable audio");

        Answer missing = call("GET", "/compat/hume/v0/batch/jobs/job_id", hume, null);
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.json().get("message").asText()).isEqualTo("job not found");
        Answer badKey = call("GET", "/compat/hume/v0/batch/jobs", Map.of("X-Hume-Api-Key", "nope"), null);
        assertThat(badKey.status()).isEqualTo(401);
        assertThat(badKey.json().get("fault").get("detail").get("errorcode").asText()).contains("InvalidApiKey");
        // another tenant's job is no job at all
        assertThat(call("GET", "/compat/hume/v0/batch/jobs/" + id, Map.of("X-Hume-Api-Key", otherKey), null).status()).isEqualTo(404);
    }

    // ---------------------------------------------------------------- Rodin

    @Test
    void rodinTaskWithItsTwoIdsFromGenerateToDownload() {
        Answer generated = multipart("/compat/rodin/api/v2/rodin", bearer(key), List.of(
                new String[] {"images", "chair.png", "image/png", "not really a png"},
                new String[] {"prompt", "a wooden chair"},
                new String[] {"seed", "42"},
                new String[] {"addons", "[\"HighPack\"]"},
                new String[] {"geometry_file_format", "glb"}));
        assertThat(generated.status()).isEqualTo(201);
        JsonNode task = generated.json();
        assertThat(task.has("error")).as("error is left out on success").isFalse();
        String uuid = task.get("uuid").asText();
        String subscription = task.get("jobs").get("subscription_key").asText();
        String subJob = task.get("jobs").get("uuids").get(0).asText();
        assertThat(List.of(subscription, subJob)).doesNotContain(uuid);

        String statusBody = "{\"subscription_key\": \"" + subscription + "\"}";
        JsonNode waiting = call("POST", "/compat/rodin/api/v2/status", bearer(key), statusBody).json();
        assertThat(waiting.get("jobs").get(0).get("uuid").asText()).isEqualTo(subJob);
        assertThat(waiting.get("jobs").get(0).get("status").asText()).isEqualTo("Waiting");
        JsonNode claim = claim("rodin.generate");
        assertThat(claim.get("input").get("seed").asInt()).isEqualTo(42);
        assertThat(claim.get("input").get("addons").get(0).asText()).isEqualTo("HighPack");
        assertThat(call("POST", "/compat/rodin/api/v2/status", bearer(key), statusBody).json().get("jobs").get(0)
                .get("status").asText()).isEqualTo("Generating");
        upload(claim, "model.glb", "model/gltf-binary", IMAGE);
        complete(claim, "{}");
        Answer status = call("POST", "/compat/rodin/api/v2/status", bearer(key), statusBody);
        assertThat(status.status()).isEqualTo(201);
        assertThat(status.json().get("jobs").get(0).get("status").asText()).isEqualTo("Done");

        Answer download = call("POST", "/compat/rodin/api/v2/download", bearer(key), "{\"task_uuid\": \"" + uuid + "\"}");
        assertThat(download.status()).isEqualTo(201);
        JsonNode file = download.json().get("list").get(0);
        assertThat(file.get("name").asText()).isEqualTo("model.glb");
        assertThat(fetch(file.get("url").asText())).isEqualTo(IMAGE);

        // the classic mistake: the ids swapped
        Answer swapped = call("POST", "/compat/rodin/api/v2/download", bearer(key), "{\"task_uuid\": \"" + subJob + "\"}");
        assertThat(swapped.status()).isEqualTo(201);
        assertThat(swapped.json().get("error").asText()).isEqualTo("NO_SUCH_TASK");
        assertThat(call("POST", "/compat/rodin/api/v2/status", bearer(key), "{\"subscription_key\": \"" + uuid + "\"}")
                .json().get("error").asText()).isEqualTo("NO_SUCH_TASK");
        assertThat(call("POST", "/compat/rodin/api/v2/status", bearer(otherKey), statusBody).json().get("error").asText())
                .isEqualTo("NO_SUCH_TASK");
        Answer badField = multipart("/compat/rodin/api/v2/rodin", bearer(key), List.of(
                new String[] {"prompt", "x"}, new String[] {"bbox_condition", "[1,2"}));
        assertThat(badField.json().get("error").asText()).isEqualTo("INVALID_REQUEST");
        assertThat(call("POST", "/compat/rodin/api/v2/status", Map.of(), statusBody).status()).isEqualTo(401);
    }

    // ---------------------------------------------------------------- Gepetto

    @Test
    void gepettoAsynchronousWithWebhookAndSynchronousWithBase64() throws Exception {
        Answer pending = call("POST", "/compat/gepetto/v1/furnish", bearer(key), """
                {"url": "https://img.example/room.jpg", "roomId": "living", "styleId": "modern", "webhook": "%s"}
                """.formatted(receiver.url("/gepetto")));
        assertThat(pending.status()).isEqualTo(200);
        assertThat(pending.json().get("status").asText()).isEqualTo("pending");
        assertThat(pending.json().get("mode").asText()).isEqualTo("furnish");
        String id = pending.json().get("id").asText();
        assertThat(call("GET", "/compat/gepetto/v1/job/" + id, bearer(key), null).json().get("status").asText()).isEqualTo("pending");
        JsonNode claim = claim("gepetto.furnish");
        upload(claim, "furnished.png", "image/png", IMAGE);
        complete(claim, "{}");
        JsonNode done = call("GET", "/compat/gepetto/v1/job/" + id, bearer(key), null).json();
        assertThat(done.get("status").asText()).isEqualTo("success");
        assertThat(done.get("mode").asText()).isEqualTo("furnish");
        assertThat(done.get("createdAt").asText()).endsWith("Z");
        assertThat(fetch(done.get("output").asText())).isEqualTo(IMAGE);
        JsonNode hook = json(awaitCalls("/gepetto", 1).getFirst().body());
        assertThat(hook.get("id").asText()).isEqualTo(id);
        assertThat(fetch(hook.get("output").asText())).isEqualTo(IMAGE);

        // without a webhook the call waits for the job and answers with the image itself
        CompletableFuture<Answer> sync = CompletableFuture.supplyAsync(() -> call("POST", "/compat/gepetto/v1/refresh", bearer(key),
                "{\"url\": \"https://img.example/room.jpg\", \"transformation\": \"walls\", \"value\": \"olive\"}"));
        JsonNode syncClaim = claim("gepetto.refresh");
        upload(syncClaim, "refreshed.png", "image/png", IMAGE);
        complete(syncClaim, "{}");
        Answer answer = sync.get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(answer.json().get("status").asText()).isEqualTo("success");
        assertThat(java.util.Base64.getDecoder().decode(answer.json().get("base64").asText())).isEqualTo(IMAGE);

        Answer bad = call("POST", "/compat/gepetto/v1/redesign", bearer(key),
                "{\"url\": \"https://img.example/room.jpg\", \"roomId\": \"a\", \"styleId\": \"b\", \"creativity\": 31}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().get("error").asText()).contains("creativity");
        assertThat(call("GET", "/compat/gepetto/v1/job/" + id, bearer(otherKey), null).status()).isEqualTo(404);
    }

    // ---------------------------------------------------------------- Daily

    @Test
    void dailyBatchJobWithAccountWebhookAccessLinksAndDelete() {
        Answer hook = call("POST", "/compat/daily/v1/webhooks", bearer(key),
                "{\"url\": \"" + receiver.url("/daily") + "\", \"eventTypes\": [\"batch-processor.job-finished\", \"batch-processor.error\"]}");
        assertThat(hook.status()).isEqualTo(200);
        String hookId = hook.json().get("uuid").asText();
        String body = """
                {"preset": "transcript",
                 "inParams": {"sourceType": "recordingId", "recordingId": "rec-7", "language": "en"},
                 "outParams": {"s3Config": {"s3KeyTemplate": "transcript-{epoch_time}", "useReplacement": true}},
                 "transformParams": {"transcript": {"punctuate": true, "model": "general"}}}""";
        Answer submitted = call("POST", "/compat/daily/v1/batch-processor", bearer(key), body);
        assertThat(submitted.status()).isEqualTo(200);
        String id = submitted.json().get("id").asText();
        assertThat(call("GET", "/compat/daily/v1/batch-processor/" + id, bearer(key), null).json().get("status").asText())
                .isEqualTo("submitted");
        JsonNode claim = claim("daily.transcript");
        assertThat(call("GET", "/compat/daily/v1/batch-processor/" + id, bearer(key), null).json().get("status").asText())
                .isEqualTo("processing");
        Answer early = call("GET", "/compat/daily/v1/batch-processor/" + id + "/access-link", bearer(key), null);
        assertThat(early.status()).isEqualTo(400);
        assertThat(early.json().get("error").asText()).isEqualTo("invalid-request-error");
        upload(claim, "transcript.json", "application/json", "{\"words\": []}".getBytes(StandardCharsets.UTF_8));
        upload(claim, "transcript.txt", "text/plain", "hello".getBytes(StandardCharsets.UTF_8));
        complete(claim, "{}");

        JsonNode done = call("GET", "/compat/daily/v1/batch-processor/" + id, bearer(key), null).json();
        assertThat(done.get("status").asText()).isEqualTo("finished");
        assertThat(done.get("preset").asText()).isEqualTo("transcript");
        assertThat(done.get("input").get("recordingId").asText()).isEqualTo("rec-7");
        assertThat(done.get("output").get("transcription")).extracting(t -> t.get("format").asText()).containsExactly("json", "txt");
        assertThat(done.get("output").get("transcription").get(0).get("s3Config").get("key").asText()).isEqualTo(id + "/transcript.json");
        JsonNode links = call("GET", "/compat/daily/v1/batch-processor/" + id + "/access-link", bearer(key), null).json();
        assertThat(fetch(links.get("transcription").get(1).get("link").asText())).isEqualTo("hello".getBytes(StandardCharsets.UTF_8));

        JsonNode event = json(awaitCalls("/daily", 1).getFirst().body());
        assertThat(event.get("type").asText()).isEqualTo("batch-processor.job-finished");
        assertThat(event.get("id").asText()).isEqualTo("bp-jf-" + id);
        assertThat(event.get("payload").get("status").asText()).isEqualTo("finished");
        assertThat(event.get("event_ts").isIntegralNumber()).isTrue();

        // a failing job sends the error event; a native job is not Daily's to hear of
        String failing = call("POST", "/compat/daily/v1/batch-processor", bearer(key),
                "{\"preset\": \"summarize\", \"inParams\": {\"sourceType\": \"uri\", \"uri\": \"https://m.example/a.mp4\"}, \"outParams\": {}}")
                .json().get("id").asText();
        fail(claim("daily.summarize"), "Failed to transcribe");
        JsonNode error = json(awaitCalls("/daily", 2).get(1).body());
        assertThat(error.get("type").asText()).isEqualTo("batch-processor.error");
        assertThat(error.get("id").asText()).isEqualTo("bp-je-" + failing);
        assertThat(error.get("payload").get("error").asText()).isEqualTo("Failed to transcribe");
        assertThat(error.get("payload").has("output")).isFalse();

        JsonNode list = call("GET", "/compat/daily/v1/batch-processor?recordingId=rec-7", bearer(key), null).json();
        assertThat(list.get("total_count").asInt()).isEqualTo(1);
        assertThat(list.get("data").get(0).get("id").asText()).isEqualTo(id);
        JsonNode paged = call("GET", "/compat/daily/v1/batch-processor?limit=1&starting_after=" + failing, bearer(key), null).json();
        assertThat(paged.get("data").get(0).get("id").asText()).isEqualTo(id);

        Answer deleted = call("DELETE", "/compat/daily/v1/batch-processor/" + id, bearer(key), null);
        assertThat(deleted.status()).isEqualTo(200);
        assertThat(deleted.json().get("status").asText()).isEqualTo("finished");
        Answer gone = call("GET", "/compat/daily/v1/batch-processor/" + id, bearer(key), null);
        assertThat(gone.status()).isEqualTo(404);
        assertThat(call("GET", "/compat/daily/v1/webhooks/" + hookId, bearer(key), null).json().get("eventTypes")).hasSize(2);
        Answer badPreset = call("POST", "/compat/daily/v1/batch-processor", bearer(key), "{\"preset\": \"recordingId\"}");
        assertThat(badPreset.status()).isEqualTo(400);
        assertThat(badPreset.json().get("info").asText()).contains("preset");
        Answer noHeader = call("GET", "/compat/daily/v1/batch-processor", Map.of(), null);
        assertThat(noHeader.status()).isEqualTo(401);
        assertThat(noHeader.json().get("error").asText()).isEqualTo("authorization-header-error");
    }
}
