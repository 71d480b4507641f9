package dev.spool.store;

import static dev.spool.testing.TestJobs.TENANT;
import static dev.spool.testing.TestJobs.claim;
import static dev.spool.testing.TestJobs.newJob;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spool.job.ErrorCode;
import dev.spool.job.Job;
import dev.spool.job.JobError;
import dev.spool.job.JobEvent;
import dev.spool.job.JobId;
import dev.spool.job.JobQuery;
import dev.spool.job.JobStatus;
import dev.spool.job.NewJob;
import dev.spool.job.Page;
import dev.spool.job.Progress;
import dev.spool.job.SpoolException;
import dev.spool.job.Transition;
import dev.spool.testing.TestJobs;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** What every database's {@link Store} must do with jobs: submit, claim, heartbeat, finish, cancel, history. */
public abstract class JobStoreContract extends StorageContract {
    // ---------------------------------------------------------------- submit and read

    @Test
    void anInsertedJobIsQueuedAndReadableByItsTenantOnly() {
        Job job = store.jobInsert(newJob("echo"), T0, Duration.ofDays(1)).job();

        assertThat(job.status()).isEqualTo(JobStatus.QUEUED);
        assertThat(job.attempt()).isZero();
        assertThat(job.runAt()).isEqualTo(T0);
        assertThat(job.createdAt()).isEqualTo(T0);
        assertThat(store.jobGet(TENANT, job.id())).contains(job);
        assertThat(store.jobGet("someone-else", job.id())).isEmpty();
        assertThat(store.jobGetAny(job.id())).contains(job);
    }

    @Test
    void anAcknowledgedInsertSurvivesClosingAndReopeningTheDatabase() {
        Job job = jobs.queued("echo", T0);
        reopen();
        assertThat(store.jobGet(TENANT, job.id())).contains(job);
    }

    @Test
    void theSameIdempotencyKeyAndRequestReturnTheFirstJob() {
        NewJob keyed = TestJobs.withIdempotency(newJob("echo"), "key-1", "hash-a");
        Store.Inserted first = store.jobInsert(keyed, T0, Duration.ofDays(1));
        Store.Inserted second = store.jobInsert(keyed, T0.plusSeconds(5), Duration.ofDays(1));

        assertThat(first.created()).isTrue();
        assertThat(second.created()).isFalse();
        assertThat(second.job().id()).isEqualTo(first.job().id());
        assertThat(list(JobQuery.MAX_LIMIT).items()).hasSize(1);
    }

