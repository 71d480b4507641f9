package dev.spool.engine;

import static dev.spool.testing.TestJobs.TENANT;
import static dev.spool.testing.TestJobs.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spool.engine.maintenance.LeaseRescuer;
import dev.spool.job.Backoff;
import dev.spool.job.ErrorCode;
import dev.spool.job.Job;
import dev.spool.job.JobError;
import dev.spool.job.JobEvent;
import dev.spool.job.JobQuery;
import dev.spool.job.JobStatus;
import dev.spool.job.Outcome;
import dev.spool.job.Price;
import dev.spool.job.Progress;
import dev.spool.job.SpoolException;
import dev.spool.store.SqliteStore;
import dev.spool.telemetry.Tracing;
import dev.spool.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine's rules, driven by a clock the test moves: no sleeps, no background threads. */
class EngineTest {
    private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
    private static final Duration LEASE = Duration.ofSeconds(30);
    private static final Backoff BACKOFF = new Backoff(Duration.ofSeconds(2), Duration.ofMinutes(10));

    @TempDir
    Path dir;

    private SqliteStore store;
    private MutableClock clock;
    private Engine engine;
    private int wakeUps;

    @BeforeEach
    void setUp() {
        store = SqliteStore.open(dir.resolve("spool.db"), 64, 2);
        clock = new MutableClock(T0);
        JobTypes types = new JobTypes(List.of(
                JobType.of("work", "test work", "builtin", "work", "default", 3, 60, 0, Price.FREE,
                        json("{\"type\": \"object\", \"required\": [\"n\"], \"properties\": {\"n\": {\"type\": \"integer\"}}}")),
                JobType.of("once", "no retries", "builtin", "once", "special", 1, 10, 0, Price.FREE, null)));
        // A random source that always draws 0: the backoff is then exactly half its exponential step.
        engine = new Engine(store, types, Intake.NONE, clock, new Engine.Settings(LEASE, BACKOFF, Duration.ofHours(24), 100), () -> 0L,
                JobMeter.none(), Tracing.off());
        engine.onClaimable(() -> wakeUps++);
    }

    @AfterEach
    void tearDown() {
        store.close();
    }

    private Job submit(String type, String input) {
        return engine.submit(TENANT, "key_1", Submission.builder(type, json(input)).build()).job();
    }

    private Job claimOne() {
        List<Job> claimed = engine.claim(List.of("work", "once"), List.of(), 1, "worker-a");
        assertThat(claimed).hasSize(1);
        return claimed.getFirst();
    }

    private static void assertCode(ThrowableAssert.ThrowingCallable call, ErrorCode code) {
        assertThatThrownBy(call).isInstanceOfSatisfying(SpoolException.class, e -> assertThat(e.code()).isEqualTo(code));
    }

    @Test
    void aSubmitTakesTheTypesDefaultsAndWakesTheRunners() {
        Job job = submit("once", "{}");

        assertThat(job.queue()).isEqualTo("special");
        assertThat(job.maxAttempts()).isEqualTo(1);
        assertThat(job.timeoutSeconds()).isEqualTo(10);
        assertThat(wakeUps).isEqualTo(1);
    }

    @Test
    void aSubmitOfAnUnknownTypeOrBadInputIsRefusedAndStoresNothing() {
        assertCode(() -> submit("nope", "{}"), ErrorCode.UNKNOWN_TYPE);
        assertCode(() -> submit("work", "{\"n\": \"one\"}"), ErrorCode.INVALID_INPUT);
        assertCode(() -> submit("work", "{}"), ErrorCode.INVALID_INPUT);

        assertThat(engine.list(new JobQuery(TENANT, Set.of(), null, null, null, null, null, Map.of(), null, 10)).items()).isEmpty();
        assertThat(wakeUps).isZero();
    }

