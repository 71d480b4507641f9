package dev.spool.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spool.auth.ApiKeys;
import dev.spool.client.SpoolClient;
import dev.spool.client.SubmitRequest;
import dev.spool.testing.Node;
import dev.spool.testing.TestJobs;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files are streamed: 500 MB go in and come back out through a server with a 256 MB heap, unchanged. */
class LargeFileTest {
    private static final long SIZE = 500L * 1024 * 1024;

    @TempDir
    Path dir;

    /** SIZE pseudo-random bytes, made as they are read: the test holds none of them either. */
    private static InputStream generated() {
        return new InputStream() {
            private final SplittableRandom random = new SplittableRandom(42);
            private long left = SIZE;

            @Override
            public int read() {
                return left-- > 0 ? random.nextInt(256) : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left <= 0) {
                    return -1;
                }
                int n = (int) Math.min(len, left);
                for (int i = 0; i < n; i++) {
                    b[off + i] = (byte) random.nextInt(256);
                }
                left -= n;
                return n;
            }
        };
    }

    @Test
    void aFileOf500MegabytesPassesThroughA256MegabyteHeapUnchanged() throws Exception {
        String key = ApiKeys.generateSecret();
        Path config = Files.writeString(dir.resolve("spool.yaml"), "types:\n  render: {executor: worker}\n");
        try (Node node = new Node(Map.of("config", config.toString(), "storage.data_dir", dir.resolve("data").toString(),
                "auth.admin_key", key))) {
            SpoolClient admin = node.client(key);
            String workerKey = admin.createKey("w", null, "worker").key();
            String id = admin.submit(SubmitRequest.of("render", TestJobs.json("{}"))).id();
            SpoolClient worker = node.client(workerKey);
            assertThat(worker.claim("big", "big", java.util.List.of("render"), 1, 0)).hasSize(1);
            URI base = node.uri();
            HttpClient http = HttpClient.newHttpClient();

            MessageDigest sent = MessageDigest.getInstance("SHA-256");
            long start = System.nanoTime();
            HttpResponse<String> up = http.send(HttpRequest.newBuilder(base.resolve("/v1/worker/jobs/" + id + "/artifacts/big.bin?attempt=1"))
                    .header("Authorization", "Bearer " + workerKey).header("Content-Type", "application/octet-stream")
                    .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new DigestInputStream(generated(), sent)))
                    .build(), HttpResponse.BodyHandlers.ofString());
            long upMs = (System.nanoTime() - start) / 1_000_000;
            assertThat(up.statusCode()).as(up.body()).isEqualTo(201);
            String sentSha = HexFormat.of().formatHex(sent.digest());
            JsonNode stored = SpoolClient.JSON.readTree(up.body());
            assertThat(stored.get("size").asLong()).isEqualTo(SIZE);
            assertThat(stored.get("sha256").asText()).isEqualTo(sentSha);

            MessageDigest received = MessageDigest.getInstance("SHA-256");
            start = System.nanoTime();
            HttpResponse<InputStream> down = http.send(HttpRequest.newBuilder(base.resolve("/v1/jobs/" + id + "/artifacts/big.bin"))
                    .header("Authorization", "Bearer " + key).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(down.statusCode()).isEqualTo(200);
            long bytes = 0;
            try (InputStream in = down.body()) {
                byte[] buffer = new byte[1 << 16];
                for (int n; (n = in.read(buffer)) > 0; ) {
                    received.update(buffer, 0, n);
                    bytes += n;
                }
            }
            long downMs = (System.nanoTime() - start) / 1_000_000;
            assertThat(bytes).isEqualTo(SIZE);
            assertThat(HexFormat.of().formatHex(received.digest())).isEqualTo(sentSha);
            System.out.printf("500 MB through a -Xmx256m server: upload %d ms (%.0f MB/s), download %d ms (%.0f MB/s)%n",
                    upMs, 500_000.0 / upMs, downMs, 500_000.0 / downMs);

            // The same size as a file sent with a submit (multipart/form-data), then read back.
            String boundary = "large-file-boundary";
            byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"job\"\r\n\r\n"
                    + "{\"type\": \"render\", \"input\": {}}\r\n--" + boundary
                    + "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"big-input.bin\"\r\n"
                    + "Content-Type: application/octet-stream\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            HttpResponse<String> submitted = http.send(HttpRequest.newBuilder(base.resolve("/v1/jobs"))
                    .header("Authorization", "Bearer " + key).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.SequenceInputStream(java.util.Collections.enumeration(
                            java.util.List.of(new java.io.ByteArrayInputStream(head), generated(), new java.io.ByteArrayInputStream(tail))))))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(201);
            String withInput = SpoolClient.JSON.readTree(submitted.body()).get("id").asText();
            MessageDigest again = MessageDigest.getInstance("SHA-256");
            HttpResponse<InputStream> input = http.send(HttpRequest.newBuilder(base.resolve("/v1/jobs/" + withInput + "/artifacts/big-input.bin"))
                    .header("Authorization", "Bearer " + key).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = input.body()) {
                byte[] buffer = new byte[1 << 16];
                for (int n; (n = in.read(buffer)) > 0; ) {
                    again.update(buffer, 0, n);
                }
            }
            assertThat(HexFormat.of().formatHex(again.digest())).as("the submitted file, read back").isEqualTo(sentSha);
        }
    }
}
