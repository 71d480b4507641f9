package dev.spool.http;

import static dev.spool.testing.TestJobs.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spool.client.ListQuery;
import dev.spool.client.SpoolClient;
import dev.spool.client.SubmitRequest;
import dev.spool.testing.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** By default a node sizes its runners by type: the types that wait run many at once, the ones that compute one a core. */
class RunnerSlotsTest {
    @TempDir
    Path dir;

    private static int running(SpoolClient tenant, String type) {
        return tenant.list(ListQuery.builder().type(type).status("running").build()).data().size();
    }

    @Test
    void typesThatWaitRunManyAtOnceWhileTypesThatComputeTakeTheirOwnFewSlots() {
        try (TestServer spool = new TestServer(dir, Map.of("runner.cpu_slots", "1"), """
                types:
                  crunch:
                    executor: command
                    command: [sleep, "2"]
                """)) {
            SpoolClient tenant = spool.client(spool.client(spool.adminKey).createKey("t", "slots", null).key());
            for (int i = 0; i < 3; i++) {
                tenant.submit(SubmitRequest.of("crunch", json("{}")));
            }
            for (int i = 0; i < 40; i++) {
                tenant.submit(SubmitRequest.of("sleep", json("{\"seconds\": 4}")));
            }
            // All forty sleepers at once (more than a whole default pool of 2 × cores used to hold)...
            await().atMost(Duration.ofSeconds(20)).until(() -> running(tenant, "sleep") == 40);
            // ...while the command type, in its pool of one, runs one at a time beside them (three
            // 2-second jobs: some still wait while the 4-second sleepers all run).
            assertThat(running(tenant, "crunch")).isLessThanOrEqualTo(1);
            assertThat(tenant.list(ListQuery.builder().type("crunch").status("queued").build()).data()).isNotEmpty();
        }
    }

    @Test
    void oneSlotCountPutsEveryTypeInOnePool() {
        try (TestServer spool = new TestServer(dir, Map.of("runner.slots", "3"))) {
            SpoolClient tenant = spool.client(spool.client(spool.adminKey).createKey("t", "slots", null).key());
            for (int i = 0; i < 10; i++) {
                tenant.submit(SubmitRequest.of("sleep", json("{\"seconds\": 4}")));
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> running(tenant, "sleep") == 3);
            assertThat(tenant.list(ListQuery.builder().type("sleep").status("queued").build()).data()).hasSize(7);
        }
    }
}
