package dev.spool.http;

import static dev.spool.testing.TestJobs.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.spool.client.ListQuery;
import dev.spool.client.SpoolClient;
import dev.spool.testing.TestServer;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Sources in the submit body: text stored as given, URLs fetched by the server, and never from inside. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SourcesTest {
    @TempDir
    static Path dir;

    private HttpServer origin;
    private final AtomicInteger originHits = new AtomicInteger();
    private TestServer spool;
    private String tenantKey;
    private SpoolClient tenant;
    private int port;

    @BeforeAll
    void start() throws Exception {
        origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        origin.createContext("/audio/talk.wav", ex -> {
            originHits.incrementAndGet();
            byte[] body = "RIFF-from-origin".getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "audio/wav");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        origin.createContext("/moved", ex -> {
            originHits.incrementAndGet();
            ex.getResponseHeaders().add("Location", "http://169.254.169.254/latest/meta-data/");
            ex.sendResponseHeaders(302, -1);
            ex.close();
        });
        origin.start();
        port = origin.getAddress().getPort();
        Path config = Files.createDirectories(dir);
        spool = new TestServer(config, Map.of(), "sources:\n  allow_hosts: [localhost]\ntypes:\n  transcribe: {executor: worker}\n");
        SpoolClient admin = spool.client(spool.adminKey);
        tenantKey = admin.createKey("t", "sources", null).key();
        tenant = spool.client(tenantKey);
    }

    @AfterAll
    void stop() {
        spool.close();
        origin.stop(0);
    }

    private HttpResponse<byte[]> submit(String sources) {
        return spool.post("/v1/jobs", tenantKey, "{\"type\": \"transcribe\", \"input\": {}, \"sources\": " + sources + "}");
    }

    private com.fasterxml.jackson.databind.JsonNode files(String id) {
        return json(new String(spool.send(spool.request("/v1/jobs/" + id + "/artifacts", tenantKey).GET()).body())).get("data");
    }

    @Test
    void textAndAllowedUrlSourcesBecomeInputFiles() {
        HttpResponse<byte[]> res = submit("[{\"kind\": \"text\", \"text\": \"hello\", \"name\": \"greeting.txt\"},"
                + " {\"kind\": \"url\", \"url\": \"http://localhost:" + port + "/audio/talk.wav\"}]");
        assertThat(res.statusCode()).as(new String(res.body())).isEqualTo(201);
        String id = json(new String(res.body())).get("id").asText();

        var data = files(id);
        assertThat(data).extracting(f -> f.get("name").asText()).containsExactly("greeting.txt", "talk.wav");
        assertThat(data.get(1).get("content_type").asText()).isEqualTo("audio/wav");
        var wav = spool.send(spool.request("/v1/jobs/" + id + "/artifacts/talk.wav", tenantKey).GET());
        assertThat(new String(wav.body(), StandardCharsets.UTF_8)).isEqualTo("RIFF-from-origin");
    }

    @Test
    void urlsThatLeadInsideAreRefusedBeforeAnyConnectionAndNothingIsStored() {
        int before = tenant.list(ListQuery.builder().limit(1000).build()).data().size();
        int hits = originHits.get();
        for (String url : new String[] {
                "http://127.0.0.1:" + port + "/audio/talk.wav",   // loopback, not allow-listed by this name
                "http://[::1]:" + port + "/audio/talk.wav",
                "http://169.254.169.254/latest/meta-data/",       // cloud metadata (link-local)
                "http://10.1.2.3/file",                            // private
                "http://192.168.1.1/file",
                "http://100.64.0.1/file",                          // CGNAT
                "http://0.0.0.0:" + port + "/audio/talk.wav",
                "http://[::ffff:127.0.0.1]:" + port + "/audio/talk.wav",
                "ftp://example.com/file"}) {
            HttpResponse<byte[]> res = submit("[{\"kind\": \"url\", \"url\": \"" + url + "\"}]");
            assertThat(res.statusCode()).as(url).isEqualTo(422);
            assertThat(json(new String(res.body())).get("detail").asText()).as(url).contains("will not fetch");
        }
        assertThat(originHits.get()).as("no connection was made to a refused address").isEqualTo(hits);

        HttpResponse<byte[]> redirected = submit("[{\"kind\": \"url\", \"url\": \"http://localhost:" + port + "/moved\"}]");
        assertThat(redirected.statusCode()).isEqualTo(422);
        assertThat(json(new String(redirected.body())).get("detail").asText()).contains("redirects are not followed");
        assertThat(tenant.list(ListQuery.builder().limit(1000).build()).data()).hasSize(before);
    }

    @Test
    void badSourcesAreClearProblems() {
        assertThat(submit("[{\"kind\": \"file\"}]").statusCode()).isEqualTo(400);
        HttpResponse<byte[]> nothing = submit("[null]");
        assertThat(nothing.statusCode()).isEqualTo(400);
        assertThat(json(new String(nothing.body())).get("detail").asText()).contains("sources[0].kind is required");
        // A refused type is refused before any source is fetched: nothing reaches the origin.
        int hits = originHits.get();
        HttpResponse<byte[]> unknown = spool.post("/v1/jobs", tenantKey, "{\"type\": \"no-such-type\", \"input\": {}, "
                + "\"sources\": [{\"kind\": \"url\", \"url\": \"http://localhost:" + port + "/audio/talk.wav\"}]}");
        assertThat(unknown.statusCode()).isEqualTo(422);
        assertThat(originHits.get()).isEqualTo(hits);
        assertThat(submit("[{\"kind\": \"text\"}]").statusCode()).isEqualTo(400);
        assertThat(submit("[{\"kind\": \"text\", \"text\": \"x\", \"name\": \"../up.txt\"}]").statusCode()).isEqualTo(400);
        assertThat(submit("[{\"kind\": \"url\", \"url\": \"http://localhost:" + port + "/missing\"}]").statusCode()).isEqualTo(422);
    }
}
