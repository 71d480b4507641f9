package dev.spool.store;

import static dev.spool.testing.TestJobs.TENANT;
import static dev.spool.testing.TestJobs.claim;
import static dev.spool.testing.TestJobs.newJob;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spool.job.ApiKey;
import dev.spool.job.Delivery;
import dev.spool.job.JobWebhook;
import dev.spool.job.WebhookEndpoint;
import dev.spool.job.WebhookEvent;
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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link Store} must do. Each database's test extends this class and says only how to
 * open (and reopen) its store.
 */
public abstract class StoreContract {
    protected static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

    protected Store store;
    protected TestJobs jobs;

    /** A fresh, empty store. */
    protected abstract Store open();

    /** Closes the store and opens the same database again. */
    protected abstract Store reopen(Store store);

    /**
     * More stores on the same database, as other nodes would open them; none where the database
     * allows only one process (SQLite). The caller closes them.
     */
    protected List<Store> otherNodes(int count) {
        return List.of();
    }

    @BeforeEach
    void setUp() {
        store = open();
        jobs = new TestJobs(store);
    }

    @AfterEach
    void tearDown() {
        store.close();
    }

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
        store = reopen(store);
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
        List<Store> nodes = new ArrayList<>(List.of(store));
        nodes.addAll(otherNodes(1));
        Store other = nodes.getLast();
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
            nodes.stream().filter(n -> n != store).forEach(Store::close);
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
        store.jobInsertBatch(JobId.generate().value(), TENANT, batch, T0);

        int threads = 12;
        List<Store> nodes = new ArrayList<>(List.of(store));
        nodes.addAll(otherNodes(2));
        Map<JobId, Integer> seen = new ConcurrentHashMap<>();
        AtomicInteger duplicates = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            String worker = "worker-" + t;
            Store node = nodes.get(t % nodes.size());
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
        nodes.stream().filter(n -> n != store).forEach(Store::close);

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
    void aBatchIsStoredWholeAndCountsItsMembersByStatus() {
        String batchId = JobId.generate().value();
        List<Job> members = store.jobInsertBatch(batchId, TENANT, List.of(newJob("echo"), newJob("echo"), newJob("sleep")), T0);
        store.jobCancel(TENANT, members.get(2).id(), T0);

        var batch = store.batchGet(TENANT, batchId).orElseThrow();
        assertThat(batch.members()).hasSize(3);
        assertThat(batch.counts()).containsEntry(JobStatus.QUEUED, 2L).containsEntry(JobStatus.CANCELLED, 1L);
        assertThat(members).allMatch(j -> batchId.equals(j.batchId()));
        assertThat(store.batchGet("other", batchId)).isEmpty();
    }

    // ---------------------------------------------------------------- workers and logs

    @Test
    void workersAreListedWithTheJobsTheyHold() {
        store.workerSeen("host-1:42", "gpu box", "key_w", List.of("transcribe"), T0);
        store.workerSeen("host-2:7", "old box", "key_w", List.of("render"), T0.minusSeconds(600));
        store.jobInsert(newJob("transcribe"), T0, Duration.ofDays(1));
        store.jobClaim(new Store.Claim(List.of("transcribe"), List.of(), 1, "host-1:42", Duration.ofSeconds(30), Map.of()), T0);
        store.workerSeen("host-1:42", "gpu box", "key_w", List.of("transcribe", "align"), T0.plusSeconds(5));

        var seen = store.workerList(T0.minusSeconds(60));
        assertThat(seen).hasSize(1);
        var worker = seen.getFirst();
        assertThat(worker.id()).isEqualTo("host-1:42");
        assertThat(worker.types()).containsExactly("transcribe", "align");
        assertThat(worker.firstSeen()).isEqualTo(T0);
        assertThat(worker.lastSeen()).isEqualTo(T0.plusSeconds(5));
        assertThat(worker.jobsInHand()).isEqualTo(1);
        assertThat(store.workerList(T0.minus(Duration.ofHours(1)))).hasSize(2);
    }

    @Test
    void logLinesAreAppendedOnlyByTheCurrentAttemptAndSeenOnlyByTheTenant() {
        Job job = jobs.running("echo", T0);

        assertThat(store.jobLogAppend(job.id(), 1, List.of("loading model", "50% done"), T0.plusSeconds(1))).isTrue();
        assertThat(store.jobLogAppend(job.id(), 2, List.of("from a stale attempt"), T0.plusSeconds(2))).isFalse();

        assertThat(store.jobLogs(TENANT, job.id(), 100)).extracting(l -> l.line()).containsExactly("loading model", "50% done");
        assertThat(store.jobLogs(TENANT, job.id(), 1)).hasSize(1);
        assertThat(store.jobLogs("other", job.id(), 100)).isEmpty();

        store.jobFinish(job.id(), 1, false, Transition.succeed(TestJobs.json("{}"), 0), T0.plusSeconds(3));
        assertThat(store.jobLogAppend(job.id(), 1, List.of("too late"), T0.plusSeconds(4))).isFalse();
        store.jobDelete(TENANT, job.id(), T0);
        assertThat(store.jobLogs(TENANT, job.id(), 100)).isEmpty();
    }

