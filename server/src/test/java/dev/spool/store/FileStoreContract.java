package dev.spool.store;

import static dev.spool.testing.TestJobs.TENANT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spool.artifact.FileStore;
import dev.spool.job.ErrorCode;
import dev.spool.job.Job;
import dev.spool.job.SpoolException;
import dev.spool.job.Transition;
import dev.spool.testing.TestJobs;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What every database's {@link FileStore} must do. */
public abstract class FileStoreContract extends StorageContract {
    // ---------------------------------------------------------------- artifacts and secrets

    private static dev.spool.artifact.Artifact output(Job job, int attempt, String name, long size) {
        return new dev.spool.artifact.Artifact(job.id(), dev.spool.artifact.Artifact.Kind.OUTPUT, name, attempt, "image/png", size,
                "a".repeat(64), T0);
    }

    @Test
    void outputFilesAreRecordedOnlyForTheCurrentAttemptAndWithinTheJobsLimits() {
        Job job = jobs.running("echo", T0);

        assertThat(storage.files().artifactAdd(output(job, 1, "a.png", 10), 2, 100)).isTrue();
        assertThat(storage.files().artifactAdd(output(job, 2, "stale.png", 10), 2, 100)).isFalse();
        assertThat(storage.files().artifactAdd(output(job, 1, "a.png", 20), 2, 100)).as("the same name replaces").isTrue();
        assertThat(storage.files().artifactAdd(output(job, 1, "b.png", 20), 2, 100)).isTrue();
        assertThatThrownBy(() -> storage.files().artifactAdd(output(job, 1, "c.png", 1), 2, 100))
                .isInstanceOfSatisfying(SpoolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.PAYLOAD_TOO_LARGE));
        assertThatThrownBy(() -> storage.files().artifactAdd(output(job, 1, "b.png", 81), 2, 100)).isInstanceOf(SpoolException.class);

        assertThat(storage.files().artifactList(TENANT, job.id())).extracting(dev.spool.artifact.Artifact::name).containsExactly("a.png", "b.png");
        assertThat(storage.files().artifactList(TENANT, job.id()).getFirst().size()).isEqualTo(20);
        assertThat(storage.files().artifactList("other", job.id())).isEmpty();
        assertThat(storage.files().artifactGetAny(job.id(), "b.png")).isPresent();

        store.jobFinish(job.id(), 1, false, Transition.succeed(TestJobs.json("{}"), 0), T0);
        store.jobDelete(TENANT, job.id(), T0);
        assertThat(storage.files().artifactGetAny(job.id(), "b.png")).isEmpty();
    }

    @Test
    void finishedJobsArePrunedByTypeOnceTheirRetentionPassedAndTheirFilesBecomeOrphans() {
        Job oldEcho = jobs.running("echo", T0);
        storage.files().artifactAdd(output(oldEcho, 1, "a.png", 10), 10, 1000);
        store.jobFinish(oldEcho.id(), 1, false, Transition.succeed(TestJobs.json("{}"), 0), T0);
        Job oldSleep = jobs.succeeded("sleep", T0);
        Job recent = jobs.succeeded("echo", T0.plus(Duration.ofDays(2)));
        Job stillQueued = jobs.queued("echo", T0);
        Instant later = T0.plus(Duration.ofDays(3));

        assertThat(store.jobPruneFinished(new Store.Prune("echo", java.util.Set.of(), later.minus(Duration.ofDays(2)), 100), later))
                .isEqualTo(1);
        assertThat(store.jobGetAny(oldEcho.id())).isEmpty();
        assertThat(store.jobGetAny(recent.id())).isPresent();
        assertThat(store.jobGetAny(stillQueued.id())).as("only finished jobs").isPresent();
        assertThat(store.jobPruneFinished(new Store.Prune(null, java.util.Set.of("echo"), later, 100), later))
                .as("every other type").isEqualTo(1);
        assertThat(store.jobGetAny(oldSleep.id())).isEmpty();

        assertThat(storage.files().blobOrphansDue(later, 10)).as("orphaned at 'later': not yet past any grace").isEmpty();
        later = later.plusSeconds(1);
        assertThat(storage.files().blobOrphansDue(later, 10)).containsExactly("a".repeat(64));
        storage.files().blobOrphanForget("a".repeat(64));
        assertThat(storage.files().blobOrphansDue(later, 10)).isEmpty();
    }

    @Test
    void anOrphanReferencedAgainIsNoLongerDue() {
        Job first = jobs.running("echo", T0);
        storage.files().artifactAdd(output(first, 1, "a.png", 10), 10, 1000);
        store.jobFinish(first.id(), 1, false, Transition.succeed(TestJobs.json("{}"), 0), T0);
        store.jobDelete(TENANT, first.id(), T0);
        Job second = jobs.running("echo", T0);
        storage.files().artifactAdd(output(second, 1, "same-bytes.png", 10), 10, 1000);

        assertThat(storage.files().blobOrphansDue(T0.plus(Duration.ofDays(1)), 10)).isEmpty();
    }

    @Test
    void aSharedSecretIsMadeOnceAndThenKept() {
        byte[] first = storage.files().secret("signing", () -> new byte[] {1, 2, 3});
        byte[] second = storage.files().secret("signing", () -> new byte[] {9});
        assertThat(first).containsExactly(1, 2, 3);
        assertThat(second).containsExactly(1, 2, 3);
    }


}