    @Test
    void aRetryableFailureComesBackAfterExponentialBackoffUntilAttemptsRunOut() {
        Job job = submit("work", "{\"n\": 1}");
        JobError flaky = new JobError("flaky", "try again", true);

        Job first = claimOne();
        Job afterFirst = engine.report(job.id(), first.attempt(), new Outcome.Failed(flaky));
        assertThat(afterFirst.status()).isEqualTo(JobStatus.QUEUED);
        assertThat(afterFirst.runAt()).isEqualTo(T0.plusSeconds(1)); // half of 2 s
        assertThat(engine.claim(List.of("work"), List.of(), 1, "w")).as("not before its run_at").isEmpty();

        clock.advance(Duration.ofSeconds(1));
        Job second = claimOne();
        Job afterSecond = engine.report(job.id(), second.attempt(), new Outcome.Failed(flaky));
        assertThat(afterSecond.runAt()).isEqualTo(clock.instant().plusSeconds(2)); // half of 4 s

        clock.advance(Duration.ofSeconds(2));
        Job third = claimOne();
        Job last = engine.report(job.id(), third.attempt(), new Outcome.Failed(flaky));
        assertThat(last.status()).isEqualTo(JobStatus.FAILED);
        assertThat(last.attempt()).isEqualTo(3);
        assertThat(last.error()).isEqualTo(flaky);
    }

    @Test
    void aFailureThatIsNotRetryableEndsTheJobAtOnce() {
        Job job = submit("work", "{\"n\": 1}");
        Job running = claimOne();

        Job failed = engine.report(job.id(), running.attempt(), new Outcome.Failed(new JobError("bad", "no", false)));
        assertThat(failed.status()).isEqualTo(JobStatus.FAILED);
        assertThat(failed.attemptsLeft()).isEqualTo(2);
    }