    // ---------------------------------------------------------------- artifacts and secrets

    private static dev.spool.job.Artifact output(Job job, int attempt, String name, long size) {
        return new dev.spool.job.Artifact(job.id(), dev.spool.job.Artifact.Kind.OUTPUT, name, attempt, "image/png", size,
                "a".repeat(64), T0);
    }

    @Test
    void outputFilesAreRecordedOnlyForTheCurrentAttemptAndWithinTheJobsLimits() {
        Job job = jobs.running("echo", T0);

        assertThat(store.artifactAdd(output(job, 1, "a.png", 10), 2, 100)).isTrue();
        assertThat(store.artifactAdd(output(job, 2, "stale.png", 10), 2, 100)).isFalse();
        assertThat(store.artifactAdd(output(job, 1, "a.png", 20), 2, 100)).as("the same name replaces").isTrue();
        assertThat(store.artifactAdd(output(job, 1, "b.png", 20), 2, 100)).isTrue();
        assertThatThrownBy(() -> store.artifactAdd(output(job, 1, "c.png", 1), 2, 100))
                .isInstanceOfSatisfying(SpoolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.PAYLOAD_TOO_LARGE));
        assertThatThrownBy(() -> store.artifactAdd(output(job, 1, "b.png", 81), 2, 100)).isInstanceOf(SpoolException.class);

        assertThat(store.artifactList(TENANT, job.id())).extracting(dev.spool.job.Artifact::name).containsExactly("a.png", "b.png");
        assertThat(store.artifactList(TENANT, job.id()).getFirst().size()).isEqualTo(20);
        assertThat(store.artifactList("other", job.id())).isEmpty();
        assertThat(store.artifactGetAny(job.id(), "b.png")).isPresent();

