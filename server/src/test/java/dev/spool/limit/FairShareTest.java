package dev.spool.limit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spool.testing.Postgres;
import dev.spool.testing.TestServer;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fairness figure of the issue: tenant A submits 50,000 jobs, then tenant B submits one; a
 * worker claiming 16 at a time gets B's job in its first claim, on both databases. Printed: the
 * claims and A's jobs that went before it, and the time from B's submit to its start.
 */
class FairShareTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aSingleJobBehind50000OfAnotherTenantStartsInTheFirstClaim(String database) {
        Map<String, String> settings = database.equals("sqlite") ? Map.of("runner.slots", "0")
                : Map.of("runner.slots", "0", "storage.database", Postgres.newDatabase());
        try (TestServer spool = new TestServer(dir, settings, "types:\n  work: {executor: worker}\n")) {
            var admin = spool.client(spool.adminKey);
            String a = admin.createKey("a", "tenant-a", null).key();
            String b = admin.createKey("b", "tenant-b", null).key();
            String worker = admin.createKey("w", "ops", "worker").key();
            String batch = "{\"jobs\": [" + String.join(",", Collections.nCopies(1000, "{\"type\": \"work\", \"input\": {}}")) + "]}";
            for (int i = 0; i < 50; i++) {
                spool.call("POST", "/v1/batches", a, batch, 201);
            }
            long submitted = System.nanoTime();
            String single = spool.call("POST", "/v1/jobs", b, "{\"type\": \"work\", \"input\": {}}", 201).get("id").asText();

            int claims = 0;
            int before = 0;
            boolean found = false;
            while (!found && claims < 100) {
                JsonNode claimed = spool.call("POST", "/v1/worker/claim", worker, "{\"types\": [\"work\"], \"max\": 16}", 200);
                claims++;
                for (JsonNode job : claimed.get("jobs")) {
                    if (job.get("id").asText().equals(single)) {
                        found = true;
                    } else if (!found) {
                        before++;
                    }
                }
            }
            double ms = (System.nanoTime() - submitted) / 1e6;
            System.out.printf("fair share (%s): tenant B's 1 job behind tenant A's 50,000 claimed in claim %d (16 a claim), "
                    + "%d of A's jobs in those claims, %.0f ms from its submit to its start%n", database, claims, before, ms);
            assertThat(found).isTrue();
            assertThat(claims).as("claims until B's job started").isEqualTo(1);
        }
    }
}
