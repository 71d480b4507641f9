package dev.spool.compat;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spool.testing.TestServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hume's official TypeScript SDK (npm {@code hume}, pinned with its lock file in
 * {@code src/test/sdk/hume}) against the Hume profile with only its base URL changed: the script
 * submits a URL job and a local-file job, waits with the SDK's own poller while this test serves the
 * jobs as a worker, then reads details, lists, predictions, the artifacts ZIP and two refusals.
 * It needs node and npm on the PATH and the npm registry; a missing one fails the test.
 */
class HumeSdkTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path SOURCES = Path.of("src/test/sdk/hume");
    private static final Path INSTALL = Path.of("target/sdk/hume");

    @TempDir
    Path dir;

    @Test
    void officialSdkRunsAgainstTheProfileWithOnlyItsBaseUrlChanged() throws Exception {
        installSdk();
        Path media = Files.writeString(dir.resolve("call.wav"), "fake audio");
        try (var spool = new TestServer(dir.resolve("data"), Map.of())) {
            var admin = spool.client(spool.adminKey);
            String key = admin.createKey("sdk", "sdk", null).key();
            String workerKey = admin.createKey("workers", null, "worker").key();

            Process node = new ProcessBuilder("node", "check.mjs", spool.uri() + "/compat/hume", key, media.toString())
                    .directory(INSTALL.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try (var out = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8))) {
                JsonNode first = JSON.readTree(out.readLine());
                String urlJob = first.get("submitted").get("url").asText();
                String fileJob = first.get("submitted").get("file").asText();
                JsonNode queued = first.get("queued");
                assertThat(queued.get("state").get("status").asText()).isEqualTo("QUEUED");
                assertThat(queued.get("request").get("models").get("face").get("fpsPred").asInt()).isEqualTo(1);

                serve(spool, workerKey, urlJob, fileJob);

                JsonNode summary = JSON.readTree(out.readLine()).get("summary");
                assertThat(node.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(node.exitValue()).isZero();

                JsonNode completed = summary.get("completed").get("state");
                assertThat(completed.get("status").asText()).isEqualTo("COMPLETED");
                assertThat(completed.get("numPredictions").asInt()).isEqualTo(1);
                assertThat(completed.get("endedTimestampMs").asLong())
                        .isGreaterThanOrEqualTo(completed.get("startedTimestampMs").asLong());
                JsonNode failed = summary.get("failed");
                assertThat(failed.get("state").get("status").asText()).isEqualTo("FAILED");
                assertThat(failed.get("state").get("message").asText()).isEqualTo("unreadable audio");
                assertThat(failed.get("request").get("files").get(0).get("filename").asText()).isEqualTo("call.wav");
                assertThat(summary.get("listCompleted")).extracting(JsonNode::asText).containsExactly(urlJob);
                assertThat(summary.get("listOldestFirst")).extracting(JsonNode::asText).containsExactly(urlJob, fileJob);
                assertThat(summary.get("predictions").get(0).get("results").get("predictions").get(0).get("file").asText())
                        .isEqualTo("faces/1.jpg");
                assertThat(summary.get("artifacts").get("magic").asText()).as("a ZIP").isEqualTo("PK");
                assertThat(summary.get("missing").get("statusCode").asInt()).isEqualTo(404);
                assertThat(summary.get("missing").get("body").get("message").asText()).isEqualTo("job not found");
                assertThat(summary.get("badKey").get("statusCode").asInt()).isEqualTo(401);
            } finally {
                node.destroyForcibly();
            }
        }
    }

    /** Claims both jobs as a worker: the URL job succeeds with a prediction and a file, the other fails. */
    private static void serve(TestServer spool, String workerKey, String urlJob, String fileJob) throws Exception {
        JsonNode jobs = JSON.readTree(spool.post("/v1/worker/claim", workerKey,
                "{\"worker_id\": \"sdk-test\", \"types\": [\"hume.batch\"], \"max\": 2, \"wait_seconds\": 5}").body()).get("jobs");
        Map<String, Integer> attempts = new HashMap<>();
        jobs.forEach(j -> attempts.put(j.get("id").asText(), j.get("attempt").asInt()));
        assertThat(attempts).containsOnlyKeys(urlJob, fileJob);

        var upload = spool.send(spool.request("/v1/worker/jobs/" + urlJob + "/artifacts/faces-1.json?attempt="
                + attempts.get(urlJob), workerKey).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"faces\": 1}")));
        assertThat(upload.statusCode()).isEqualTo(201);
        String predictions = """
                [{"source": {"type": "url", "url": "https://media.example/faces.zip"},
                  "results": {"predictions": [{"file": "faces/1.jpg", "models": {"face": {"grouped_predictions": []}}}],
                              "errors": []}}]""";
        assertThat(spool.post("/v1/worker/jobs/" + urlJob + "/complete", workerKey, "{\"attempt\": "
                + attempts.get(urlJob) + ", \"result\": {\"predictions\": " + predictions + "}}").statusCode()).isEqualTo(200);
        assertThat(spool.post("/v1/worker/jobs/" + fileJob + "/fail", workerKey, "{\"attempt\": " + attempts.get(fileJob)
                + ", \"error\": {\"code\": \"bad_media\", \"message\": \"unreadable audio\"}, \"retryable\": false}")
                .statusCode()).isEqualTo(200);
    }

    /** Installs the pinned SDK from the npm registry into target/ (npm ci: exactly the lock file). */
    private static void installSdk() throws Exception {
        Files.createDirectories(INSTALL);
        for (String file : List.of("package.json", "package-lock.json", "check.mjs")) {
            Files.copy(SOURCES.resolve(file), INSTALL.resolve(file), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund")
                .directory(INSTALL.toFile()).redirectErrorStream(true).start();
        String log = new String(npm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(npm.waitFor(180, TimeUnit.SECONDS)).as("npm ci finished").isTrue();
        assertThat(npm.exitValue()).as("npm ci: %s", log).isZero();
    }
}
