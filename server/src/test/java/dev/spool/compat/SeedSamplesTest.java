package dev.spool.compat;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spool.testing.Receiver;
import dev.spool.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client samples printed in the seed pages (test resources {@code seed-samples/}, verbatim),
 * run by curl, Python {@code requests} and Node against a running Spool with only their host
 * rewritten and their placeholders filled in. They need curl, python3 with requests, and node on
 * the PATH; a missing one fails the test, it is never skipped.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SeedSamplesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> HOSTS = Map.of(
            "https://api.tryhamsa.com", "/compat/hamsa",
            "https://api.hume.ai", "/compat/hume",
            "https://hyperhuman.deemos.com", "/compat/rodin",
            "https://europe-west1-gepettoai.cloudfunctions.net", "/compat/gepetto");

    @TempDir
    static Path dir;

    private TestServer spool;
    private Receiver receiver;
    private String key;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void start() {
        receiver = new Receiver();
        spool = new TestServer(dir.resolve("data"), Map.of(), "webhooks:\n  allow_hosts: [127.0.0.1]\n");
        key = spool.client(spool.adminKey).createKey("samples", "samples", null).key();
    }

    @AfterAll
    void stop() {
        spool.close();
        receiver.close();
    }

    /** Runs a sample with its hosts pointed at Spool and {@code placeholders} filled; returns what it printed. */
    private Run run(String sample, Map<String, String> placeholders, String... command) throws Exception {
        String text;
        try (InputStream in = getClass().getResourceAsStream("/seed-samples/" + sample)) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        for (var host : HOSTS.entrySet()) {
            text = text.replace(host.getKey(), spool.uri() + host.getValue());
        }
        for (var p : placeholders.entrySet()) {
            text = text.replace(p.getKey(), p.getValue());
        }
        Path file = dir.resolve(sample);
        Files.writeString(file, text);
        List<String> cmd = new java.util.ArrayList<>(List.of(command));
        cmd.add(file.toString());
        Process process = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("%s finished", sample).isTrue();
        return new Run(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    record Run(int exit, String out, String err) {
        JsonNode json() throws IOException {
            return JSON.readTree(out.substring(out.indexOf('{')));
        }
    }

    private JsonNode post(String path, Map<String, String> headers, String body) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(spool.uri().resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(r::header);
        return JSON.readTree(http.send(r.build(), HttpResponse.BodyHandlers.ofString()).body());
    }

    @Test
    void hamsaCurlSample() throws Exception {
        // As printed, the sample leaves out the required jobId (and the 'Token' its own page asks for).
        Run asPrinted = run("hamsa.sh", Map.of("<api-key>", key), "bash");
        assertThat(asPrinted.json().get("success").asBoolean()).isFalse();
        assertThat(asPrinted.json().get("message").asText()).contains("jobId is required");

        String id = post("/compat/hamsa/v1/jobs/transcribe", Map.of("Authorization", "Token " + key),
                "{\"mediaUrl\": \"https://media.example/a.mp3\", \"model\": \"Hamsa-General-V2.0\"}").get("data").get("jobId").asText();
        Run withId = run("hamsa.sh", Map.of("<api-key>", key, "/v1/jobs \\", "/v1/jobs?jobId=" + id + " \\"), "bash");
        JsonNode data = withId.json().get("data");
        assertThat(data.get("id").asText()).isEqualTo(id);
        assertThat(data.get("status").asText()).isEqualTo("PENDING");
        assertThat(withId.json().has("previewUrl")).isTrue();
    }

    @Test
    void humeCurlSample() throws Exception {
        // The docs renderer's prompt ("$") and continuation ("> ") marks are stripped: copied, they are not a command.
        Run missing = run("hume.sh", Map.of("<apiKey>", key, "$curl", "curl", "\n> ", "\n"), "bash");
        assertThat(missing.json().get("message").asText()).isEqualTo("job not found");

        String id = post("/compat/hume/v0/batch/jobs", Map.of("X-Hume-Api-Key", key),
                "{\"urls\": [\"https://media.example/faces.zip\"]}").get("job_id").asText();
        Run found = run("hume.sh", Map.of("<apiKey>", key, "$curl", "curl", "\n> ", "\n", "job_id", id), "bash");
        assertThat(found.json().get("job_id").asText()).isEqualTo(id);
        assertThat(found.json().get("state").get("status").asText()).isEqualTo("QUEUED");
        assertThat(found.json().get("request").get("models").has("prosody")).as("all models run when none are named").isTrue();
    }

    @Test
    void rodinCurlAndPythonSamples() throws Exception {
        // The curl sample exports the key but never sends it: Spool answers 401, as Rodin would.
        Run curl = run("rodin.sh", Map.of("your api key", key), "bash");
        assertThat(curl.json().get("error").asText()).isEqualTo("INVALID_API_KEY");

        String boundary = "b";
        String form = "--b\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\na chair\r\n--b--\r\n";
        JsonNode task = JSON.readTree(http.send(HttpRequest.newBuilder(spool.uri().resolve("/compat/rodin/api/v2/rodin"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString()).body());
        String subscription = task.get("jobs").get("subscription_key").asText();
        Run python = run("rodin.py", Map.of("your api key", key, "your-subscription-key", subscription), "python3");
        assertThat(python.exit()).as(python.err()).isZero();
        // print(response.json()) prints a Python dict: {'jobs': [{'uuid': '…', 'status': 'Waiting'}]}
        assertThat(python.out()).startsWith("{'jobs': [{'uuid': '" + task.get("jobs").get("uuids").get(0).asText()
                + "', 'status': 'Waiting'}]}");
        assertThat(python.out()).doesNotContain("error");
    }

    @Test
    void gepettoCurlPythonAndJavaScriptSamples() throws Exception {
        JsonNode pending = post("/compat/gepetto/v1/furnish", Map.of("Authorization", "Bearer " + key),
                "{\"url\": \"https://img.example/room.jpg\", \"roomId\": \"living\", \"styleId\": \"modern\", \"webhook\": \""
                        + receiver.url("/gepetto") + "\"}");
        String id = pending.get("id").asText();
        Map<String, String> filled = Map.of("{{API_KEY}}", key, "{id}", id);

        Run curl = run("gepetto.sh", filled, "bash");
        assertThat(curl.json().get("status").asText()).isEqualTo("pending");
        assertThat(curl.json().get("mode").asText()).isEqualTo("furnish");

        Run python = run("gepetto.py", filled, "python3");
        assertThat(python.exit()).as(python.err()).isZero();
        assertThat(python.json().get("status").asText()).isEqualTo("pending");

        // As printed, the fetch sample reads 'reponse', a typo: it fails in Node whatever the server says.
        Run asPrinted = run("gepetto.mjs", filled, "node");
        assertThat(asPrinted.exit()).isNotZero();
        assertThat(asPrinted.err()).contains("ReferenceError: reponse is not defined");
        Map<String, String> fixed = new java.util.HashMap<>(filled);
        fixed.put("await reponse.json()", "await response.json()");
        Run js = run("gepetto.mjs", fixed, "node");
        assertThat(js.exit()).as(js.err()).isZero();
        assertThat(js.out()).contains("status: 'pending'").contains("mode: 'furnish'");
    }
}
