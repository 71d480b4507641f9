package dev.spool.store;

import static dev.spool.testing.TestJobs.TENANT;
import static dev.spool.testing.TestJobs.claim;
import static dev.spool.testing.TestJobs.forTenant;
import static dev.spool.testing.TestJobs.json;
import static dev.spool.testing.TestJobs.newJob;
import static dev.spool.testing.TestJobs.withMetadata;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spool.engine.Engine;
import dev.spool.engine.Intake;
import dev.spool.engine.JobMeter;
import dev.spool.engine.JobType;
import dev.spool.engine.JobTypes;
import dev.spool.engine.Schedules;
import dev.spool.http.ApiServer;
import dev.spool.job.Backoff;
import dev.spool.job.ErrorCode;
import dev.spool.job.Job;
import dev.spool.job.JobId;
import dev.spool.job.JobQuery;
import dev.spool.job.JobStatus;
import dev.spool.job.NewJob;
import dev.spool.job.Price;
import dev.spool.job.QueueState;
import dev.spool.job.Schedule;
import dev.spool.job.SpoolException;
import dev.spool.telemetry.Tracing;
import dev.spool.testing.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * What an operator does, on every database, and across two nodes where the database has them:
 * queues paused and resumed, bulk actions by filter, batches and calls made safe to repeat, and
 * cron schedules firing one job per tick.
 */
public abstract class OperateContract extends StorageContract {
    private static final JobTypes TYPES = new JobTypes(List.of(
            JobType.of("echo", "test", "builtin", "echo", "default", 3, 60, 0, Price.FREE, null)));

    private static NewJob inQueue(NewJob j, String queue) {
        return new NewJob(j.tenant(), j.keyId(), j.type(), queue, j.priority(), j.title(), j.input(), j.metadata(),
                j.idempotencyKey(), j.requestHash(), j.batchId(), j.maxAttempts(), j.timeoutSeconds(), j.runAt(), j.inputs(),
                j.webhook(), j.traceparent());
    }

