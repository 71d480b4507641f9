package dev.spool.store;

import static dev.spool.testing.TestJobs.claim;
import static dev.spool.testing.TestJobs.forTenant;
import static dev.spool.testing.TestJobs.newJob;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spool.job.ErrorCode;
import dev.spool.job.Job;
import dev.spool.job.JobError;
import dev.spool.job.JobId;
import dev.spool.job.JobStatus;
import dev.spool.job.NewJob;
import dev.spool.job.Price;
import dev.spool.job.SpoolException;
import dev.spool.job.Transition;
import dev.spool.job.Usage;
import dev.spool.limit.Quotas;
import dev.spool.limit.TenantStore;
import dev.spool.testing.TestJobs;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** What every database must do for tenants: fair claims, quotas held inside its transactions, usage as jobs end. */
public abstract class TenantStoreContract extends StorageContract {
    /** Quotas from two maps, for the tests. */
    record TestQuotas(Map<String, Long> queued, Map<String, Long> running) implements Quotas {
        @Override
        public long maxQueued(String tenant) {
            return queued.getOrDefault(tenant, 0L);
        }

        @Override
        public long maxRunning(String tenant) {
            return running.getOrDefault(tenant, 0L);
        }

        @Override
        public boolean capsRunning() {
            return !running.isEmpty();
        }
    }