    @Test
    void aSuccessStoresTheResultAndAcceptsNoSecondOutcome() {
        Job job = submit("work", "{\"n\": 1}");
        Job running = claimOne();
        clock.advance(Duration.ofMillis(1500));

        Job done = engine.report(job.id(), running.attempt(), new Outcome.Succeeded(json("{\"r\": 2}"), 7));
        assertThat(done.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(done.result()).isEqualTo(json("{\"r\": 2}"));
        assertThat(done.units()).isEqualTo(7);
        assertThat(done.runMs()).isEqualTo(1500);

        assertCode(() -> engine.report(job.id(), running.attempt(), new Outcome.Failed(new JobError("x", "y", true))),
                ErrorCode.STALE_ATTEMPT);
        assertThat(engine.get(TENANT, job.id())).isEqualTo(done);
    }

    @Test
    void anExpiredLeaseIsRescuedAndTheStaleWorkerCanChangeNothing() {
        Job job = submit("work", "{\"n\": 1}");
        Job first = claimOne();
        LeaseRescuer rescuer = new LeaseRescuer(engine, 100);

        assertThat(rescuer.runOnce(clock.advance(LEASE.minusSeconds(1)))).isZero();
        Instant expired = clock.advance(Duration.ofSeconds(2));
        assertThat(rescuer.runOnce(expired)).isEqualTo(1);
        Job rescued = engine.get(TENANT, job.id());
        assertThat(rescued.status()).isEqualTo(JobStatus.QUEUED);
        assertThat(rescued.error().code()).isEqualTo("lease_expired");

        clock.advance(Duration.ofSeconds(1));
        Job second = claimOne();
        assertThat(second.attempt()).isEqualTo(2);

        assertCode(() -> engine.heartbeat(job.id(), first.attempt(), Progress.NONE), ErrorCode.STALE_ATTEMPT);
        assertCode(() -> engine.report(job.id(), first.attempt(), new Outcome.Succeeded(json("{}"), 0)), ErrorCode.STALE_ATTEMPT);
        assertThat(engine.get(TENANT, job.id()).status()).isEqualTo(JobStatus.RUNNING);

        Job done = engine.report(job.id(), second.attempt(), new Outcome.Succeeded(json("{\"second\": true}"), 0));
        assertThat(done.result()).isEqualTo(json("{\"second\": true}"));
    }

    @Test
    void anAttemptPastItsTimeoutIsEndedEvenWhileItsExecutorHeartbeats() {
        Job job = submit("once", "{}"); // timeout 10 s
        Job running = claimOne();
        for (int i = 0; i < 4; i++) {
            clock.advance(Duration.ofSeconds(3));
            engine.heartbeat(job.id(), running.attempt(), Progress.NONE);
        }
        assertThat(new LeaseRescuer(engine, 100).runOnce(clock.instant())).isEqualTo(1);

        Job failed = engine.get(TENANT, job.id());
        assertThat(failed.status()).isEqualTo(JobStatus.FAILED);
        assertThat(failed.error().code()).isEqualTo("timeout");
        assertCode(() -> engine.heartbeat(job.id(), running.attempt(), Progress.NONE), ErrorCode.STALE_ATTEMPT);
    }

    @Test
    void aRescueOfTheLastAttemptFailsTheJob() {
        // A timeout longer than the lease, so that it is the lease that runs out first.
        Job job = engine.submit(TENANT, "key_1", Submission.builder("once", json("{}")).timeoutSeconds(120).build()).job();
        claimOne();
        new LeaseRescuer(engine, 100).runOnce(clock.advance(LEASE.plusSeconds(1)));

        Job failed = engine.get(TENANT, job.id());
        assertThat(failed.status()).isEqualTo(JobStatus.FAILED);
        assertThat(failed.error().code()).isEqualTo("lease_expired");
    }

    @Test
    void cancellingAQueuedJobEndsItAtOnce() {
        Job job = submit("work", "{\"n\": 1}");
        Job cancelled = engine.cancel(TENANT, job.id());

        assertThat(cancelled.status()).isEqualTo(JobStatus.CANCELLED);
        assertThat(engine.claim(List.of("work"), List.of(), 5, "w")).isEmpty();
        assertThat(engine.cancel(TENANT, job.id())).as("cancelling again is harmless").isEqualTo(cancelled);
    }

    @Test
    void cancellingARunningJobReachesItsExecutorThroughTheHeartbeat() {
        Job job = submit("work", "{\"n\": 1}");
        Job running = claimOne();

        Job flagged = engine.cancel(TENANT, job.id());
        assertThat(flagged.status()).isEqualTo(JobStatus.RUNNING);
        assertThat(engine.heartbeat(job.id(), running.attempt(), Progress.NONE).cancelRequested()).isTrue();

        // Even a retryable failure after a cancel request ends the job as cancelled, not retried.
        Job ended = engine.report(job.id(), running.attempt(), new Outcome.Failed(new JobError("x", "interrupted", true)));
        assertThat(ended.status()).isEqualTo(JobStatus.CANCELLED);
    }

    @Test
    void aCancelledJobWhoseExecutorNeverAnswersEndsCancelledWhenItsLeaseExpires() {
        Job job = submit("work", "{\"n\": 1}");
        claimOne();
        engine.cancel(TENANT, job.id());

        new LeaseRescuer(engine, 100).runOnce(clock.advance(LEASE.plusSeconds(1)));
        assertThat(engine.get(TENANT, job.id()).status()).isEqualTo(JobStatus.CANCELLED);
    }

    @Test
    void aFinishedJobCannotBeCancelledButCanBeRetriedWithAFreshBudget() {
        Job job = submit("once", "{}");
        Job running = claimOne();
        engine.report(job.id(), running.attempt(), new Outcome.Failed(new JobError("x", "y", true)));
        assertThat(engine.get(TENANT, job.id()).status()).isEqualTo(JobStatus.FAILED);

        assertCode(() -> engine.cancel(TENANT, job.id()), ErrorCode.INVALID_STATE);
        Job retried = engine.retry(TENANT, job.id());
        assertThat(retried.status()).isEqualTo(JobStatus.QUEUED);
        assertThat(retried.attemptsLeft()).isEqualTo(1);

        Job again = claimOne();
        assertThat(again.attempt()).isEqualTo(2);
        assertCode(() -> engine.retry(TENANT, job.id()), ErrorCode.INVALID_STATE);
    }

    @Test
    void aRunningJobCannotBeDeletedAndAnyOtherCan() {
        Job job = submit("work", "{\"n\": 1}");
        Job running = claimOne();
        assertCode(() -> engine.delete(TENANT, job.id()), ErrorCode.INVALID_STATE);

        engine.report(job.id(), running.attempt(), new Outcome.Succeeded(json("{}"), 0));
        engine.delete(TENANT, job.id());
        assertCode(() -> engine.get(TENANT, job.id()), ErrorCode.NOT_FOUND);
        assertCode(() -> engine.delete(TENANT, job.id()), ErrorCode.NOT_FOUND);
    }

    @Test
    void aSnoozeOrAGiveBackReturnsTheJobWithoutSpendingAnAttempt() {
        Job job = submit("once", "{}");
        Job first = claimOne();

        Job snoozed = engine.report(job.id(), first.attempt(), new Outcome.Snoozed(Duration.ofSeconds(30)));
        assertThat(snoozed.status()).isEqualTo(JobStatus.QUEUED);
        assertThat(snoozed.runAt()).isEqualTo(T0.plusSeconds(30));
        assertThat(snoozed.attemptsLeft()).isEqualTo(1);

        clock.advance(Duration.ofSeconds(30));
        Job second = claimOne();
        Job givenBack = engine.giveBack(job.id(), second.attempt());
        assertThat(givenBack.status()).isEqualTo(JobStatus.QUEUED);
        assertThat(givenBack.attemptsLeft()).isEqualTo(1);
        assertThat(engine.events(TENANT, job.id())).extracting(JobEvent::kind)
                .containsExactly("submitted", "started", "snoozed", "started", "given_back");
    }

    @Test
    void aScheduledJobWaitsForItsRunAt() {
        Job job = engine.submit(TENANT, "key_1", Submission.builder("work", json("{\"n\": 1}")).runAt(T0.plus(Duration.ofHours(1))).build()).job();

        assertThat(engine.claim(List.of("work"), List.of(), 1, "w")).isEmpty();
        clock.advance(Duration.ofHours(1));
        assertThat(engine.claim(List.of("work"), List.of(), 1, "w")).extracting(Job::id).containsExactly(job.id());
    }

    @Test
    void concurrentReportsAreCombinedAndEachAttemptIsAcceptedOnce() throws Exception {
        int total = 300;
        for (int i = 0; i < total; i++) {
            submit("work", "{\"n\": " + i + "}");
        }
        List<Job> running = engine.claim(List.of("work"), List.of(), total, "w");
        assertThat(running).hasSize(total);
        long statementsBefore = engine.finishStatements();

        var pool = java.util.concurrent.Executors.newFixedThreadPool(16);
        var start = new java.util.concurrent.CountDownLatch(1);
        List<java.util.concurrent.Future<Boolean>> reports = new java.util.ArrayList<>();
        for (Job job : running) {
            for (int copy = 0; copy < 2; copy++) { // every report is sent twice: one must win, one must be stale
                reports.add(pool.submit(() -> {
                    start.await();
                    try {
                        engine.report(job.id(), job.attempt(), new Outcome.Succeeded(json("{}"), 1));
                        return true;
                    } catch (SpoolException e) {
                        assertThat(e.code()).isEqualTo(ErrorCode.STALE_ATTEMPT);
                        return false;
                    }
                }));
            }
        }
        start.countDown();
        long accepted = 0;
        for (var f : reports) {
            accepted += f.get() ? 1 : 0;
        }
        pool.shutdown();

        assertThat(accepted).isEqualTo(total);
        for (Job job : running) {
            assertThat(engine.events(TENANT, job.id())).filteredOn(e -> e.kind().equals("succeeded")).hasSize(1);
        }
        long statements = engine.finishStatements() - statementsBefore;
        System.out.printf("%d concurrent reports (%d attempts) ended in %d finish statements%n", 2 * total, total, statements);
        assertThat(statements).isBetween(1L, (long) total);
    }

    @Test
    void aBatchWithOneBadMemberStoresNothing() {
        var good = Submission.builder("work", json("{\"n\": 1}")).build();
        var bad = Submission.builder("work", json("{\"n\": \"x\"}")).build();

        assertThatThrownBy(() -> engine.submitBatch(TENANT, "key_1", List.of(good, bad), null, null))
                .isInstanceOfSatisfying(SpoolException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_INPUT);
                    assertThat(e.getMessage()).startsWith("jobs[1]:");
                });
        assertThat(engine.list(new JobQuery(TENANT, Set.of(), null, null, null, null, null, Map.of(), null, 10)).items()).isEmpty();

        var batch = engine.submitBatch(TENANT, "key_1", List.of(good, good), null, null).batch();
        assertThat(engine.batch(TENANT, batch.id()).counts()).containsEntry(JobStatus.QUEUED, 2L);
        assertCode(() -> engine.batch("other", batch.id()), ErrorCode.NOT_FOUND);
    }
}