    private static Engine engine(Storage on, MutableClock clock) {
        return new Engine(on, TYPES, Intake.NONE, clock, new Engine.Settings(Duration.ofSeconds(30),
                new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(1)), Duration.ofHours(24), 1000), () -> 0L,
                JobMeter.none(), Tracing.off());
    }

    private static Schedules schedules(Storage on, MutableClock clock) {
        return new Schedules(on.schedules(), engine(on, clock), ApiServer::submission, clock);
    }

    private static JobQuery all(String tenant) {
        return new JobQuery(tenant, Set.of(), null, null, null, null, null, Map.of(), null, JobQuery.MAX_LIMIT);
    }

    private List<Job> everyJob(String tenant) {
        List<Job> out = new ArrayList<>();
        JobId before = null;
        while (true) {
            var page = store.jobList(new JobQuery(tenant, Set.of(), null, null, null, null, null, Map.of(), before, JobQuery.MAX_LIMIT));
            out.addAll(page.items());
            if (!page.hasMore()) {
                return out;
            }
            before = page.items().getLast().id();
        }
    }

    // ---------------------------------------------------------------- queues

    @Test
    void aPausedQueueAcceptsJobsButHandsOutNoClaimOnAnyNodeUntilResumed() {
        List<Storage> others = otherNodes(1);
        try {
            Job gpu = store.jobInsert(inQueue(newJob("echo"), "gpu"), T0, Duration.ofDays(1)).job();
            assertThat(store.queuePause("gpu", "key_admin", T0)).isTrue();
            assertThat(store.queuePause("gpu", "key_admin", T0)).as("paused already").isFalse();
            Job later = store.jobInsert(inQueue(newJob("echo"), "gpu"), T0, Duration.ofDays(1)).job();
            Job other = store.jobInsert(newJob("echo"), T0, Duration.ofDays(1)).job();

            assertThat(store.jobClaim(claim(List.of("echo"), 10), T0)).extracting(Job::id).containsExactly(other.id());
            assertThat(store.jobClaim(new Store.Claim(List.of(), List.of("gpu"), 10, "w", Duration.ofSeconds(30), Map.of()), T0))
                    .as("by queue").isEmpty();
            for (Storage node : others) {
                assertThat(node.jobs().jobClaim(claim(List.of("echo"), 10), T0)).as("on the other node").isEmpty();
            }
            QueueState state = store.queueStates(TENANT, T0.plusSeconds(5)).stream()
                    .filter(q -> q.queue().equals("gpu")).findFirst().orElseThrow();
            assertThat(state.queued()).isEqualTo(2);
            assertThat(state.pausedAt()).isEqualTo(T0);
            assertThat(state.oldestDue()).isEqualTo(T0);
            assertThat(store.queueStates("someone-else", T0)).as("another tenant's counts").isEmpty();

            assertThat(store.queueResume("gpu")).isTrue();
            Storage claimer = others.isEmpty() ? storage : others.getFirst();
            assertThat(claimer.jobs().jobClaim(claim(List.of("echo"), 10), T0)).extracting(Job::id)
                    .containsExactlyInAnyOrder(gpu.id(), later.id());
        } finally {
            others.forEach(Storage::close);
        }
    }

    // ---------------------------------------------------------------- bulk actions

    @Test
    void aBulkCancelOfTwentyThousandJobsRunsInShortTransactionsAndTouchesNoOtherTenant() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        storage.meterInto(registry);
        Engine engine = engine(storage, new MutableClock(T0));
        Map<String, String> bad = Map.of("deploy", "bad");
        for (int i = 0; i < 20; i++) {
            store.jobInsertBatch(JobId.generate().value(), TENANT,
                    IntStream.range(0, 1000).mapToObj(n -> withMetadata(newJob("echo"), bad)).toList(), T0, null);
        }
        List<NewJob> theirs = IntStream.range(0, 100).mapToObj(n -> forTenant(withMetadata(newJob("echo"), bad), "other")).toList();
        store.jobInsertBatch(JobId.generate().value(), "other", theirs, T0, null);
        Job unmatched = store.jobInsert(newJob("echo"), T0, Duration.ofDays(1)).job();
        JobQuery filter = new JobQuery(TENANT, Set.of(), null, null, null, null, null, bad, null, 1);

        assertThat(engine.bulk(Engine.BulkAction.CANCEL, filter, true).matched()).as("the dry run's count").isEqualTo(20_000);
        assertThat(store.jobGet(TENANT, unmatched.id()).orElseThrow().status()).isEqualTo(JobStatus.QUEUED);
        double before = registry.get("spool.store.write.transaction").timer().max(TimeUnit.MILLISECONDS);
        long started = System.nanoTime();
        Engine.BulkResult result = engine.bulk(Engine.BulkAction.CANCEL, filter, false);
        long tookMs = (System.nanoTime() - started) / 1_000_000;
        double longest = registry.get("spool.store.write.transaction").timer().max(TimeUnit.MILLISECONDS);
        System.out.printf("bulk cancel of 20,000 jobs (%s): %d ms, longest write transaction %.0f ms (%.0f before it)%n",
                storage.describe().split(":")[0], tookMs, longest, before);

        assertThat(result.matched()).isEqualTo(20_000);
        assertThat(result.changed()).isEqualTo(20_000);
        assertThat(longest).as("no transaction held over a second").isLessThan(1000);
        assertThat(store.jobCount(new JobQuery(TENANT, Set.of(JobStatus.CANCELLED), null, null, null, null, null, bad, null, 1)))
                .isEqualTo(20_000);
        assertThat(everyJob("other")).as("another tenant's jobs, with the same metadata").hasSize(100)
                .allSatisfy(j -> assertThat(j.status()).isEqualTo(JobStatus.QUEUED));
        assertThat(store.jobGet(TENANT, unmatched.id()).orElseThrow().status()).isEqualTo(JobStatus.QUEUED);
        assertThat(engine.bulk(Engine.BulkAction.CANCEL, filter, false).changed()).as("again: nothing left to cancel").isZero();
    }

    @Test
    void bulkRetryAndDeleteActOnlyOnTheStatusesTheyCanAndOnlyOnTheFilter() {
        Engine engine = engine(storage, new MutableClock(T0));
        Job failed = jobs.failed("echo", T0);
        Job succeeded = jobs.succeeded("echo", T0);
        Job running = jobs.running("echo", T0);
        Job queued = jobs.queued("echo", T0);

        var retried = engine.bulk(Engine.BulkAction.RETRY, all(TENANT), false);
        assertThat(retried.changed()).isEqualTo(1);
        assertThat(store.jobGet(TENANT, failed.id()).orElseThrow().status()).isEqualTo(JobStatus.QUEUED);

        JobQuery finished = new JobQuery(TENANT, Set.of(JobStatus.SUCCEEDED, JobStatus.RUNNING), null, null, null, null, null,
                Map.of(), null, 1);
        assertThat(engine.bulk(Engine.BulkAction.DELETE, finished, true).matched()).as("running jobs are never deleted").isEqualTo(1);
        assertThat(engine.bulk(Engine.BulkAction.DELETE, finished, false).changed()).isEqualTo(1);
        assertThat(store.jobGet(TENANT, succeeded.id())).isEmpty();
        assertThat(store.jobGet(TENANT, running.id())).isPresent();

        var cancelled = engine.bulk(Engine.BulkAction.CANCEL, all(TENANT), false);
        assertThat(cancelled.changed()).as("two queued cancelled, the running one asked to stop").isEqualTo(3);
        assertThat(store.jobGet(TENANT, running.id()).orElseThrow().cancelRequested()).isTrue();
        assertThat(store.jobGet(TENANT, queued.id()).orElseThrow().status()).isEqualTo(JobStatus.CANCELLED);
        assertThat(engine.bulk(Engine.BulkAction.DELETE, all("someone-else"), false).matched()).isZero();
    }

    // ---------------------------------------------------------------- calls made safe to repeat

    @Test
    void aBatchRepeatedUnderOneKeyOnTwoNodesAtOnceMakesItsJobsOnce() throws Exception {
        List<Storage> others = otherNodes(1);
        try {
            Store.Call call = new Store.Call(TENANT, "POST /v1/batches", "nightly-1", "hash-1", T0.plus(Duration.ofDays(1)));
            List<NewJob> batch = IntStream.range(0, 1000).mapToObj(n -> newJob("echo")).toList();
            Storage second = others.isEmpty() ? storage : others.getFirst();
            var one = CompletableFuture.supplyAsync(() -> store.jobInsertBatch(JobId.generate().value(), TENANT, batch, T0, call));
            var two = CompletableFuture.supplyAsync(() -> second.jobs().jobInsertBatch(JobId.generate().value(), TENANT, batch, T0, call));
            List<Store.BatchInserted> both = List.of(one.get(), two.get());

            assertThat(both).filteredOn(b -> b.earlier().isEmpty()).hasSize(1);
            Store.BatchInserted made = both.stream().filter(b -> b.earlier().isEmpty()).findFirst().orElseThrow();
            Store.BatchInserted found = both.stream().filter(b -> b.earlier().isPresent()).findFirst().orElseThrow();
            assertThat(found.earlier().get().answer()).isEqualTo(made.jobs().getFirst().batchId());
            assertThat(store.jobCount(all(TENANT))).isEqualTo(1000);
        } finally {
            others.forEach(Storage::close);
        }
    }

    @Test
    void aRepeatableCallAnswersOnceRefusesWhileRunningAndIsTakenOverWhenAbandoned() {
        Engine engine = engine(storage, new MutableClock(T0));
        int[] runs = {0};
        var first = engine.once(TENANT, "POST /v1/jobs/cancel", "k1", "f1", () -> "{\"n\": " + ++runs[0] + "}");
        var again = engine.once(TENANT, "POST /v1/jobs/cancel", "k1", "f1", () -> "{\"n\": " + ++runs[0] + "}");
        assertThat(first.replayed()).isFalse();
        assertThat(again.replayed()).isTrue();
        assertThat(again.answer()).isEqualTo(first.answer());
        assertThat(runs[0]).isEqualTo(1);
        assertThatThrownBy(() -> engine.once(TENANT, "POST /v1/jobs/cancel", "k1", "other request", () -> "{}"))
                .isInstanceOfSatisfying(SpoolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.IDEMPOTENCY_MISMATCH));
        assertThat(engine.once("other-tenant", "POST /v1/jobs/cancel", "k1", "f1", () -> "{\"theirs\": 1}").replayed())
                .as("keys are per tenant").isFalse();

        assertThatThrownBy(() -> engine.once(TENANT, "POST /v1/jobs/retry", "k2", "f", () -> {
            throw SpoolException.invalid("failed midway");
        })).isInstanceOf(SpoolException.class);
        assertThat(engine.once(TENANT, "POST /v1/jobs/retry", "k2", "f", () -> "{\"ok\": 1}").replayed())
                .as("a failed call's key is forgotten").isFalse();

        Store.Call running = new Store.Call(TENANT, "POST /v1/jobs/delete", "k3", "f", T0.plus(Duration.ofDays(1)));
        assertThat(store.callBegin(running, T0, T0)).isEmpty();
        assertThat(store.callBegin(running, T0.plusSeconds(1), T0).orElseThrow().answer()).as("still running").isNull();
        assertThat(store.callBegin(running, T0.plus(Duration.ofMinutes(11)), T0.plus(Duration.ofMinutes(1))))
                .as("abandoned, taken over").isEmpty();
        assertThat(store.idempotencyPrune(T0.plus(Duration.ofDays(2)))).isGreaterThanOrEqualTo(3);
    }

    // ---------------------------------------------------------------- schedules

    private static Schedules.Spec everySecond(String overlap, String missed) {
        return new Schedules.Spec("every second", "* * * * * *", "UTC", json("{\"type\": \"echo\", \"input\": {\"n\": 1}}"),
                overlap, missed, null);
    }

    /** The ticks (from their jobs' idempotency keys) of the jobs the schedule made. */
    private List<Instant> ticksOf(Schedule s) {
        return everyJob(TENANT).stream()
                .filter(j -> s.id().equals(j.metadata().get(Schedules.METADATA_KEY)))
                .map(j -> Instant.ofEpochMilli(Long.parseLong(j.idempotencyKey().substring(j.idempotencyKey().lastIndexOf(':') + 1))))
                .sorted().toList();
    }

    @Test
    void aScheduleEverySecondMakesOneJobPerTickAcrossNodesAndARestart() {
        MutableClock clock = new MutableClock(T0.plusMillis(200));
        MutableClock skewed = new MutableClock(T0.plusMillis(500)); // the other node's clock, 300 ms ahead
        Schedules here = schedules(storage, clock);
        Schedule s = here.create(TENANT, "key_test", everySecond("allow", "run_once"));
        assertThat(s.nextRunAt()).isEqualTo(T0.plusSeconds(1));
        List<Storage> others = new ArrayList<>(otherNodes(1));
        boolean twoNodes = !others.isEmpty();
        Schedules there = twoNodes ? schedules(others.getFirst(), skewed) : null;
        try {
            for (int second = 1; second <= 60; second++) {
                clock.advance(Duration.ofSeconds(1));
                skewed.advance(Duration.ofSeconds(1));
                boolean down = second >= 25 && second < 32; // one node is down (on SQLite: the only one)
                if (twoNodes) {
                    here.runOnce(clock.instant());
                    if (second == 32) { // the other node restarts
                        others.getFirst().close();
                        others.set(0, otherNodes(1).getFirst());
                        there = schedules(others.getFirst(), skewed);
                    }
                    if (!down) {
                        there.runOnce(skewed.instant());
                    }
                } else {
                    if (second == 32) {
                        reopen();
                        here = schedules(storage, clock);
                    }
                    if (!down) {
                        here.runOnce(clock.instant());
                    }
                }
            }
        } finally {
            others.forEach(Storage::close);
        }
        List<Instant> expected = IntStream.rangeClosed(1, 60).mapToObj(T0::plusSeconds).toList();
        List<Instant> ticks = ticksOf(s);
        System.out.printf("schedule every second over 60 s (%s, %s): %d jobs for 60 ticks, %d distinct%n",
                storage.describe().split(":")[0], twoNodes ? "two nodes, one restarted" : "one node, restarted",
                ticks.size(), new HashSet<>(ticks).size());
        assertThat(ticks).as("one job per tick, no more, no fewer").isEqualTo(expected);
    }

    @Test
    void ticksMissedWhileNoNodeRanBecomeOneJobOrNone() {
        MutableClock clock = new MutableClock(T0);
        Schedules schedules = schedules(storage, clock);
        Schedule once = schedules.create(TENANT, "key_test",
                new Schedules.Spec(null, "*/10 * * * *", "UTC", json("{\"type\": \"echo\", \"input\": {}}"), null, null, null));
        Schedule skip = schedules.create(TENANT, "key_test",
                new Schedules.Spec(null, "*/10 * * * *", "UTC", json("{\"type\": \"echo\", \"input\": {}}"), null, "skip", null));
        assertThat(once.missed()).isEqualTo("run_once");
        clock.set(T0.plus(Duration.ofHours(2)).plusSeconds(30)); // 12 ticks passed; the last, 30 s ago, is on time

        schedules.runOnce(clock.instant());
        assertThat(ticksOf(once)).containsExactly(T0.plus(Duration.ofMinutes(110)), T0.plus(Duration.ofHours(2)));
        assertThat(ticksOf(skip)).containsExactly(T0.plus(Duration.ofHours(2)));
        assertThat(schedules.get(TENANT, once.id()).nextRunAt()).isEqualTo(T0.plus(Duration.ofMinutes(130)));
    }

    @Test
    void withOverlapSkipATickMakesNoJobWhileTheLastOneIsUnfinished() {
        MutableClock clock = new MutableClock(T0);
        Schedules schedules = schedules(storage, clock);
        Schedule s = schedules.create(TENANT, "key_test", everySecond("skip", "run_once"));
        for (int i = 0; i < 5; i++) {
            clock.advance(Duration.ofSeconds(1));
            schedules.runOnce(clock.instant());
        }
        assertThat(ticksOf(s)).as("the first job is still queued").containsExactly(T0.plusSeconds(1));
        Job first = everyJob(TENANT).getFirst();
        store.jobCancel(TENANT, first.id(), clock.instant());
        clock.advance(Duration.ofSeconds(1));
        schedules.runOnce(clock.instant());
        assertThat(ticksOf(s)).containsExactly(T0.plusSeconds(1), T0.plusSeconds(6));
    }

    @Test
    void aTickWhoseSubmitIsRefusedMakesNoJobAndTheScheduleGoesOn() {
        MutableClock clock = new MutableClock(T0);
        Schedule s = schedules(storage, clock).create(TENANT, "key_test", everySecond("allow", "run_once"));
        // The type is no longer declared (the configuration changed): every submit is refused.
        Engine without = new Engine(storage, new JobTypes(List.of()), Intake.NONE, clock, new Engine.Settings(Duration.ofSeconds(30),
                new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(1)), Duration.ofHours(24), 1000), () -> 0L,
                JobMeter.none(), Tracing.off());
        Schedules refused = new Schedules(storage.schedules(), without, ApiServer::submission, clock);
        clock.advance(Duration.ofSeconds(3));
        assertThat(refused.runOnce(clock.instant())).isZero();
        assertThat(refused.get(TENANT, s.id()).nextRunAt()).as("moved past the refused ticks").isEqualTo(T0.plusSeconds(4));
        assertThat(ticksOf(s)).isEmpty();
        clock.advance(Duration.ofSeconds(1));
        schedules(storage, clock).runOnce(clock.instant());
        assertThat(ticksOf(s)).containsExactly(T0.plusSeconds(4));
    }

    @Test
    void aPausedScheduleFiresNothingAndResumesFromItsNextTick() {
        MutableClock clock = new MutableClock(T0);
        Schedules schedules = schedules(storage, clock);
        Schedule s = schedules.create(TENANT, "key_test", everySecond("allow", "run_once"));
        assertThat(schedules.nextRuns(s, 3)).containsExactly(T0.plusSeconds(1), T0.plusSeconds(2), T0.plusSeconds(3));
        schedules.pause(TENANT, s.id());
        clock.advance(Duration.ofSeconds(5));
        assertThat(schedules.runOnce(clock.instant())).isZero();
        Schedule resumed = schedules.resume(TENANT, s.id());
        assertThat(resumed.nextRunAt()).isEqualTo(T0.plusSeconds(6));
        assertThat(schedules.list("someone-else", null, 10)).isEmpty();
        assertThatThrownBy(() -> schedules.get("someone-else", s.id())).isInstanceOf(SpoolException.class);
        Schedule changed = schedules.update(TENANT, s.id(), new Schedules.Spec(null, "0 0 * * *", "Asia/Tokyo", null, null, null, null));
        assertThat(changed.nextRunAt()).isEqualTo(Instant.parse("2026-03-01T15:00:00Z"));
        schedules.delete(TENANT, s.id());
        assertThat(schedules.list(TENANT, null, 10)).isEmpty();
    }
}
