package dev.spool.store;

import static dev.spool.testing.TestJobs.TENANT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spool.auth.ApiKey;
import dev.spool.job.Job;
import dev.spool.job.JobEvent;
import dev.spool.job.JobId;
import dev.spool.testing.Postgres;
import dev.spool.testing.TestJobs;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataCopyTest {
    private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

    @TempDir
    Path dir;

    @Test
    void anEmbeddedInstallationIsCopiedWholeIntoPostgres() {
        Path file = dir.resolve("spool.db");
        List<Job> jobs;
        String batchId = JobId.generate().value();
        try (SqliteStore sqlite = SqliteStore.open(file, 8, 1)) {
            TestJobs t = new TestJobs(sqlite);
            jobs = List.of(t.queued("echo", T0), t.running("sleep", T0), t.succeeded("text.stats", T0), t.failed("echo", T0),
                    sqlite.jobInsert(TestJobs.withIdempotency(TestJobs.newJob("echo"), "k-1", "h"), T0, Duration.ofDays(1)).job(),
                    sqlite.jobInsertBatch(batchId, TENANT, List.of(TestJobs.newJob("echo")), T0, null).jobs().getFirst());
            sqlite.keys().keyInsert(new ApiKey("key_1", TENANT, "ci", ApiKey.Role.ADMIN, "abcdefghijkl", new byte[] {7, 8}, T0, null));
        }
        PostgresStore.Settings target = new PostgresStore.Settings(Postgres.newDatabase(), "public", 2, 30_000, 16);

        var copied = DataCopy.sqliteToPostgres(file, target);
        assertThat(copied).containsEntry("jobs", 6L).containsEntry("api_keys", 1L).containsEntry("batches", 1L)
                .containsEntry("idempotency_keys", 1L);

        try (PostgresStore pg = PostgresStore.open(target)) {
            for (Job job : jobs) {
                assertThat(pg.jobGet(TENANT, job.id())).as("job %s, field for field", job.status()).contains(job);
                assertThat(pg.jobEvents(TENANT, job.id())).isNotEmpty();
            }
            assertThat(pg.jobGet(TENANT, jobs.get(2).id()).orElseThrow().result()).isEqualTo(TestJobs.json("{\"ok\": true}"));
            assertThat(pg.batchGet(TENANT, batchId).orElseThrow().members()).hasSize(1);
            ApiKey key = pg.keys().keyByPrefix("abcdefghijkl").orElseThrow();
            assertThat(key.hash()).containsExactly(7, 8);
            assertThat(key.role()).isEqualTo(ApiKey.Role.ADMIN);

            // The same idempotency key still finds its job, and new history continues after the copied.
            assertThat(pg.jobInsert(TestJobs.withIdempotency(TestJobs.newJob("echo"), "k-1", "h"), T0.plusSeconds(1),
                    Duration.ofDays(1)).created()).isFalse();
            List<JobEvent> before = pg.jobEvents(TENANT, jobs.getFirst().id());
            pg.jobCancel(TENANT, jobs.getFirst().id(), T0.plusSeconds(2));
            List<JobEvent> after = pg.jobEvents(TENANT, jobs.getFirst().id());
            assertThat(after).hasSize(before.size() + 1);
            assertThat(after.getLast().seq()).isGreaterThan(before.getLast().seq());
        }

        assertThatThrownBy(() -> DataCopy.sqliteToPostgres(file, target))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("empty database only");
    }
}