    private static List<NewJob> many(String tenant, String type, int n) {
        List<NewJob> batch = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            batch.add(forTenant(newJob(type), tenant));
        }
        return batch;
    }

    // ---------------------------------------------------------------- fair share

    @Test
    void aTenantsSingleJobIsClaimedInTheFirstClaimBehindAnotherTenantsThousands() {
        store.jobInsertBatch(JobId.generate().value(), "flood", many("flood", "echo", 5_000), T0, null).jobs();
        Job single = store.jobInsert(forTenant(newJob("echo"), "single"), T0.plusSeconds(1), Duration.ofDays(1)).job();

        List<Job> first = store.jobClaim(claim(List.of("echo"), 8), T0.plusSeconds(2));

        assertThat(first).extracting(Job::id).contains(single.id());
        assertThat(first).hasSize(8); // the single job, and the flood's turns fill the rest
        assertThat(first.stream().filter(j -> j.tenant().equals("flood"))).hasSize(7);
    }

    @Test
    void tenantsWithQueuedWorkTakeTurnsWithinAPriorityAndPriorityStillComesFirst() {
        store.jobInsertBatch(JobId.generate().value(), "a", many("a", "echo", 20), T0, null).jobs();
        store.jobInsertBatch(JobId.generate().value(), "b", many("b", "echo", 20), T0.plusSeconds(1), null);
        Job urgent = store.jobInsert(TestJobs.with(forTenant(newJob("echo"), "a"), 5, null), T0.plusSeconds(2),
                Duration.ofDays(1)).job();

        List<Job> claimed = store.jobClaim(claim(List.of("echo"), 9), T0.plusSeconds(3));

        assertThat(claimed.getFirst().id()).isEqualTo(urgent.id());
        assertThat(claimed).hasSize(9);
        long a = claimed.stream().filter(j -> j.tenant().equals("a")).count();
        assertThat(a - 1).isBetween(3L, 5L); // the rest of the claim shared: 4 or 5 of 8 each
        // A claim naming no type, and one naming a queue, share as well.
        List<Job> any = store.jobClaim(new Store.Claim(List.of(), List.of(), 6, "w", Duration.ofSeconds(30), Map.of()),
                T0.plusSeconds(3));
        assertThat(any.stream().filter(j -> j.tenant().equals("a")).count()).isEqualTo(3);
        List<Job> byQueue = store.jobClaim(new Store.Claim(List.of(), List.of("default"), 6, "w", Duration.ofSeconds(30),
                Map.of()), T0.plusSeconds(3));
        assertThat(byQueue.stream().filter(j -> j.tenant().equals("b")).count()).isEqualTo(3);
    }

    // ---------------------------------------------------------------- quotas

    /** Something one task does on one node. */
    @FunctionalInterface
    interface NodeTask {
        void run(Store node) throws Exception;
    }

    /**
     * Runs {@code tasks} tasks at once on {@code threads} threads, spread over this node and another
     * one (where the database allows several), every node held to {@code quotas}.
     */
    private void atOnceOnEveryNode(Quotas quotas, int tasks, int threads, NodeTask task) throws Exception {
        List<Storage> nodes = new ArrayList<>(List.of(storage));
        nodes.addAll(otherNodes(1));
        nodes.forEach(n -> n.useRules(quotas, t -> Price.FREE));
        CountDownLatch go = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < tasks; i++) {
                Store node = nodes.get(i % nodes.size()).jobs();
                futures.add(pool.submit(() -> {
                    go.await();
                    task.run(node);
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            nodes.stream().filter(n -> n != storage).forEach(Storage::close);
        }
    }

    @Test
    void aQueuedQuotaRefusesExactlyAtItsBoundUnderConcurrentSubmitsOnEveryNode() throws Exception {
        long quota = 40;
        AtomicInteger created = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        atOnceOnEveryNode(new TestQuotas(Map.of("capped", quota), Map.of()), 120, 16, node -> {
            try {
                node.jobInsert(forTenant(newJob("echo"), "capped"), T0, Duration.ofDays(1));
                created.incrementAndGet();
            } catch (SpoolException e) {
                assertThat(e.code()).isEqualTo(ErrorCode.QUOTA_EXCEEDED);
                refused.incrementAndGet();
            }
        });

        assertThat(created).hasValue((int) quota);
        assertThat(refused).hasValue(120 - (int) quota);
        assertThat(storage.tenants().held("capped").queued()).isEqualTo(quota);
        // A batch that would pass the bound is refused whole; another tenant is not held to it.
        assertThatThrownBy(() -> store.jobInsertBatch(JobId.generate().value(), "capped", many("capped", "echo", 2), T0, null).jobs())
                .isInstanceOfSatisfying(SpoolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.QUOTA_EXCEEDED));
        assertThat(storage.tenants().held("capped").queued()).isEqualTo(quota);
        store.jobInsertBatch(JobId.generate().value(), "free", many("free", "echo", 50), T0, null).jobs();
        // Once some start, there is room again.
        assertThat(store.jobClaim(new Store.Claim(List.of("echo"), List.of(), 100, "w", Duration.ofSeconds(30), Map.of()), T0))
                .isNotEmpty();
        store.jobInsert(forTenant(newJob("echo"), "capped"), T0, Duration.ofDays(1));
    }

    @Test
    void theQueuedCountAQuotaReadsFollowsEveryWayAJobMoves() {
        TenantStore tenants = storage.tenants();
        store.jobInsertBatch(JobId.generate().value(), TestJobs.TENANT, many(TestJobs.TENANT, "echo", 6), T0, null).jobs();
        jobs.queued("echo", T0);
        assertThat(tenants.held(TestJobs.TENANT).queued()).isEqualTo(7);
        List<Job> claimed = store.jobClaim(claim(List.of("echo"), 4), T0);
        assertThat(tenants.held(TestJobs.TENANT).queued()).isEqualTo(3);
        // back to the queue: a retry scheduled, a release; ended: a failure, a success
        store.jobFinish(claimed.get(0).id(), claimed.get(0).attempt(), false,
                Transition.retry(new JobError("e", "again", true), T0.plusSeconds(1)), T0);
        store.jobFinish(claimed.get(1).id(), claimed.get(1).attempt(), false, Transition.requeue(T0, "released"), T0);
        store.jobFinish(claimed.get(2).id(), claimed.get(2).attempt(), false, Transition.fail(new JobError("e", "no", false)), T0);
        store.jobFinish(claimed.get(3).id(), claimed.get(3).attempt(), false, Transition.succeed(TestJobs.json("{}"), 0), T0);
        assertThat(tenants.held(TestJobs.TENANT).queued()).isEqualTo(5);
        store.jobRetry(TestJobs.TENANT, claimed.get(2).id(), T0);
        assertThat(tenants.held(TestJobs.TENANT).queued()).isEqualTo(6);
        List<Job> queued = store.jobList(new dev.spool.job.JobQuery(TestJobs.TENANT, Set.of(JobStatus.QUEUED), null, null, null,
                null, null, Map.of(), null, 100)).items();
        assertThat(queued).hasSize(6);
        store.jobCancel(TestJobs.TENANT, queued.get(0).id(), T0);
        store.jobDelete(TestJobs.TENANT, queued.get(1).id(), T0);
        assertThat(tenants.held(TestJobs.TENANT).queued()).isEqualTo(4);
        store.jobPruneFinished(new Store.Prune(null, Set.of(), T0.plusSeconds(1), 100), T0.plusSeconds(1));
        assertThat(tenants.held(TestJobs.TENANT).queued()).isEqualTo(4);
        assertThat(tenants.held("nobody").queued()).isZero();
    }

    @Test
    void aRunningQuotaHoldsAcrossConcurrentClaimersOnEveryNode() throws Exception {
        store.jobInsertBatch(JobId.generate().value(), "capped", many("capped", "echo", 30), T0, null).jobs();
        store.jobInsertBatch(JobId.generate().value(), "free", many("free", "echo", 30), T0, null).jobs();
        Map<JobId, Job> claimed = new ConcurrentHashMap<>();
        atOnceOnEveryNode(new TestQuotas(Map.of(), Map.of("capped", 4L)), 8, 8, node -> {
            for (int i = 0; i < 10; i++) {
                node.jobClaim(new Store.Claim(List.of("echo"), List.of(), 3, "w", Duration.ofSeconds(30), Map.of()), T0)
                        .forEach(j -> claimed.put(j.id(), j));
            }
        });

        assertThat(claimed.values().stream().filter(j -> j.tenant().equals("capped"))).hasSize(4);
        assertThat(claimed.values().stream().filter(j -> j.tenant().equals("free"))).hasSize(30);
        assertThat(storage.tenants().held("capped").running()).isEqualTo(4);
        // One ends: one more may start.
        Job one = claimed.values().stream().filter(j -> j.tenant().equals("capped")).findFirst().orElseThrow();
        store.jobFinish(one.id(), one.attempt(), false, Transition.succeed(TestJobs.json("{}"), 0), T0);
        assertThat(store.jobClaim(claim(List.of("echo"), 10), T0)).hasSize(1);
    }

    // ---------------------------------------------------------------- usage

    @Test
    void usageAddsUpEveryEndedJobExactlyAndOutlivesTheJobs() {
        Price price = new Price(new BigDecimal("0.01"), new BigDecimal("0.000333"), new BigDecimal("0.0000007"), "EUR");
        storage.useRules(Quotas.NONE, type -> type.equals("priced") ? price : Price.FREE);
        List<Job> ended = new ArrayList<>();
        // Succeeded with units, after a failed attempt that was retried (its run time counts too).
        Job first = run("priced", 0);
        Job retrying = store.jobFinish(first.id(), first.attempt(), false,
                Transition.retry(new JobError("flaky", "try again", true), T0.plusSeconds(1)), T0.plusMillis(1_234)).orElseThrow();
        assertThat(retrying.status()).isEqualTo(JobStatus.QUEUED);
        Job again = store.jobClaim(claim(List.of("priced"), 1), T0.plusSeconds(2)).getFirst();
        ended.add(store.jobFinish(again.id(), again.attempt(), false, Transition.succeed(TestJobs.json("{}"), 1_234_567),
                T0.plusSeconds(2).plusMillis(777)).orElseThrow());
        // Failed, then retried by hand and succeeded: billed twice, the second time only the difference.
        Job failing = run("priced", 3);
        Job failed = store.jobFinish(failing.id(), failing.attempt(), false, Transition.fail(new JobError("boom", "no", false)),
                T0.plusSeconds(3).plusMillis(500)).orElseThrow();
        store.jobRetry(failed.tenant(), failed.id(), T0.plusSeconds(4));
        Job rerun = store.jobClaim(claim(List.of("priced"), 1), T0.plusSeconds(4)).getFirst();
        ended.add(store.jobFinish(rerun.id(), rerun.attempt(), false, Transition.succeed(TestJobs.json("{}"), 3),
                T0.plusSeconds(5)).orElseThrow());
        // Cancelled while queued, never ran: no cost. Free jobs are counted in their own currency.
        ended.add(store.jobCancel(TestJobs.TENANT, store.jobInsert(newJob("priced"), T0, Duration.ofDays(1)).job().id(),
                T0.plusSeconds(6)).orElseThrow());
        ended.add(jobs.succeeded("echo", T0.plusSeconds(7)));

        var all = storage.tenants().usage(new Usage.Query(TestJobs.TENANT, LocalDate.of(2026, 3, 1), LocalDate.of(2026, 3, 1),
                Set.of()));
        var eur = all.stream().filter(r -> r.currency().equals("EUR")).findFirst().orElseThrow();
        long micros = ended.stream().filter(j -> j.type().equals("priced"))
                .mapToLong(j -> UsageLedger.micros(price.cost(j.attempt(), j.runMs(), j.units()))).sum();
        assertThat(eur.costMicros()).isEqualTo(micros).isPositive();
        assertThat(eur.runMs()).isEqualTo(ended.stream().filter(j -> j.type().equals("priced")).mapToLong(Job::runMs).sum());
        assertThat(eur.units()).isEqualTo(1_234_570);
        assertThat(eur.succeeded()).isEqualTo(2);
        assertThat(eur.failed()).isEqualTo(1);
        assertThat(eur.cancelled()).isEqualTo(1);
        assertThat(all.stream().filter(r -> r.currency().equals("USD")).findFirst().orElseThrow().succeeded()).isEqualTo(1);

        // Grouped by type and day; other tenants see none of it.
        var byType = storage.tenants().usage(new Usage.Query(TestJobs.TENANT, LocalDate.of(2026, 3, 1), LocalDate.of(2026, 3, 1),
                EnumSet.of(Usage.Group.TYPE, Usage.Group.DAY)));
        assertThat(byType).extracting(Usage.Row::type).containsExactly("echo", "priced");
        assertThat(byType).extracting(Usage.Row::day).containsOnly("2026-03-01");
        assertThat(storage.tenants().usage(new Usage.Query("someone-else", LocalDate.of(2026, 3, 1), LocalDate.of(2026, 3, 1),
                Set.of()))).isEmpty();

        // Pruned jobs leave their usage behind.
        int pruned = store.jobPruneFinished(new Store.Prune(null, Set.of(), T0.plusSeconds(60), 100), T0.plusSeconds(60));
        assertThat(pruned).isEqualTo(4);
        assertThat(storage.tenants().usage(new Usage.Query(TestJobs.TENANT, LocalDate.of(2026, 3, 1), LocalDate.of(2026, 3, 1),
                Set.of()))).isEqualTo(all);
    }

    private Job run(String type, int offsetSeconds) {
        store.jobInsert(newJob(type), T0.plusSeconds(offsetSeconds), Duration.ofDays(1));
        return store.jobClaim(claim(List.of(type), 1), T0.plusSeconds(offsetSeconds)).getFirst();
    }

    // ---------------------------------------------------------------- limits set through the API

    @Test
    void limitsSetForATenantAreStoredReplacedAndDeleted() {
        TenantStore tenants = storage.tenants();
        tenants.limitsPut("acme", "{\"max_queued\":5}", T0);
        tenants.limitsPut("acme", "{\"max_queued\":6}", T0.plusSeconds(1));
        tenants.limitsPut("other", "{}", T0);

        assertThat(tenants.limitsAll()).isEqualTo(Map.of("acme", "{\"max_queued\":6}", "other", "{}"));
        assertThat(tenants.limitsDelete("acme")).isTrue();
        assertThat(tenants.limitsDelete("acme")).isFalse();
        assertThat(tenants.limitsAll()).containsOnlyKeys("other");
    }
}
