package dev.spool.store;

import static dev.spool.testing.TestJobs.TENANT;
import static dev.spool.testing.TestJobs.newJob;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spool.job.Job;
import dev.spool.job.Transition;
import dev.spool.testing.TestJobs;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What every database's {@link WorkerStore} must do. */
public abstract class WorkerStoreContract extends StorageContract {
    // ---------------------------------------------------------------- workers and logs

    @Test
    void workersAreListedWithTheJobsTheyHold() {
        storage.workers().workerSeen("host-1:42", "gpu box", "key_w", List.of("transcribe"), 8, T0);
        storage.workers().workerSeen("host-2:7", "old box", "key_w", List.of("render"), 8, T0.minusSeconds(600));
        store.jobInsert(newJob("transcribe"), T0, Duration.ofDays(1));
        store.jobClaim(new Store.Claim(List.of("transcribe"), List.of(), 1, "host-1:42", Duration.ofSeconds(30), Map.of()), T0);
        storage.workers().workerSeen("host-1:42", "gpu box", "key_w", List.of("transcribe", "align"), 3, T0.plusSeconds(5));

        var seen = storage.workers().workerList(T0.minusSeconds(60));
        assertThat(seen).hasSize(1);
        var worker = seen.getFirst();
        assertThat(worker.id()).isEqualTo("host-1:42");
        assertThat(worker.types()).containsExactly("transcribe", "align");
        assertThat(worker.firstSeen()).isEqualTo(T0);
        assertThat(worker.lastSeen()).isEqualTo(T0.plusSeconds(5));
        assertThat(worker.jobsInHand()).isEqualTo(1);
        assertThat(worker.freeSlots()).as("what it asked for at its last claim").isEqualTo(3);
        assertThat(storage.workers().workerList(T0.minus(Duration.ofHours(1)))).hasSize(2);
    }

    @Test
    void logLinesAreAppendedOnlyByTheCurrentAttemptAndSeenOnlyByTheTenant() {
        Job job = jobs.running("echo", T0);

        assertThat(storage.workers().jobLogAppend(job.id(), 1, List.of("loading model", "50% done"), T0.plusSeconds(1))).isTrue();
        assertThat(storage.workers().jobLogAppend(job.id(), 2, List.of("from a stale attempt"), T0.plusSeconds(2))).isFalse();

        assertThat(storage.workers().jobLogs(TENANT, job.id(), 100)).extracting(l -> l.line()).containsExactly("loading model", "50% done");
        assertThat(storage.workers().jobLogs(TENANT, job.id(), 1)).hasSize(1);
        assertThat(storage.workers().jobLogs("other", job.id(), 100)).isEmpty();

        store.jobFinish(job.id(), 1, false, Transition.succeed(TestJobs.json("{}"), 0), T0.plusSeconds(3));
        assertThat(storage.workers().jobLogAppend(job.id(), 1, List.of("too late"), T0.plusSeconds(4))).isFalse();
        store.jobDelete(TENANT, job.id(), T0);
        assertThat(storage.workers().jobLogs(TENANT, job.id(), 100)).isEmpty();
    }

}
