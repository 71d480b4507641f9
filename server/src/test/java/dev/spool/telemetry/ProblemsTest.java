package dev.spool.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spool.testing.TestServer;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /v1/admin/problems} names what needs a human: a type failing far more than before, jobs losing their leases again and again. */
class ProblemsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void aJumpInATypesFailuresAndJobsRescuedAgainAndAgainAreReportedOnlyToAdmins() throws Exception {
        try (TestServer spool = new TestServer(dir.resolve("data"), Map.of("jobs.lease_seconds", "1",
                "jobs.backoff_base_seconds", "0.05", "jobs.backoff_max_seconds", "1"), """
                types:
                  work: {executor: worker, max_attempts: 1}
                  lost: {executor: worker, max_attempts: 5}
                """)) {
            var admin = spool.client(spool.adminKey);
            String key = admin.createKey("t", "tenant-p", null).key();
            String workerKey = admin.createKey("w", "tenant-p", "worker").key();
            assertThat(problems(spool, spool.adminKey)).isEmpty();
            assertThat(spool.send(spool.request("/v1/admin/problems", key).GET()).statusCode()).isEqualTo(403);

            // Twelve attempts of 'work' fail where none failed before.
            for (int i = 0; i < 12; i++) {
                spool.post("/v1/jobs", key, "{\"type\": \"work\", \"input\": {}}");
            }
            JsonNode jobs = json(spool.post("/v1/worker/claim", workerKey, "{\"types\": [\"work\"], \"max\": 12}")).get("jobs");
            assertThat(jobs).hasSize(12);
            for (JsonNode j : jobs) {
                spool.post("/v1/worker/jobs/" + j.get("id").asText() + "/fail", workerKey,
                        "{\"attempt\": 1, \"error\": {\"code\": \"boom\", \"message\": \"no\"}}");
            }
            // A 'lost' job whose worker claims it and then never heartbeats: rescued, claimed, rescued.
            String lost = json(spool.post("/v1/jobs", key, "{\"type\": \"lost\", \"input\": {}}")).get("id").asText();
            for (int attempt = 1; attempt <= 2; attempt++) {
                int expected = attempt;
                JsonNode claimed = await().atMost(Duration.ofSeconds(10)).until(() -> json(spool.post("/v1/worker/claim", workerKey,
                        "{\"types\": [\"lost\"], \"max\": 1}")).get("jobs"), c -> c.size() == 1);
                assertThat(claimed.get(0).get("attempt").asInt()).isEqualTo(expected);
                await().atMost(Duration.ofSeconds(10)).until(() -> json(spool.send(spool.request("/v1/jobs/" + lost, key).GET()))
                        .get("status").asText().equals("queued"));
            }

            JsonNode found = problems(spool, spool.adminKey);
            JsonNode failing = find(found, "failure_rate_jumped");
            assertThat(failing.get("subject").asText()).isEqualTo("work");
            assertThat(failing.get("count").asInt()).isEqualTo(12);
            assertThat(failing.get("since").asText()).isNotEmpty();
            JsonNode rescued = find(found, "leases_rescued_repeatedly");
            assertThat(rescued.get("subject").asText()).isEqualTo("lost");
            assertThat(rescued.get("count").asInt()).isEqualTo(1);
            assertThat(found.toString()).doesNotContain("clock_off"); // the node and SQLite share a clock
        }
    }

    private static JsonNode find(JsonNode problems, String kind) {
        for (JsonNode p : problems) {
            if (p.get("kind").asText().equals(kind)) {
                return p;
            }
        }
        throw new AssertionError("no " + kind + " in " + problems);
    }

    private static JsonNode problems(TestServer spool, String key) throws Exception {
        HttpResponse<byte[]> res = spool.send(spool.request("/v1/admin/problems", key).GET());
        assertThat(res.statusCode()).isEqualTo(200);
        return json(res).get("problems");
    }

    private static JsonNode json(HttpResponse<byte[]> res) throws java.io.IOException {
        return JSON.readTree(new String(res.body(), StandardCharsets.UTF_8));
    }
}
