package dev.spool.http;

import static dev.spool.testing.TestJobs.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spool.client.SpoolClient;
import dev.spool.client.SubmitRequest;
import dev.spool.testing.RawHttp;
import dev.spool.testing.TestServer;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Output files end to end: streamed uploads fenced by attempt, listing, ranged and zipped downloads,
 * signed links. Runs on the local folder; {@link S3ArtifactTest} runs it again on S3.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ArtifactTest {
    private static final String SIGNING_KEY = "test-signing-key";

    @TempDir
    static Path dir;

    private TestServer spool;
    private SpoolClient tenant;
    private String tenantKey;
    private String workerKey;
    private final byte[] picture = new byte[3 * 1024 * 1024 + 17]; // over the 1 MiB JSON limit on purpose

    /** Settings of the artifact backend under test: the local folder here; subclasses pick another. */
    protected Map<String, String> backend() {
        return Map.of();
    }

    @BeforeAll
    void start() {
        new Random(7).nextBytes(picture);
        Map<String, String> settings = new HashMap<>(Map.of("artifacts.signing_key", SIGNING_KEY, "artifacts.max_per_job", "3",
                "artifacts.max_upload_bytes", Integer.toString(4 * 1024 * 1024)));
        settings.putAll(backend());
        spool = new TestServer(dir, settings, "types:\n  render: {executor: worker}\n");
        SpoolClient admin = spool.client(spool.adminKey);
        tenantKey = admin.createKey("t", "files", null).key();
        tenant = spool.client(tenantKey);
        workerKey = admin.createKey("w", null, "worker").key();
    }

    @AfterAll
    void stop() {
        spool.close();
    }

    private JsonNode body(HttpResponse<byte[]> res) {
        return json(new String(res.body(), StandardCharsets.UTF_8));
    }

    private HttpResponse<byte[]> put(String id, int attempt, String name, String type, byte[] bytes) {
        return spool.send(spool.request("/v1/worker/jobs/" + id + "/artifacts/" + name + "?attempt=" + attempt, workerKey)
                .header("Content-Type", type)
                .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes))));
    }

    /** A job claimed by the test as its worker; returns its id. */
    private String claimed() {
        String id = tenant.submit(SubmitRequest.of("render", json("{}"))).id();
        JsonNode jobs = body(spool.post("/v1/worker/claim", workerKey, "{\"types\": [\"render\"], \"max\": 1}")).get("jobs");
        assertThat(jobs.get(0).get("id").asText()).isEqualTo(id);
        return id;
    }

    @Test
    void aMultipartSubmitPastTheLargestBodyIsRefusedAsItPassesItAndStoresNothing() {
        // Each file is within max_upload_bytes (4 MiB); the two together are not within the body limit.
        String boundary = "spool-test-boundary";
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"job\"\r\n\r\n"
                + "{\"type\": \"render\", \"input\": {}}\r\n").getBytes(StandardCharsets.UTF_8));
        for (String name : List.of("a.bin", "b.bin")) {
            body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\"" + name
                    + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            body.writeBytes(new byte[3 * 1024 * 1024]);
            body.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        body.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        int before = body(spool.send(spool.request("/v1/jobs?limit=1000", tenantKey).GET())).get("data").size();
        RawHttp.Answer answer = new RawHttp(spool.server.port()).sendChunked("POST", "/v1/jobs",
                List.<String[]>of(new String[] {"Authorization", "Bearer " + tenantKey},
                        new String[] {"Content-Type", "multipart/form-data; boundary=" + boundary}),
                body.toByteArray(), 64 * 1024);
        assertThat(answer.status()).isEqualTo(413);
        assertThat(json(answer.text()).get("code").asText()).isEqualTo("payload_too_large");
        assertThat(body(spool.send(spool.request("/v1/jobs?limit=1000", tenantKey).GET())).get("data")).hasSize(before);
    }

    @Test
    void aWorkersFilesAreListedDownloadedWholeOrInRangesAndZipped() throws Exception {
        String id = claimed();
        HttpResponse<byte[]> up = put(id, 1, "frame%201.png", "image/png", picture);
        assertThat(up.statusCode()).isEqualTo(201);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(picture));
        assertThat(body(up).get("sha256").asText()).isEqualTo(sha);
        assertThat(put(id, 1, "notes.txt", "text/plain", "two lines\nof notes\n".getBytes(StandardCharsets.UTF_8)).statusCode()).isEqualTo(201);
        spool.post("/v1/worker/jobs/" + id + "/complete", workerKey, "{\"attempt\": 1, \"result\": {\"frames\": 1}}");

        JsonNode files = body(spool.send(spool.request("/v1/jobs/" + id + "/artifacts", tenantKey).GET())).get("data");
        assertThat(files).extracting(f -> f.get("name").asText()).containsExactly("frame 1.png", "notes.txt");
        assertThat(files.get(0).get("size").asLong()).isEqualTo(picture.length);

        HttpResponse<byte[]> whole = spool.send(spool.request("/v1/jobs/" + id + "/artifacts/frame%201.png", tenantKey).GET());
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(whole.headers().firstValue("content-type")).contains("image/png");
        assertThat(MessageDigest.getInstance("SHA-256").digest(whole.body())).isEqualTo(MessageDigest.getInstance("SHA-256").digest(picture));

        HttpResponse<byte[]> part = spool.send(spool.request("/v1/jobs/" + id + "/artifacts/frame%201.png", tenantKey)
                .header("Range", "bytes=1000-1999").GET());
        assertThat(part.statusCode()).isEqualTo(206);
        assertThat(part.headers().firstValue("content-range")).contains("bytes 1000-1999/" + picture.length);
        assertThat(part.body()).isEqualTo(Arrays.copyOfRange(picture, 1000, 2000));
        HttpResponse<byte[]> tail = spool.send(spool.request("/v1/jobs/" + id + "/artifacts/notes.txt", tenantKey)
                .header("Range", "bytes=-6").GET());
        assertThat(new String(tail.body(), StandardCharsets.UTF_8)).isEqualTo("notes\n");
        assertThat(spool.send(spool.request("/v1/jobs/" + id + "/artifacts/notes.txt", tenantKey)
                .header("Range", "bytes=999999-").GET()).statusCode()).isEqualTo(416);

        HttpResponse<byte[]> zip = spool.send(spool.request("/v1/jobs/" + id + "/artifacts.zip", tenantKey).GET());
        Map<String, byte[]> entries = new HashMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip.body()))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                entries.put(e.getName(), in.readAllBytes());
            }
        }
        assertThat(entries.keySet()).containsExactlyInAnyOrder("frame 1.png", "notes.txt");
        assertThat(entries.get("frame 1.png")).isEqualTo(picture);

        JsonNode result = body(spool.send(spool.request("/v1/jobs/" + id + "/result", tenantKey).GET()));
        assertThat(result.get("frames").asInt()).isEqualTo(1);
    }

    @Test
    void aSignedLinkDownloadsWithoutAKeyUntilItExpiresAndRefusesAnyChange() throws Exception {
        String id = claimed();
        put(id, 1, "out.txt", "text/plain", "signed content".getBytes(StandardCharsets.UTF_8));
        String url = body(spool.send(spool.request("/v1/jobs/" + id + "/artifacts", tenantKey).GET())).get("data").get(0).get("url").asText();

        HttpResponse<byte[]> open = spool.send(spool.request(url, null).GET());
        assertThat(open.statusCode()).isEqualTo(200);
        assertThat(new String(open.body(), StandardCharsets.UTF_8)).isEqualTo("signed content");

        String tampered = url.replaceFirst("expires=(\\d+)", "expires=9999999999");
        assertThat(spool.send(spool.request(tampered, null).GET()).statusCode()).isEqualTo(403);
        assertThat(spool.send(spool.request(url.replace("out.txt", "other.txt"), null).GET()).statusCode()).isEqualTo(403);
        assertThat(spool.send(spool.request(url.substring(0, url.indexOf("&sig=")), null).GET()).statusCode()).isEqualTo(403);

        // A link signed correctly (HMAC-SHA256 written here from the documented scheme) but expired.
        long past = Instant.now().minusSeconds(60).getEpochSecond();
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SIGNING_KEY.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String sig = Base64.getUrlEncoder().withoutPadding()
                .encodeToString(mac.doFinal((id + "\nout.txt\n" + past).getBytes(StandardCharsets.UTF_8)));
        HttpResponse<byte[]> expired = spool.send(spool.request("/v1/files/" + id + "/out.txt?expires=" + past + "&sig=" + sig, null).GET());
        assertThat(expired.statusCode()).isEqualTo(403);
        assertThat(body(expired).get("detail").asText()).contains("expired");
        long future = Instant.now().plusSeconds(60).getEpochSecond();
        String good = Base64.getUrlEncoder().withoutPadding()
                .encodeToString(mac.doFinal((id + "\nout.txt\n" + future).getBytes(StandardCharsets.UTF_8)));
        assertThat(spool.send(spool.request("/v1/files/" + id + "/out.txt?expires=" + future + "&sig=" + good, null).GET())
                .statusCode()).as("the same scheme, not yet expired").isEqualTo(200);
    }

    @Test
    void uploadsAreFencedNamedSafelyAndLimitedPerJob() {
        String id = claimed();
        assertThat(put(id, 2, "a.txt", "text/plain", new byte[1]).statusCode()).as("a stale attempt").isEqualTo(409);
        // Helidon decodes %2F before routing, so this never reaches a route that stores anything.
        assertThat(put(id, 1, "..%2Fetc%2Fpasswd", "text/plain", new byte[1]).statusCode()).isIn(400, 404);
        assertThat(put(id, 1, "..", "text/plain", new byte[1]).statusCode()).isIn(400, 404);
        assertThat(put(id, 1, "bell%07.txt", "text/plain", new byte[1]).statusCode()).as("a control character").isEqualTo(400);
        assertThat(put(id, 1, ".hidden", "text/plain", new byte[1]).statusCode()).isEqualTo(400);
        assertThat(body(spool.send(spool.request("/v1/jobs/" + id + "/artifacts", tenantKey).GET())).get("data")).isEmpty();
        for (int i = 0; i < 3; i++) {
            assertThat(put(id, 1, "f" + i + ".bin", "application/octet-stream", new byte[10]).statusCode()).isEqualTo(201);
        }
        assertThat(put(id, 1, "f3.bin", "application/octet-stream", new byte[10]).statusCode()).as("over max_per_job").isEqualTo(413);

        String other = claimed();
        byte[] huge = new byte[5 * 1024 * 1024];
        // Expect: 100-continue, as upload clients do: the client waits for the verdict before sending the
        // body, so it reliably reads the 413 instead of racing the server's close of the connection.
        HttpResponse<byte[]> declared = spool.send(spool.request("/v1/worker/jobs/" + other + "/artifacts/huge.bin?attempt=1", workerKey)
                .expectContinue(true).PUT(HttpRequest.BodyPublishers.ofByteArray(huge)));
        assertThat(declared.statusCode()).as("a declared length over the limit, refused before it is read").isEqualTo(413);
        assertThat(put(other, 1, "huge.bin", "application/octet-stream", huge).statusCode())
                .as("chunked, refused as it passes the limit").isEqualTo(413);
        // A client that sends all of a body three times the limit before it reads a byte still gets
        // the 413: the server reads on and drops the rest instead of resetting the connection on it.
        RawHttp.Answer whole = new RawHttp(spool.server.port()).sendChunked("PUT",
                "/v1/worker/jobs/" + other + "/artifacts/huge.bin?attempt=1",
                List.<String[]>of(new String[] {"Authorization", "Bearer " + workerKey}), new byte[12 * 1024 * 1024], 64 * 1024);
        assertThat(whole.status()).as("chunked, sent whole without waiting").isEqualTo(413);
        assertThat(json(whole.text()).get("code").asText()).isEqualTo("payload_too_large");
        assertThat(body(spool.send(spool.request("/v1/jobs/" + other + "/artifacts", tenantKey).GET())).get("data"))
                .as("nothing of the refused uploads kept").isEmpty();
        assertThat(spool.send(spool.request("/v1/jobs/" + id + "/result", tenantKey).GET()).statusCode())
                .as("no result while it runs").isEqualTo(409);
        String stranger = spool.client(spool.adminKey).createKey("s", "elsewhere", null).key();
        assertThat(spool.send(spool.request("/v1/jobs/" + id + "/artifacts", stranger).GET()).statusCode()).isEqualTo(404);
        assertThat(spool.send(spool.request("/v1/jobs/" + id + "/artifacts/f0.bin", stranger).GET()).statusCode()).isEqualTo(404);
    }
}