        store.jobFinish(job.id(), 1, false, Transition.succeed(TestJobs.json("{}"), 0), T0);
        store.jobDelete(TENANT, job.id(), T0);
        assertThat(store.artifactGetAny(job.id(), "b.png")).isEmpty();
    }

    @Test
    void finishedJobsArePrunedByTypeOnceTheirRetentionPassedAndTheirFilesBecomeOrphans() {
        Job oldEcho = jobs.running("echo", T0);
        store.artifactAdd(output(oldEcho, 1, "a.png", 10), 10, 1000);
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

        assertThat(store.blobOrphansDue(later, 10)).as("orphaned at 'later': not yet past any grace").isEmpty();
        later = later.plusSeconds(1);
        assertThat(store.blobOrphansDue(later, 10)).containsExactly("a".repeat(64));
        store.blobOrphanForget("a".repeat(64));
        assertThat(store.blobOrphansDue(later, 10)).isEmpty();
    }

    @Test
    void anOrphanReferencedAgainIsNoLongerDue() {
        Job first = jobs.running("echo", T0);
        store.artifactAdd(output(first, 1, "a.png", 10), 10, 1000);
        store.jobFinish(first.id(), 1, false, Transition.succeed(TestJobs.json("{}"), 0), T0);
        store.jobDelete(TENANT, first.id(), T0);
        Job second = jobs.running("echo", T0);
        store.artifactAdd(output(second, 1, "same-bytes.png", 10), 10, 1000);

        assertThat(store.blobOrphansDue(T0.plus(Duration.ofDays(1)), 10)).isEmpty();
    }

    @Test
    void aSharedSecretIsMadeOnceAndThenKept() {
        byte[] first = store.secret("signing", () -> new byte[] {1, 2, 3});
        byte[] second = store.secret("signing", () -> new byte[] {9});
        assertThat(first).containsExactly(1, 2, 3);
        assertThat(second).containsExactly(1, 2, 3);
    }


    // ---------------------------------------------------------------- webhooks and the event feed

    private WebhookEndpoint endpoint(String id, String tenant, Set<WebhookEvent> events) {
        WebhookEndpoint e = new WebhookEndpoint(id, tenant, "https://hooks.example.com/" + id, events, null, "native",
                null, null, T0, T0);
        store.webhookInsert(e, "whsec_" + id);
        return e;
    }

    private List<Delivery> deliveries(JobId job) {
        return store.deliveryList(TENANT, null, job, null, 100).items();
    }

    @Test
    void eventsWriteTheirDeliveriesInTheirOwnTransactionForEverySubscribedReceiver() {
        endpoint("wh_a", TENANT, Set.of(WebhookEvent.STARTED, WebhookEvent.SUCCEEDED));
        endpoint("wh_other", "someone-else", Set.of(WebhookEvent.values()));
        NewJob hooked = TestJobs.withWebhook(TestJobs.with(newJob("echo"), NewJob.MAX_PRIORITY, null),
                new JobWebhook("https://own.example.com/x", Set.of(WebhookEvent.SUCCEEDED), "native"));
        Job job = store.jobInsert(hooked, T0, Duration.ofDays(1)).job();
        assertThat(job.webhook().url()).isEqualTo("https://own.example.com/x");
        assertThat(deliveries(job.id())).isEmpty(); // 'submitted' is not a webhook event

        Job running = store.jobClaim(claim(List.of("echo"), 1), T0).getFirst();
        store.jobFinish(running.id(), running.attempt(), false, Transition.succeed(TestJobs.json("{}"), 0), T0.plusSeconds(1));

        List<Delivery> all = deliveries(job.id());
        assertThat(all).extracting(Delivery::target, Delivery::eventType).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple("wh_a", "job.started"),
                org.assertj.core.groups.Tuple.tuple("wh_a", "job.succeeded"),
                org.assertj.core.groups.Tuple.tuple(Delivery.JOB_TARGET, "job.succeeded"));
        assertThat(all).allMatch(d -> d.state() == Delivery.State.PENDING && d.payload().contains(job.id().value()));
        assertThat(store.deliveryList("someone-else", null, null, null, 100).items()).isEmpty();
        assertThat(store.eventsBetween(0, Long.MAX_VALUE, TENANT, job.id(), 100)).extracting(e -> e.event().kind())
                .containsExactly("submitted", "started", "succeeded");
        assertThat(store.eventsBetween(0, Long.MAX_VALUE, "someone-else", null, 100)).isEmpty();
    }

    @Test
    void deliveriesAreLeasedOnceAndOneAtATimePerJobAndReceiverInTheirOrder() {
        endpoint("wh_a", TENANT, Set.of(WebhookEvent.STARTED, WebhookEvent.SUCCEEDED));
        Job running = jobs.running("echo", T0);
        store.jobFinish(running.id(), running.attempt(), false, Transition.succeed(TestJobs.json("{}"), 0), T0);
        Duration lease = Duration.ofSeconds(30);

        List<Delivery> first = store.deliveryClaim(T0, lease, 10);
        assertThat(first).extracting(Delivery::eventType).containsExactly("job.started"); // succeeded waits its turn
        assertThat(store.deliveryClaim(T0, lease, 10)).isEmpty(); // leased

        store.deliveryTried(first.getFirst(), new Delivery.Tried(500, "no", "HTTP 500", 3), T0.plusSeconds(5), T0);
        assertThat(store.deliveryClaim(T0.plusSeconds(4), lease, 10)).isEmpty(); // not due yet, and still first in line
        List<Delivery> retried = store.deliveryClaim(T0.plusSeconds(5), lease, 10);
        assertThat(retried).extracting(Delivery::id).containsExactly(first.getFirst().id());
        store.deliveryTried(retried.getFirst(), new Delivery.Tried(204, "", null, 2), null, T0.plusSeconds(5));

        List<Delivery> next = store.deliveryClaim(T0.plusSeconds(5), lease, 10);
        assertThat(next).extracting(Delivery::eventType).containsExactly("job.succeeded");
        assertThat(store.deliveryGet(TENANT, first.getFirst().id()).orElseThrow().state()).isEqualTo(Delivery.State.DELIVERED);
        assertThat(store.deliveryAttempts(first.getFirst().id())).extracting(Delivery.Attempt::status).containsExactly(500, 204);
        // A lease that ran out (its node died mid-try) lets the delivery be leased again.
        assertThat(store.deliveryClaim(T0.plusSeconds(40), lease, 10)).extracting(Delivery::id).containsExactly(next.getFirst().id());
    }

    @Test
    void aGoneReceiverDisablesItsEndpointAndAGivenUpDeliveryFails() {
        endpoint("wh_a", TENANT, Set.of(WebhookEvent.STARTED));
        jobs.running("echo", T0);
        Delivery d = store.deliveryClaim(T0, Duration.ofSeconds(30), 10).getFirst();
        store.deliveryTried(d, new Delivery.Tried(410, "", "HTTP 410", 1), T0.plusSeconds(5), T0);

        assertThat(store.webhookGet(TENANT, "wh_a").orElseThrow().enabled()).isFalse();
        assertThat(store.deliveryGet(TENANT, d.id()).orElseThrow().state()).isEqualTo(Delivery.State.FAILED);
        jobs.running("echo", T0); // a disabled endpoint gets no new deliveries
        assertThat(store.deliveryList(TENANT, "wh_a", null, null, 10).items()).hasSize(1);

        assertThat(store.deliveryReplay("someone-else", d.id(), T0)).isEmpty();
        assertThat(store.deliveryReplay(TENANT, d.id(), T0).orElseThrow().state()).isEqualTo(Delivery.State.PENDING);
        assertThat(store.deliveryClaim(T0, Duration.ofSeconds(30), 10)).isEmpty(); // held while disabled
        WebhookEndpoint e = store.webhookGet(TENANT, "wh_a").orElseThrow();
        store.webhookUpdate(new WebhookEndpoint(e.id(), TENANT, e.url(), e.events(), null, e.format(), null, null,
                e.createdAt(), T0));
        assertThat(store.deliveryClaim(T0, Duration.ofSeconds(30), 10)).extracting(Delivery::id).containsExactly(d.id());
    }

    @Test
    void concurrentDispatchersNeverLeaseTheSameDelivery() throws Exception {
        endpoint("wh_a", TENANT, Set.of(WebhookEvent.STARTED));
        for (int i = 0; i < 60; i++) {
            jobs.running("echo", T0);
        }
        List<Store> nodes = new ArrayList<>(otherNodes(2));
        nodes.add(store);
        Set<String> leased = ConcurrentHashMap.newKeySet();
        AtomicInteger total = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(nodes.size() * 2);
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (int t = 0; t < nodes.size() * 2; t++) {
                Store s = nodes.get(t % nodes.size());
                runs.add(pool.submit(() -> {
                    for (List<Delivery> got; !(got = s.deliveryClaim(T0, Duration.ofSeconds(30), 7)).isEmpty(); ) {
                        got.forEach(d -> leased.add(d.id()));
                        total.addAndGet(got.size());
                    }
                }));
            }
            for (Future<?> f : runs) {
                f.get();
            }
        } finally {
            pool.shutdown();
            nodes.stream().filter(n -> n != store).forEach(Store::close);
        }
        assertThat(leased).hasSize(60);
        assertThat(total.get()).isEqualTo(60);
    }

    @Test
    void aRotatedSecretKeepsThePreviousOneForTheOverlap() {
        var first = store.signingSecret("tenant:" + TENANT, () -> "whsec_one");
        assertThat(store.signingSecret("tenant:" + TENANT, () -> "whsec_other").current()).isEqualTo(first.current());
        var rotated = store.signingRotate("tenant:" + TENANT, "whsec_two", () -> "whsec_unused", T0.plusSeconds(60));
        assertThat(rotated.valid(T0)).containsExactly("whsec_two", "whsec_one");
        assertThat(rotated.valid(T0.plusSeconds(60))).containsExactly("whsec_two");
    }

    // ---------------------------------------------------------------- keys

    @Test
    void keysAreFoundByPrefixListedAndRevoked() {
        ApiKey key = new ApiKey("key_1", TENANT, "ci", ApiKey.Role.TENANT, "abcdefghijkl", new byte[] {1, 2, 3}, T0, null);
        store.keyInsert(key);

        ApiKey found = store.keyByPrefix("abcdefghijkl").orElseThrow();
        assertThat(found.hash()).containsExactly(1, 2, 3);
        assertThat(found.revoked()).isFalse();
        assertThat(store.keyList(TENANT)).extracting(ApiKey::id).containsExactly("key_1");
        assertThat(store.keyList("other")).isEmpty();
        assertThat(store.keyCount()).isEqualTo(1);

        assertThat(store.keyRevoke("key_1", T0.plusSeconds(1))).isTrue();
        assertThat(store.keyRevoke("key_1", T0.plusSeconds(2))).isTrue();
        assertThat(store.keyByPrefix("abcdefghijkl").orElseThrow().revokedAt()).isEqualTo(T0.plusSeconds(1));
        assertThat(store.keyRevoke("key_missing", T0)).isFalse();
    }

    private Page<Job> list(int limit) {
        return store.jobList(new JobQuery(TENANT, Set.of(), null, null, null, null, null, Map.of(), null, limit));
    }
}
