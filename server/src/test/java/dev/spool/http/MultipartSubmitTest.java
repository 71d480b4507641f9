package dev.spool.http;

import static dev.spool.testing.TestJobs.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spool.client.ListQuery;
import dev.spool.client.SpoolClient;
import dev.spool.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Submits with files: a multipart body with a `job` part and file parts, streamed into input artifacts. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MultipartSubmitTest {
    private static final String BOUNDARY = "spool-test-boundary";

    @TempDir
    static Path dir;

    private TestServer spool;
    private String tenantKey;
    private String workerKey;
    private SpoolClient tenant;

    @BeforeAll
    void start() {
        spool = new TestServer(dir, Map.of("artifacts.max_per_job", "2"), "types:\n  transcribe: {executor: worker}\n");
        SpoolClient admin = spool.client(spool.adminKey);
        tenantKey = admin.createKey("t", "uploads", null).key();
        tenant = spool.client(tenantKey);
        workerKey = admin.createKey("w", null, "worker").key();
    }

    @AfterAll
    void stop() {
        spool.close();
    }

    /** A multipart body: {@code parts} alternate field names (a file part is "name|filename|type") and contents. */
    private static byte[] multipart(String... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < parts.length; i += 2) {
            String[] head = parts[i].split("\\|");
            StringBuilder h = new StringBuilder("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"" + head[0] + "\"");
            if (head.length > 1) {
                h.append("; filename=\"").append(head[1]).append("\"\r\nContent-Type: ").append(head[2]);
            }
            h.append("\r\n\r\n");
            out.writeBytes(h.toString().getBytes(StandardCharsets.UTF_8));
            out.writeBytes(parts[i + 1].getBytes(StandardCharsets.UTF_8));
            out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        out.writeBytes(("--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    private HttpResponse<byte[]> submit(byte[] body) {
        return spool.send(spool.request("/v1/jobs", tenantKey)
                .header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    private int stored() {
        return tenant.list(ListQuery.builder().limit(1000).build()).data().size();
    }

    @Test
    void filesSentWithASubmitBecomeItsInputsAndReachTheWorker() throws Exception {
        HttpResponse<byte[]> res = submit(multipart(
                "audio|talk.wav|audio/wav", "RIFF-fake-audio",
                "job", "{\"type\": \"transcribe\", \"input\": {\"language\": \"en\"}}"));
        assertThat(res.statusCode()).as(new String(res.body())).isEqualTo(201);
        String id = json(new String(res.body())).get("id").asText();

        JsonNode files = json(new String(spool.send(spool.request("/v1/jobs/" + id + "/artifacts", tenantKey).GET()).body())).get("data");
        assertThat(files).hasSize(1);
        assertThat(files.get(0).get("name").asText()).isEqualTo("talk.wav");
        assertThat(files.get(0).get("kind").asText()).isEqualTo("input");
        assertThat(files.get(0).get("content_type").asText()).isEqualTo("audio/wav");

        JsonNode claimed = json(new String(spool.post("/v1/worker/claim", workerKey, "{\"types\": [\"transcribe\"]}").body()))
                .get("jobs").get(0);
        JsonNode input = claimed.get("inputs").get(0);
        assertThat(input.get("name").asText()).isEqualTo("talk.wav");
        HttpResponse<byte[]> fetched = spool.send(spool.request(input.get("url").asText(), null).GET());
        assertThat(new String(fetched.body(), StandardCharsets.UTF_8)).isEqualTo("RIFF-fake-audio");
    }

    @Test
    void anUploadedImageComesBackAsAThumbnail() throws Exception {
        var image = new java.awt.image.BufferedImage(640, 480, java.awt.image.BufferedImage.TYPE_INT_RGB);
        var g = image.createGraphics();
        g.setColor(java.awt.Color.ORANGE);
        g.fillRect(0, 0, 640, 480);
        g.dispose();
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        javax.imageio.ImageIO.write(image, "png", png);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"job\"\r\n\r\n"
                + "{\"type\": \"image.thumbnail\", \"input\": {\"width\": 160, \"height\": 160}}\r\n"
                + "--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"photo.png\"\r\n"
                + "Content-Type: image/png\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.writeBytes(png.toByteArray());
        body.writeBytes(("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));

        HttpResponse<byte[]> res = submit(body.toByteArray());
        assertThat(res.statusCode()).as(new String(res.body())).isEqualTo(201);
        var done = tenant.waitFor(json(new String(res.body())).get("id").asText(), java.time.Duration.ofSeconds(20), j -> {});
        assertThat(done.status()).isEqualTo("succeeded");
        assertThat(done.result().get("width").asInt()).isEqualTo(160);
        assertThat(done.result().get("height").asInt()).isEqualTo(120);

        HttpResponse<byte[]> thumb = spool.send(spool.request("/v1/jobs/" + done.id() + "/artifacts/thumbnail.png", tenantKey).GET());
        assertThat(thumb.headers().firstValue("content-type")).contains("image/png");
        var read = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(thumb.body()));
        assertThat(read.getWidth()).isEqualTo(160);
        assertThat(read.getHeight()).isEqualTo(120);
        assertThat(new java.awt.Color(read.getRGB(80, 60))).isEqualTo(java.awt.Color.ORANGE);
    }

    @Test
    void aThumbnailOfSomethingThatIsNotAnImageFailsClearly() {
        HttpResponse<byte[]> res = submit(multipart("job", "{\"type\": \"image.thumbnail\", \"input\": {}}",
                "f|notes.txt|text/plain", "not an image"));
        var failed = tenant.waitFor(json(new String(res.body())).get("id").asText(), java.time.Duration.ofSeconds(20), j -> {});
        assertThat(failed.status()).isEqualTo("failed");
        assertThat(failed.error().code()).isEqualTo("not_an_image");
        assertThat(failed.attempt()).as("not retried").isEqualTo(1);
    }

    @Test
    void aRefusedMultipartSubmitStoresNoJob() {
        int before = stored();
        assertThat(submit(multipart("a|a.txt|text/plain", "x")).statusCode()).as("no job part").isEqualTo(400);
        assertThat(submit(multipart("job", "{\"type\": \"nope\", \"input\": {}}", "a|a.txt|text/plain", "x")).statusCode())
                .isEqualTo(422);
        assertThat(submit(multipart("job", "{\"type\": \"transcribe\", \"input\": {}}",
                "a|a.txt|text/plain", "1", "b|b.txt|text/plain", "2", "c|c.txt|text/plain", "3")).statusCode())
                .as("more files than a job may have").isEqualTo(413);
        assertThat(submit(multipart("job", "{\"type\": \"transcribe\", \"input\": {}}", "a|../x.txt|text/plain", "1")).statusCode())
                .as("a path for a name").isEqualTo(400);
        assertThat(submit(multipart("job", "{\"type\": \"transcribe\", \"input\": {}}", "x", "stray field")).statusCode())
                .isEqualTo(400);
        assertThat(stored()).isEqualTo(before);
    }
}