    @Test
    void theSameIdempotencyKeyWithAnotherRequestIsRefusedAndStoresNothing() {
        store.jobInsert(TestJobs.withIdempotency(newJob("echo"), "key-1", "hash-a"), T0, Duration.ofDays(1));

        assertThatThrownBy(() -> store.jobInsert(TestJobs.withIdempotency(newJob("echo"), "key-1", "hash-b"), T0,
                Duration.ofDays(1)))
                .isInstanceOfSatisfying(SpoolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.IDEMPOTENCY_MISMATCH));
        assertThat(list(JobQuery.MAX_LIMIT).items()).hasSize(1);
    }

    /**
     * Two nodes that both look the key up before either commits must not both insert: the key is
     * the lock. Every key is submitted twice at once, on two nodes where the database has them.
     */
    @Test
    void sameKeySubmitsRacingOnEveryNodeMakeExactlyOneJobPerKey() throws Exception {
        int keys = 2_000;
        List<Storage> nodes = new ArrayList<>(List.of(storage));
        nodes.addAll(otherNodes(1));
        Store other = nodes.getLast().jobs();
        Map<String, Set<JobId>> answered = new ConcurrentHashMap<>();
        AtomicInteger created = new AtomicInteger();
        try (ExecutorService pool = Executors.newFixedThreadPool(32)) {
            List<Future<?>> futures = new ArrayList<>();
            for (int k = 0; k < keys; k++) {
                NewJob keyed = TestJobs.withIdempotency(newJob("echo"), "race-" + k, "hash-" + k);
                for (Store node : List.of(store, other)) {
                    futures.add(pool.submit(() -> {
                        Store.Inserted inserted = node.jobInsert(keyed, T0, Duration.ofDays(1));
                        if (inserted.created()) {
                            created.incrementAndGet();
                        }
                        answered.computeIfAbsent(keyed.idempotencyKey(), x -> ConcurrentHashMap.newKeySet())
                                .add(inserted.job().id());
                        return null;
                    }));
                }
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            nodes.stream().filter(n -> n != storage).forEach(Storage::close);
        }

        assertThat(answered).hasSize(keys);
        assertThat(answered.values()).allSatisfy(ids -> assertThat(ids).hasSize(1));
        assertThat(created).hasValue(keys);
        int stored = 0;
        for (Page<Job> page = list(JobQuery.MAX_LIMIT); ; ) {
            stored += page.items().size();
            if (!page.hasMore()) {
                break;
            }
            JobId last = page.items().getLast().id();
            page = store.jobList(new JobQuery(TENANT, Set.of(), null, null, null, null, null, Map.of(), last, JobQuery.MAX_LIMIT));
        }
        assertThat(stored).isEqualTo(keys);
    }

    @Test
    void aKeyWhoseJobWasDeletedIsFreeAgain() {
        NewJob keyed = TestJobs.withIdempotency(newJob("echo"), "key-1", "hash-a");
        Job first = store.jobInsert(keyed, T0, Duration.ofDays(1)).job();
        assertThat(store.jobDelete(TENANT, first.id(), T0)).isTrue();

        Store.Inserted again = store.jobInsert(keyed, T0.plusSeconds(1), Duration.ofDays(1));
        assertThat(again.created()).isTrue();
        assertThat(again.job().id()).isNotEqualTo(first.id());
        assertThat(store.jobInsert(keyed, T0.plusSeconds(2), Duration.ofDays(1)).job().id()).isEqualTo(again.job().id());
    }

    @Test
    void idempotencyKeysAreScopedToTheTenantAndExpire() {
        NewJob keyed = TestJobs.withIdempotency(newJob("echo"), "key-1", "hash-a");
        Job first = store.jobInsert(keyed, T0, Duration.ofHours(24)).job();

        Job otherTenant = store.jobInsert(TestJobs.forTenant(keyed, "other"), T0, Duration.ofHours(24)).job();
        assertThat(otherTenant.id()).isNotEqualTo(first.id());

        assertThat(store.idempotencyPrune(T0.plus(Duration.ofHours(23)))).isZero();
        assertThat(store.idempotencyPrune(T0.plus(Duration.ofHours(25)))).isEqualTo(2);
        Store.Inserted later = store.jobInsert(keyed, T0.plus(Duration.ofHours(25)), Duration.ofHours(24));
        assertThat(later.created()).isTrue();
        assertThat(later.job().id()).isNotEqualTo(first.id());
    }

    // ---------------------------------------------------------------- claim

    @Test
    void claimTakesTheHighestPriorityThenTheOldestDueJobs() {
        Job low = store.jobInsert(TestJobs.with(newJob("echo"), 0, T0), T0, Duration.ofDays(1)).job();
        Job high = store.jobInsert(TestJobs.with(newJob("echo"), 5, T0.plusSeconds(1)), T0, Duration.ofDays(1)).job();
        Job older = store.jobInsert(TestJobs.with(newJob("echo"), 0, T0.minusSeconds(10)), T0, Duration.ofDays(1)).job();
        Job later = store.jobInsert(TestJobs.with(newJob("echo"), 9, T0.plusSeconds(60)), T0, Duration.ofDays(1)).job();

        List<Job> claimed = store.jobClaim(claim(List.of("echo"), 10), T0.plusSeconds(2));

        assertThat(claimed).extracting(Job::id).containsExactly(high.id(), older.id(), low.id());
        assertThat(claimed).allSatisfy(j -> {
            assertThat(j.status()).isEqualTo(JobStatus.RUNNING);
            assertThat(j.attempt()).isEqualTo(1);
            assertThat(j.workerId()).isEqualTo("worker-1");
            assertThat(j.leaseExpiresAt()).isEqualTo(T0.plusSeconds(32));
            assertThat(j.startedAt()).isEqualTo(T0.plusSeconds(2));
        });
        assertThat(store.jobGet(TENANT, later.id()).orElseThrow().status()).isEqualTo(JobStatus.QUEUED);
    }

    @Test
    void claimTakesOnlyTheRequestedTypesAndQueuesAndAtMostMax() {
        for (int i = 0; i < 3; i++) {
            jobs.queued("echo", T0);
        }
        jobs.queued("sleep", T0);

        assertThat(store.jobClaim(claim(List.of("echo"), 2), T0)).hasSize(2).allMatch(j -> j.type().equals("echo"));
        assertThat(store.jobClaim(new Store.Claim(List.of(), List.of("other-queue"), 10, "w", Duration.ofSeconds(30),
                Map.of()), T0)).isEmpty();
        assertThat(store.jobClaim(new Store.Claim(List.of(), List.of("default"), 10, "w", Duration.ofSeconds(30),
                Map.of()), T0)).hasSize(2);
    }

    @Test
    void aClaimOfSeveralTypesTakesTheBestOfAllOfThemAndHonoursItsQueues() {
        Job echoOld = store.jobInsert(TestJobs.with(newJob("echo"), 1, T0.minusSeconds(30)), T0, Duration.ofDays(1)).job();
        store.jobInsert(TestJobs.with(newJob("echo"), 1, T0.minusSeconds(10)), T0, Duration.ofDays(1));
        store.jobInsert(TestJobs.with(newJob("echo"), 1, T0.minusSeconds(5)), T0, Duration.ofDays(1));
        Job sleepHigh = store.jobInsert(TestJobs.with(newJob("sleep"), 5, T0), T0, Duration.ofDays(1)).job();
        store.jobInsert(TestJobs.with(newJob("sleep"), 0, T0.minusSeconds(60)), T0, Duration.ofDays(1));
        Job elsewhere = store.jobInsert(inQueue(TestJobs.with(newJob("echo"), 9, T0), "gpu"), T0, Duration.ofDays(1)).job();

        List<Job> claimed = store.jobClaim(new Store.Claim(List.of("echo", "sleep"), List.of("default"), 2, "w",
                Duration.ofSeconds(30), Map.of()), T0);
        assertThat(claimed).extracting(Job::id).containsExactly(sleepHigh.id(), echoOld.id());

        List<Job> gpu = store.jobClaim(new Store.Claim(List.of("echo", "sleep"), List.of("gpu"), 10, "w",
                Duration.ofSeconds(30), Map.of()), T0);
        assertThat(gpu).extracting(Job::id).containsExactly(elsewhere.id());
        assertThat(store.jobClaim(claim(List.of("sleep", "echo"), 10), T0)).hasSize(3);
    }

    private static NewJob inQueue(NewJob j, String queue) {
        return new NewJob(j.tenant(), j.keyId(), j.type(), queue, j.priority(), j.title(), j.input(), j.metadata(),
                j.idempotencyKey(), j.requestHash(), j.batchId(), j.maxAttempts(), j.timeoutSeconds(), j.runAt(), j.inputs(),
                j.webhook(), j.traceparent());
    }

    @Test
    void claimNeverRunsMoreJobsOfATypeThanItsConcurrencyCap() {
        for (int i = 0; i < 5; i++) {
            jobs.queued("echo", T0);
        }
        var capped = new Store.Claim(List.of("echo"), List.of(), 10, "w", Duration.ofSeconds(30), Map.of("echo", 2));

        assertThat(store.jobClaim(capped, T0)).hasSize(2);
        assertThat(store.jobClaim(capped, T0)).isEmpty();
    }

    @Test
    void concurrentClaimersOnEveryNodeNeverReceiveTheSameJob() throws Exception {
        int total = 600;
        List<NewJob> batch = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            batch.add(newJob("echo"));
        }
        store.jobInsertBatch(JobId.generate().value(), TENANT, batch, T0, null).jobs();

        int threads = 12;
        List<Storage> nodes = new ArrayList<>(List.of(storage));
        nodes.addAll(otherNodes(2));
        Map<JobId, Integer> seen = new ConcurrentHashMap<>();
        AtomicInteger duplicates = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            String worker = "worker-" + t;
            Store node = nodes.get(t % nodes.size()).jobs();
            futures.add(pool.submit(() -> {
                start.await();
                while (true) {
                    List<Job> claimed = node.jobClaim(new Store.Claim(List.of("echo"), List.of(), 7, worker,
                            Duration.ofSeconds(30), Map.of()), T0);
                    if (claimed.isEmpty()) {
                        return null;
                    }
                    claimed.forEach(j -> {
                        if (seen.put(j.id(), 1) != null) {
                            duplicates.incrementAndGet();
                        }
                    });
                }
            }));
        }
        start.countDown();
        for (Future<?> f : futures) {
            f.get();
        }
        pool.shutdown();
        nodes.stream().filter(n -> n != storage).forEach(Storage::close);

        assertThat(duplicates).hasValue(0);
        assertThat(seen).hasSize(total);
    }

    // ---------------------------------------------------------------- heartbeat and finish

    @Test
    void aHeartbeatExtendsTheLeaseAndRecordsProgressOnlyForTheCurrentAttempt() {
        Job job = jobs.running("echo", T0);

        Job beat = store.jobHeartbeat(job.id(), 1, new Progress(0.5, "half"), T0.plusSeconds(60), T0.plusSeconds(5)).orElseThrow();
        assertThat(beat.leaseExpiresAt()).isEqualTo(T0.plusSeconds(60));
        assertThat(beat.progress()).isEqualTo(new Progress(0.5, "half"));

        Job kept = store.jobHeartbeat(job.id(), 1, Progress.NONE, T0.plusSeconds(70), T0.plusSeconds(6)).orElseThrow();
        assertThat(kept.progress()).isEqualTo(new Progress(0.5, "half"));

        assertThat(store.jobHeartbeat(job.id(), 2, Progress.NONE, T0.plusSeconds(90), T0.plusSeconds(7))).isEmpty();
    }

    @Test
    void heartbeatsOfManyJobsGoInOneCallEachAnsweredOnItsOwn() {
        Job first = jobs.running("echo", T0);
        Job second = jobs.running("echo", T0);
        Job done = jobs.running("echo", T0);
        store.jobFinish(done.id(), 1, false, Transition.succeed(TestJobs.json("{}"), 0), T0.plusSeconds(1));

        List<Optional<Job>> beats = store.jobHeartbeat(List.of(
                new Store.Beat(second.id(), 1, new Progress(0.25, "a quarter")),
                new Store.Beat(done.id(), 1, Progress.NONE),
                new Store.Beat(first.id(), 1, Progress.NONE),
                new Store.Beat(JobId.generate(), 1, Progress.NONE)), T0.plusSeconds(60), T0.plusSeconds(5));

        assertThat(beats).hasSize(4);
        assertThat(beats.get(0).orElseThrow().id()).isEqualTo(second.id());
        assertThat(beats.get(0).orElseThrow().progress()).isEqualTo(new Progress(0.25, "a quarter"));
        assertThat(beats.get(1)).isEmpty(); // no longer running
        assertThat(beats.get(2).orElseThrow().leaseExpiresAt()).isEqualTo(T0.plusSeconds(60));
        assertThat(beats.get(3)).isEmpty(); // no such job
        assertThat(store.jobGetAny(second.id()).orElseThrow().leaseExpiresAt()).isEqualTo(T0.plusSeconds(60));
        assertThat(store.jobEvents(second.tenant(), second.id())).extracting(JobEvent::kind).endsWith("progress");
        assertThat(store.jobEvents(first.tenant(), first.id())).extracting(JobEvent::kind).doesNotContain("progress");
        assertThatThrownBy(() -> store.jobHeartbeat(List.of(new Store.Beat(first.id(), 1, Progress.NONE),
                new Store.Beat(first.id(), 1, Progress.NONE)), T0.plusSeconds(60), T0.plusSeconds(6)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void finishingAStaleAttemptChangesNothing() {
        Job job = jobs.running("echo", T0);
        Transition done = Transition.succeed(TestJobs.json("{\"a\": 1}"), 0);

        assertThat(store.jobFinish(job.id(), 2, false, done, T0)).isEmpty();
        assertThat(store.jobFinish(job.id(), 1, true, done, T0)).as("decided on a cancel flag that is not set").isEmpty();
        assertThat(store.jobGetAny(job.id())).contains(job);

        Job finished = store.jobFinish(job.id(), 1, false, done, T0.plusSeconds(3)).orElseThrow();
        assertThat(finished.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(finished.result()).isEqualTo(TestJobs.json("{\"a\": 1}"));
        assertThat(finished.runMs()).isEqualTo(3000);
        assertThat(finished.endedAt()).isEqualTo(T0.plusSeconds(3));
        assertThat(finished.leaseExpiresAt()).isNull();

        assertThat(store.jobFinish(job.id(), 1, false, Transition.fail(new JobError("x", "y", false)), T0)).isEmpty();
        assertThat(store.jobGetAny(job.id()).orElseThrow().status()).isEqualTo(JobStatus.SUCCEEDED);
    }

    @Test
    void manyAttemptsEndInOneCallEachFencedOnItsOwn() {
        Job a = jobs.running("echo", T0);
        Job b = jobs.running("echo", T0);
        Job c = jobs.running("echo", T0);
        List<Store.Finish> finishes = List.of(
                new Store.Finish(a.id(), 1, false, Transition.succeed(TestJobs.json("{\"a\": 1}"), 2)),
                new Store.Finish(b.id(), 7, false, Transition.succeed(TestJobs.json("{}"), 0)),
                new Store.Finish(c.id(), 1, false, Transition.retry(new JobError("e", "m", true), T0.plusSeconds(5))));

        List<java.util.Optional<Job>> results = store.jobFinish(finishes, T0.plusSeconds(1));

        assertThat(results).hasSize(3);
        assertThat(results.get(0).orElseThrow().status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(results.get(0).orElseThrow().units()).isEqualTo(2);
        assertThat(results.get(1)).as("a stale attempt in the same call").isEmpty();
        assertThat(results.get(2).orElseThrow().runAt()).isEqualTo(T0.plusSeconds(5));
        assertThat(store.jobGetAny(b.id()).orElseThrow().status()).isEqualTo(JobStatus.RUNNING);
        assertThat(store.jobEvents(TENANT, c.id())).extracting(JobEvent::kind).endsWith("retry_scheduled");
        assertThat(store.jobGetMany(List.of(a.id(), b.id(), c.id()))).hasSize(3);
    }

    @Test
    void aRequeueKeepsTheAttemptCountButCanLeaveItUnspent() {
        Job job = jobs.running("echo", T0);

        Job retried = store.jobFinish(job.id(), 1, false,
                Transition.retry(new JobError("e", "m", true), T0.plusSeconds(10)), T0.plusSeconds(1)).orElseThrow();
        assertThat(retried.status()).isEqualTo(JobStatus.QUEUED);
        assertThat(retried.runAt()).isEqualTo(T0.plusSeconds(10));
        assertThat(retried.attemptsLeft()).isEqualTo(2);
        assertThat(retried.error().code()).isEqualTo("e");
        assertThat(store.jobClaim(claim(List.of("echo"), 1), T0.plusSeconds(9))).isEmpty();

        Job second = store.jobClaim(claim(List.of("echo"), 1), T0.plusSeconds(10)).getFirst();
        assertThat(second.attempt()).isEqualTo(2);
        Job givenBack = store.jobFinish(job.id(), 2, false, Transition.requeue(T0.plusSeconds(11), "given_back"),
                T0.plusSeconds(11)).orElseThrow();
        assertThat(givenBack.attempt()).isEqualTo(2);
        assertThat(givenBack.attemptsLeft()).as("a given-back attempt is not spent").isEqualTo(2);
    }

    @Test
    void aRescueAppliesOnlyWhileTheLeaseIsStillExpired() {
        Job job = jobs.running("echo", T0);
        Instant afterLease = T0.plusSeconds(31);
        assertThat(store.jobListExpired(T0.plusSeconds(29), 10)).isEmpty();
        assertThat(store.jobListExpired(afterLease, 10)).extracting(Job::id).containsExactly(job.id());

        store.jobHeartbeat(job.id(), 1, Progress.NONE, afterLease.plusSeconds(30), afterLease);
        Transition rescue = Transition.retry(new JobError("lease_expired", "m", true), afterLease).ifLeaseExpired();
        assertThat(store.jobFinish(job.id(), 1, false, rescue, afterLease)).isEmpty();

        assertThat(store.jobFinish(job.id(), 1, false, rescue, afterLease.plusSeconds(31))).isPresent();
    }

    // ---------------------------------------------------------------- cancel, retry, delete

    @Test
    void cancelEndsAQueuedJobAtOnceAndFlagsARunningOne() {
        Job queued = jobs.queued("echo", T0);
        Job running = jobs.running("sleep", T0);
        Job done = jobs.succeeded("text.stats", T0);

        Job cancelled = store.jobCancel(TENANT, queued.id(), T0.plusSeconds(1)).orElseThrow();
        assertThat(cancelled.status()).isEqualTo(JobStatus.CANCELLED);
        assertThat(cancelled.endedAt()).isEqualTo(T0.plusSeconds(1));

        Job flagged = store.jobCancel(TENANT, running.id(), T0.plusSeconds(1)).orElseThrow();
        assertThat(flagged.status()).isEqualTo(JobStatus.RUNNING);
        assertThat(flagged.cancelRequested()).isTrue();

        assertThat(store.jobCancel(TENANT, done.id(), T0)).isEmpty();
        assertThat(store.jobCancel(TENANT, running.id(), T0)).as("already flagged").isEmpty();
        assertThat(store.jobCancel("other", queued.id(), T0)).isEmpty();
    }

    @Test
    void retryQueuesAFailedJobWithAFreshBudget() {
        Job failed = jobs.failed("echo", T0);
        Job queued = jobs.queued("sleep", T0);

        Job retried = store.jobRetry(TENANT, failed.id(), T0.plusSeconds(5)).orElseThrow();
        assertThat(retried.status()).isEqualTo(JobStatus.QUEUED);
        assertThat(retried.error()).isNull();
        assertThat(retried.endedAt()).isNull();
        assertThat(retried.attemptsLeft()).isEqualTo(retried.maxAttempts());
        assertThat(store.jobRetry(TENANT, queued.id(), T0)).isEmpty();
        assertThat(store.jobRetry("other", failed.id(), T0)).isEmpty();
    }

    @Test
    void deleteRemovesAJobThatIsNotRunningWithItsHistory() {
        Job done = jobs.succeeded("echo", T0);
        Job running = jobs.running("sleep", T0);

        assertThat(store.jobDelete("other", done.id(), T0)).isFalse();
        assertThat(store.jobDelete(TENANT, running.id(), T0)).isFalse();
        assertThat(store.jobDelete(TENANT, done.id(), T0)).isTrue();
        assertThat(store.jobGet(TENANT, done.id())).isEmpty();
        assertThat(store.jobEvents(TENANT, done.id())).isEmpty();
    }

    // ---------------------------------------------------------------- history, lists, batches

    @Test
    void everyChangeOfAJobIsRecordedInItsHistoryInOrder() {
        Job job = jobs.succeeded("echo", T0);
        List<JobEvent> events = store.jobEvents(TENANT, job.id());

        assertThat(events).extracting(JobEvent::kind).containsExactly("submitted", "started", "succeeded");
        assertThat(events).extracting(JobEvent::status)
                .containsExactly(JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.SUCCEEDED);
        assertThat(events).extracting(JobEvent::seq).isSorted();
        assertThat(store.jobEvents("other", job.id())).isEmpty();
    }

    @Test
    void aListPagesThroughEveryMatchingJobOnceNewestFirst() {
        Set<JobId> made = new HashSet<>();
        for (int i = 0; i < 25; i++) {
            made.add(jobs.queued(i % 2 == 0 ? "echo" : "sleep", T0).id());
        }
        store.jobInsert(TestJobs.forTenant(newJob("echo"), "other"), T0, Duration.ofDays(1));

        List<JobId> seen = new ArrayList<>();
        JobId cursor = null;
        while (true) {
            Page<Job> page = store.jobList(new JobQuery(TENANT, Set.of(), null, null, null, null, null, Map.of(), cursor, 10));
            page.items().forEach(j -> seen.add(j.id()));
            if (!page.hasMore()) {
                break;
            }
            cursor = page.items().getLast().id();
        }
        assertThat(seen).hasSize(25).doesNotHaveDuplicates().isSortedAccordingTo(java.util.Comparator.reverseOrder());
        assertThat(new HashSet<>(seen)).isEqualTo(made);

        Page<Job> echoes = store.jobList(new JobQuery(TENANT, Set.of(JobStatus.QUEUED), "echo", "default", null,
                T0.minusSeconds(1), T0.plusSeconds(1), Map.of(), null, 100));
        assertThat(echoes.items()).hasSize(13).allMatch(j -> j.type().equals("echo"));
        assertThat(store.jobList(new JobQuery(TENANT, Set.of(JobStatus.RUNNING), null, null, null, null, null,
                Map.of(), null, 100)).items()).isEmpty();
    }

    @Test
    void aListFiltersOnMetadata() {
        Job red = store.jobInsert(TestJobs.withMetadata(newJob("echo"), Map.of("color", "red", "size", "L")), T0,
                Duration.ofDays(1)).job();
        store.jobInsert(TestJobs.withMetadata(newJob("echo"), Map.of("color", "blue")), T0, Duration.ofDays(1));

        assertThat(store.jobList(new JobQuery(TENANT, Set.of(), null, null, null, null, null,
                Map.of("color", "red", "size", "L"), null, 10)).items()).extracting(Job::id).containsExactly(red.id());
        assertThat(store.jobList(new JobQuery(TENANT, Set.of(), null, null, null, null, null,
                Map.of("color", "green"), null, 10)).items()).isEmpty();
    }

    @Test
    void aBatchsJobsAreStoredExactlyAsReturnedEveryFieldInItsColumn() {
        NewJob plain = newJob("echo");
        NewJob full = TestJobs.withWebhook(TestJobs.withIdempotency(TestJobs.withMetadata(
                TestJobs.with(newJob("sleep"), 7, T0.plusSeconds(90)), Map.of("customer", "acme")), "key-1", "hash-1"),
                new dev.spool.job.JobWebhook("https://example.com/hook", Set.of(dev.spool.job.WebhookEvent.SUCCEEDED), "native"));
        List<Job> members = store.jobInsertBatch(JobId.generate().value(), TENANT, List.of(plain, full, plain), T0, null).jobs();

        for (Job returned : members) {
            assertThat(store.jobGet(TENANT, returned.id())).hasValue(returned);
        }
        Job stored = store.jobGet(TENANT, members.get(1).id()).orElseThrow();
        assertThat(stored.priority()).isEqualTo(7);
        assertThat(stored.runAt()).isEqualTo(T0.plusSeconds(90));
        assertThat(stored.metadata()).containsEntry("customer", "acme");
        assertThat(stored.idempotencyKey()).isEqualTo("key-1");
        assertThat(stored.webhook().url()).isEqualTo("https://example.com/hook");
        assertThat(stored.type()).isEqualTo("sleep");
        assertThat(store.jobGet(TENANT, members.get(0).id()).orElseThrow().webhook()).isNull();
    }

    @Test
    void aBatchIsStoredWholeAndCountsItsMembersByStatus() {
        String batchId = JobId.generate().value();
        List<Job> members = store.jobInsertBatch(batchId, TENANT, List.of(newJob("echo"), newJob("echo"), newJob("sleep")), T0, null).jobs();
        store.jobCancel(TENANT, members.get(2).id(), T0);

        var batch = store.batchGet(TENANT, batchId).orElseThrow();
        assertThat(batch.members()).hasSize(3);
        assertThat(batch.counts()).containsEntry(JobStatus.QUEUED, 2L).containsEntry(JobStatus.CANCELLED, 1L);
        assertThat(members).allMatch(j -> batchId.equals(j.batchId()));
        assertThat(store.batchGet("other", batchId)).isEmpty();
    }


    private Page<Job> list(int limit) {
        return store.jobList(new JobQuery(TENANT, Set.of(), null, null, null, null, null, Map.of(), null, limit));
    }
}
