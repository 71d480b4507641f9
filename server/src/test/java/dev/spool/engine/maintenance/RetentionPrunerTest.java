package dev.spool.engine.maintenance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spool.artifact.JobFiles;
import dev.spool.artifact.LocalArtifactStore;
import dev.spool.job.Job;
import dev.spool.job.Transition;
import dev.spool.store.SqliteStore;
import dev.spool.testing.MutableClock;
import dev.spool.testing.TestJobs;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RetentionPrunerTest {
    @TempDir
    Path dir;

    private static long files(Path root) throws Exception {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).count();
        }
    }

    @Test
    void aFinishedJobIsDeletedAfterItsRetentionAndItsFileBytesAfterTheGrace() throws Exception {
        Instant t0 = Instant.now();
        MutableClock clock = new MutableClock(t0);
        Path blobs = dir.resolve("artifacts");
        try (SqliteStore store = SqliteStore.open(dir.resolve("spool.db"), 8, 1)) {
            JobFiles files = new JobFiles(store.files(), new LocalArtifactStore(blobs), clock,
                    new JobFiles.Settings(1 << 20, 10, 1 << 20, Duration.ofHours(1), "k"));
            Job job = new TestJobs(store).running("echo", t0);
            files.upload(job.id(), 1, "out.txt", "text/plain", new ByteArrayInputStream("bytes".getBytes()));
            store.jobFinish(job.id(), 1, false, Transition.succeed(TestJobs.json("{}"), 0), t0);
            // Jobs are pruned by the engine's duty, the bytes they leave by the artifact package's.
            var jobs = new RetentionPruner(store, Map.of("echo", Duration.ofHours(1)), Duration.ofDays(30), 100);
            var bytes = Duty.of("orphan-sweeper", now -> files.deleteOrphans(now, Duration.ofHours(1), 100));
            Duty pruner = Duty.of("both", now -> jobs.runOnce(now) + bytes.runOnce(now));
            assertThat(files(blobs)).isEqualTo(1);

            assertThat(pruner.runOnce(clock.advance(Duration.ofMinutes(59)))).isZero();
            assertThat(pruner.runOnce(clock.advance(Duration.ofMinutes(2)))).as("the job").isEqualTo(1);
            assertThat(store.jobGetAny(job.id())).isEmpty();
            assertThat(files(blobs)).as("bytes kept through the grace").isEqualTo(1);

            assertThat(pruner.runOnce(clock.advance(Duration.ofMinutes(61)))).as("the bytes").isEqualTo(1);
            assertThat(files(blobs)).isZero();
        }
    }
}
