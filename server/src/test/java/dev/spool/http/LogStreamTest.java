package dev.spool.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spool.testing.TestServer;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** A job's log as a server-sent event stream: what was written, then each new line, until the job ends. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LogStreamTest {
    @TempDir
    static Path dir;

    private TestServer spool;

    @BeforeAll
    void start() {
        spool = new TestServer(dir, Map.of(), "types:\n  render: {executor: worker}\n");
    }

    @AfterAll
    void stop() {
        spool.close();
    }

    @Test
    void aJobsLogStreamsLiveAndEndsWithTheJob() throws Exception {
        var admin = spool.client(spool.adminKey);
        String tenant = admin.createKey("t", "logs", null).key();
        String worker = admin.createKey("w", null, "worker").key();
        String id = spool.call("POST", "/v1/jobs", tenant, "{\"type\": \"render\", \"input\": {}}", 201).get("id").asText();
        JsonNode claimed = spool.call("POST", "/v1/worker/claim", worker, "{\"types\": [\"render\"], \"max\": 1}", 200);
        int attempt = claimed.get("jobs").get(0).get("attempt").asInt();
        spool.call("POST", "/v1/worker/jobs/" + id + "/logs", worker, "{\"attempt\": " + attempt + ", \"lines\": [\"one\"]}", 204);

        HttpResponse<Stream<String>> stream = HttpClient.newHttpClient().send(HttpRequest.newBuilder(spool.uri().resolve("/v1/jobs/" + id + "/logs"))
                .header("Authorization", "Bearer " + tenant).header("Accept", "text/event-stream").timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofLines());
        assertThat(stream.statusCode()).isEqualTo(200);
        assertThat(stream.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
        Iterator<String> lines = stream.body().iterator();
        List<String> data = new ArrayList<>();
        data.add(next(lines, "data: "));
        // Written while the stream is open: it comes through live.
        spool.call("POST", "/v1/worker/jobs/" + id + "/logs", worker, "{\"attempt\": " + attempt + ", \"lines\": [\"two\"]}", 204);
        data.add(next(lines, "data: "));
        spool.call("POST", "/v1/worker/jobs/" + id + "/complete", worker, "{\"attempt\": " + attempt + ", \"result\": {}}", 200);
        String end = next(lines, "event: ");
        assertThat(data).satisfiesExactly(d -> assertThat(d).contains("\"line\":\"one\""), d -> assertThat(d).contains("\"line\":\"two\""));
        assertThat(end).isEqualTo("event: end");

        String other = admin.createKey("o", "elsewhere", null).key();
        assertThat(spool.send(spool.request("/v1/jobs/" + id + "/logs", other).header("Accept", "text/event-stream").GET()).statusCode())
                .isEqualTo(404);
    }

    /** The next line that starts with {@code prefix}, skipping the "log" event lines in between. */
    private static String next(Iterator<String> lines, String prefix) {
        while (lines.hasNext()) {
            String line = lines.next();
            if (line.startsWith(prefix) && !line.equals("event: log")) {
                return line;
            }
        }
        throw new AssertionError("the stream ended before a line starting with " + prefix);
    }
}
