package dev.spool.store;

import static dev.spool.testing.TestJobs.TENANT;
import static dev.spool.testing.TestJobs.newJob;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spool.auth.ApiKey;
import dev.spool.job.ErrorCode;
import dev.spool.job.Job;
import dev.spool.job.JobId;
import dev.spool.job.JobQuery;
import dev.spool.job.Progress;
import dev.spool.job.SpoolException;
import dev.spool.job.Transition;
import dev.spool.testing.RestartablePostgres;
import dev.spool.testing.TestJobs;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every call of the store ends within a bound when the database fails under it — stopped (every
 * connection cut, connects refused) or frozen (connections open, nothing answers) — with {@code
 * UNAVAILABLE}, never a hang and never another error; and the same store works again once the
 * database is back. Each kind of write and read is called, all at once.
 */
class StoreOutageTest {
    private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

    @TempDir
    Path dir;

    private RestartablePostgres pg;
    private PostgresStore store;
    private Job running;
    private Job queued;

    @BeforeEach
    void setUp() {
        pg = new RestartablePostgres(dir.resolve("pg")).start();
        String url = pg.newDatabase("outage");
        // Short bounds, so that the test is quick: 1 s for a statement, 1 s for a connection.
        store = PostgresStore.open(new PostgresStore.Settings(url, "spool", 2, 1_000, 64, 1_000, PostgresStore.Settings.WRITE_CONNECTIONS));
        TestJobs jobs = new TestJobs(store);
        running = jobs.running("echo", T0);
        queued = jobs.queued("echo", T0);
    }

    @AfterEach
    void tearDown() {
        pg.thaw();
        store.close();
        pg.close();
    }

    /** One call of every kind the store makes, by name. */
    private Map<String, Callable<?>> everyCall() {
        Map<String, Callable<?>> calls = new LinkedHashMap<>();
        calls.put("jobInsert", () -> store.jobInsert(newJob("echo"), T0, Duration.ofDays(1)));
        calls.put("jobInsert with a key", () -> store.jobInsert(TestJobs.withIdempotency(newJob("echo"), "k", "h"), T0, Duration.ofDays(1)));
        calls.put("jobInsertBatch", () -> store.jobInsertBatch(JobId.generate().value(), TENANT, List.of(newJob("echo")), T0, null).jobs());
        calls.put("jobClaim", () -> store.jobClaim(TestJobs.claim(List.of("echo"), 1), T0));
        calls.put("jobHeartbeat", () -> store.jobHeartbeat(running.id(), running.attempt(), Progress.NONE, T0.plusSeconds(30), T0));
        calls.put("jobFinish", () -> store.jobFinish(running.id(), running.attempt(), false,
                Transition.succeed(TestJobs.json("{}"), 0), T0));
        calls.put("jobCancel", () -> store.jobCancel(TENANT, queued.id(), T0));
        calls.put("jobRetry", () -> store.jobRetry(TENANT, queued.id(), T0));
        calls.put("jobDelete", () -> store.jobDelete(TENANT, queued.id(), T0));
        calls.put("jobPruneFinished", () -> store.jobPruneFinished(new Store.Prune(null, Set.of(), T0, 10), T0));
        calls.put("idempotencyPrune", () -> store.idempotencyPrune(T0));
        calls.put("workerSeen", () -> {
            store.workers().workerSeen("w", "w", "key", List.of("echo"), 8, T0);
            return null;
        });
        calls.put("jobLogAppend", () -> store.workers().jobLogAppend(running.id(), running.attempt(), List.of("line"), T0));
        calls.put("keyInsert", () -> {
            store.keys().keyInsert(new ApiKey("key_outage", TENANT, "outage", ApiKey.Role.TENANT, "aaaaaaaaaaaa",
                    new byte[32], T0, null));
            return null;
        });
        calls.put("keyRevoke", () -> store.keys().keyRevoke("key_outage", T0));
        calls.put("deliveryClaim", () -> store.webhooks().deliveryClaim(T0, Duration.ofSeconds(30), 10));
        calls.put("deliveryPrune", () -> store.webhooks().deliveryPrune(T0, 10));
        calls.put("blobOrphanAdd", () -> {
            store.files().blobOrphanAdd("0".repeat(64), T0);
            return null;
        });
        calls.put("jobGet", () -> store.jobGet(TENANT, running.id()));
        calls.put("jobList", () -> store.jobList(new JobQuery(TENANT, Set.of(), null, null, null, null, null, Map.of(), null, 10)));
        calls.put("jobListExpired", () -> store.jobListExpired(T0, 10));
        calls.put("jobEvents", () -> store.jobEvents(TENANT, running.id()));
        calls.put("keyByPrefix", () -> store.keys().keyByPrefix("aaaaaaaaaaaa"));
        calls.put("eventsAfter", () -> store.events().eventsAfter(0));
        calls.put("webhookList", () -> store.webhooks().webhookList(TENANT));
        return calls;
    }

    /** Runs every call at once and returns, per call, what went wrong (nothing: it was UNAVAILABLE in time). */
    private Map<String, String> callAll(Duration bound) throws InterruptedException {
        Map<String, String> wrong = new LinkedHashMap<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Map<String, Future<?>> futures = new LinkedHashMap<>();
            everyCall().forEach((name, call) -> futures.put(name, pool.submit(call)));
            long deadline = System.nanoTime() + bound.toNanos();
            for (var e : futures.entrySet()) {
                try {
                    e.getValue().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    wrong.put(e.getKey(), "answered as if the database were there");
                } catch (TimeoutException t) {
                    wrong.put(e.getKey(), "still waiting after " + bound);
                    e.getValue().cancel(true);
                } catch (java.util.concurrent.ExecutionException x) {
                    if (!(x.getCause() instanceof SpoolException s && s.code() == ErrorCode.UNAVAILABLE)) {
                        wrong.put(e.getKey(), String.valueOf(x.getCause()));
                    }
                }
            }
        }
        return wrong;
    }

    @Test
    void withTheDatabaseStoppedEveryCallIsRefusedAsUnavailableWithinSeconds() throws Exception {
        pg.stop();
        long started = System.nanoTime();
        assertThat(callAll(Duration.ofSeconds(5))).isEmpty();
        System.out.printf("stopped database: every call refused within %d ms%n", (System.nanoTime() - started) / 1_000_000);
        assertThat(store.reachable()).isFalse();

        pg.start();
        assertWorksAgain();
    }

    @Test
    void withTheDatabaseFrozenEveryCallIsRefusedAsUnavailableWithinItsBound() throws Exception {
        pg.freeze();
        long started = System.nanoTime();
        // The bound of a write: statement + connect timeout (2 s), twice over for a batch that was
        // already on the wire; a read: the same silent-connection timeout.
        assertThat(callAll(Duration.ofSeconds(10))).isEmpty();
        System.out.printf("frozen database: every call refused within %d ms%n", (System.nanoTime() - started) / 1_000_000);

        pg.thaw();
        assertWorksAgain();
    }

    private void assertWorksAgain() {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(15)).ignoreExceptions()
                .until(() -> store.jobInsert(newJob("echo"), T0, Duration.ofDays(1)).created());
        assertThat(store.reachable()).isTrue();
        assertThat(store.jobGet(TENANT, running.id())).isPresent();
    }
}
