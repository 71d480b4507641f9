package dev.spool.store;

import dev.spool.job.ErrorCode;
import dev.spool.job.SpoolException;
import dev.spool.telemetry.Metrics;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writer of a database. Callers hand it work and wait; a lane takes everything that is waiting
 * (up to {@code maxBatch}), runs the pieces in one transaction on its own connection, and commits
 * them together: one flush for many requests, without weakening durability. Nobody is answered
 * before the commit that holds their work has returned.
 *
 * <p>An embedded database has one lane. A server database has several: while one lane waits for
 * its commit, the next takes the work that arrived meanwhile, so several transactions are in
 * flight at once. Lanes share one queue; a lane that is free takes what is there.
 *
 * <p>Pieces run without savepoints: most batches fail nowhere, and a savepoint costs a round trip
 * before and after every piece. When a piece fails, the transaction is rolled back and the batch
 * runs again with a savepoint around each piece, so that the piece that failed fails alone and the
 * others still commit.
 *
 * <p>Every caller is answered, on every path, within a bound: a piece that throws anything at all
 * fails alone; a commit that fails fails its batch; a piece that lost a deadlock or serialization
 * race to another transaction runs again in the next one; while a lane's connection is broken, the
 * work it takes is refused at once as {@code UNAVAILABLE} (a new connection is tried at most every
 * {@link #RECONNECT_EVERY}); and a caller whose work has not been answered within {@code maxWait}
 * gets {@code UNAVAILABLE} (its work is skipped if it had not started; if it had, its outcome is
 * unknown, like any write whose answer was lost, which is what idempotency keys and attempt fencing
 * are for).
 *
 * <p>The hooks ({@link #beforeCommit}, {@link #afterCommit}) run on the lane's thread, so state
 * they keep about "the open transaction" must be kept per thread.
 */
final class GroupCommitWriter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GroupCommitWriter.class);
    static final Duration RECONNECT_EVERY = Duration.ofMillis(250);
    /** How often a piece that lost a deadlock to another transaction is tried again before its caller hears of it. */
    private static final int RACE_RETRIES = 3;

    private static final int WAITING = 0, TAKEN = 1, ABANDONED = 2;

    private static final class Work<T> {
        final SqlWork<T> sql;
        final CompletableFuture<T> done = new CompletableFuture<>();
        final AtomicInteger state = new AtomicInteger(WAITING);
        int races;

        Work(SqlWork<T> sql) {
            this.sql = sql;
        }
    }

    /** Opens a lane's connection, first and again after it broke (a database restart, say). */
    @FunctionalInterface
    interface Connector {
        Connection connect() throws SQLException;
    }

    private final Connector connector;
    private final int maxBatch;
    private final Duration maxWait;
    private final Reachability reachability;
    private final BlockingQueue<Work<?>> queue = new LinkedBlockingQueue<>();
    private final List<Lane> lanes = new ArrayList<>();
    private volatile boolean closing;
    private final List<Runnable> afterCommit = new CopyOnWriteArrayList<>();
    private volatile SqlWork<?> beforeCommit = c -> null;
    private final AtomicLong commits = new AtomicLong();
    private final AtomicLong retriedWithSavepoints = new AtomicLong();
    private volatile DistributionSummary batchSizes;
    private volatile Timer commitTimes;

    /** One writer with one lane: the embedded database's. */
    GroupCommitWriter(Connector connector, int maxBatch, Duration maxWait, Reachability reachability) throws SQLException {
        this(connector, 1, maxBatch, maxWait, reachability);
    }

    /** @param lanes transactions in flight at once, each on a connection of its own */
    GroupCommitWriter(Connector connector, int lanes, int maxBatch, Duration maxWait, Reachability reachability)
            throws SQLException {
        if (lanes < 1) {
            throw new IllegalArgumentException("a writer needs at least one lane");
        }
        this.connector = connector;
        this.maxBatch = maxBatch;
        this.maxWait = maxWait;
        this.reachability = reachability;
        List<Connection> opened = new ArrayList<>();
        try {
            for (int i = 0; i < lanes; i++) {
                Connection c = connector.connect();
                opened.add(c);
                c.setAutoCommit(false);
            }
        } catch (SQLException | RuntimeException e) {
            for (Connection c : opened) {
                try {
                    c.close();
                } catch (SQLException ignored) {
                    // failing already
                }
            }
            throw e;
        }
        for (int i = 0; i < lanes; i++) {
            this.lanes.add(new Lane(lanes == 1 ? "spool-writer" : "spool-writer-" + (i + 1), opened.get(i)));
        }
    }

    /** Runs {@code listener} on the lane's thread after every commit: it must only signal, never block. */
    void afterCommit(Runnable listener) {
        afterCommit.add(listener);
    }

    /** Runs {@code work} in every transaction, after its pieces and before its commit. */
    void beforeCommit(SqlWork<?> work) {
        beforeCommit = work;
    }

    /** Transactions committed so far, and how many batches ran a second time with a savepoint around each piece. */
    long[] counts() {
        return new long[] {commits.get(), retriedWithSavepoints.get()};
    }

    /** Records every transaction's size and time into {@code registry}, with the writes waiting and the re-runs. */
    void meterInto(MeterRegistry registry) {
        commitTimes = Timer.builder("spool.store.write.transaction")
                .description("Time of one write transaction of the group commit: its pieces and its commit")
                .serviceLevelObjectives(Metrics.CALL_BUCKETS).register(registry);
        batchSizes = DistributionSummary.builder("spool.store.write.batch")
                .description("Writes committed together in one transaction")
                .serviceLevelObjectives(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000).register(registry);
        Gauge.builder("spool.store.write.waiting", this, GroupCommitWriter::queued)
                .description("Writes waiting for a writer lane").register(registry);
        FunctionCounter.builder("spool.store.write.reruns", retriedWithSavepoints, AtomicLong::get)
                .description("Transactions run a second time with a savepoint around each write, because one failed")
                .register(registry);
    }

    /** Pieces waiting for a lane. */
    int queued() {
        return queue.size();
    }

    <T> T submit(SqlWork<T> sql) {
        if (closing) {
            throw new SpoolException(ErrorCode.UNAVAILABLE, "The store is closed.");
        }
        Work<T> work = new Work<>(sql);
        queue.add(work);
        try {
            return work.done.get(maxWait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw unwrap(e.getCause());
        } catch (TimeoutException e) {
            boolean skipped = work.state.compareAndSet(WAITING, ABANDONED);
            throw reachability.failed(new SpoolException(ErrorCode.UNAVAILABLE, skipped
                    ? "The database did not take this write in time; nothing was written. Retry shortly."
                    : "The database did not answer in time; the write may or may not have been made. Retry shortly."),
                    "write");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SpoolException(ErrorCode.UNAVAILABLE, "Interrupted while waiting for the database.");
        }
    }

    private static RuntimeException unwrap(Throwable cause) {
        if (cause instanceof RuntimeException r) {
            return r;
        }
        return new IllegalStateException("database write failed: " + cause.getMessage(), cause);
    }

    /** A deadlock with, or a serialization failure against, another transaction. */
    private static boolean lostARace(Throwable e) {
        return e instanceof SQLException sql && ("40P01".equals(sql.getSQLState()) || "40001".equals(sql.getSQLState()));
    }

    @SuppressWarnings("unchecked")
    private static <T> void complete(Work<T> work, Object result) {
        work.done.complete((T) result);
    }

    /** One transaction at a time on one connection, taking its batches from the shared queue. */
    private final class Lane {
        private Connection connection; // null while broken; the lane's thread only after start
        private long lastConnectAttempt;
        private final List<Work<?>> raced = new ArrayList<>(); // the lane's thread only
        private final Thread thread;

        Lane(String name, Connection connection) {
            this.connection = connection;
            this.thread = Thread.ofPlatform().name(name).daemon().start(this::loop);
        }

        private void loop() {
            List<Work<?>> batch = new ArrayList<>(maxBatch);
            while (!closing || !queue.isEmpty() || !raced.isEmpty()) {
                try {
                    batch.addAll(raced);
                    raced.clear();
                    if (batch.isEmpty()) {
                        Work<?> first = queue.poll(100, TimeUnit.MILLISECONDS);
                        if (first == null) {
                            continue;
                        }
                        batch.add(first);
                    }
                    queue.drainTo(batch, Math.max(0, maxBatch - batch.size()));
                    batch.removeIf(w -> w.state.get() != TAKEN && !w.state.compareAndSet(WAITING, TAKEN)); // skip the abandoned
                    if (!batch.isEmpty()) {
                        runTogether(batch);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                } catch (Throwable e) { // never let the thread die with callers waiting
                    log.error("the writer failed unexpectedly; its batch is refused", e);
                    batch.forEach(w -> w.done.completeExceptionally(e));
                } finally {
                    batch.clear();
                }
            }
            // Whatever is left when the writer stops is refused, never dropped silently.
            for (Work<?> left; (left = queue.poll()) != null; ) {
                left.done.completeExceptionally(new SpoolException(ErrorCode.UNAVAILABLE, "The store is closed."));
            }
        }

        private void runTogether(List<Work<?>> batch) {
            if (!connected()) {
                RuntimeException down = reachability.failed(new SpoolException(ErrorCode.UNAVAILABLE,
                        "The database is not answering; retry shortly."), "write");
                batch.forEach(w -> w.done.completeExceptionally(down));
                return;
            }
            Object[] results = new Object[batch.size()];
            Throwable[] failures = new Throwable[batch.size()];
            long started = System.nanoTime();
            try {
                if (!runPieces(batch, results, failures, false)) {
                    // A piece failed and took the transaction with it: run the batch again, each
                    // piece in a savepoint, so that only the failing one fails.
                    connection.rollback();
                    retriedWithSavepoints.incrementAndGet();
                    Arrays.fill(results, null);
                    Arrays.fill(failures, null);
                    runPieces(batch, results, failures, true);
                }
                beforeCommit.run(connection);
                connection.commit();
                commits.incrementAndGet();
                Timer times = commitTimes;
                DistributionSummary sizes = batchSizes;
                if (times != null && sizes != null) {
                    times.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
                    sizes.record(batch.size());
                }
                reachability.answered();
            } catch (Throwable e) {
                RuntimeException refusal = reachability.failed(e, "write");
                if (!Reachability.isUnreachable(e)) {
                    log.error("group commit of {} writes failed", batch.size(), e);
                }
                try {
                    connection.rollback();
                } catch (SQLException rollback) {
                    e.addSuppressed(rollback);
                }
                batch.forEach(w -> w.done.completeExceptionally(refusal));
                dropIfBroken();
                return;
            }
            for (int i = 0; i < batch.size(); i++) {
                Work<?> work = batch.get(i);
                Throwable failure = failures[i];
                if (failure == null) {
                    complete(work, results[i]);
                } else if (lostARace(failure)) {
                    if (work.races++ < RACE_RETRIES) {
                        raced.add(work); // its locks are gone with its savepoint; the next transaction tries again
                    } else {
                        work.done.completeExceptionally(new SpoolException(ErrorCode.UNAVAILABLE,
                                "This write kept colliding with another transaction's; retry shortly.", failure));
                    }
                } else {
                    // The store's own answers (not found, a stale attempt…) as they are; the database's
                    // failures as Reachability reads them (gone or too slow: 503).
                    work.done.completeExceptionally(failure instanceof SpoolException ? failure : reachability.failed(failure, "write"));
                }
            }
            for (Runnable listener : afterCommit) {
                try {
                    listener.run();
                } catch (RuntimeException e) {
                    log.error("an after-commit listener failed", e);
                }
            }
        }

        /**
         * Runs the pieces in order. Without savepoints it stops at the first failure and returns
         * false (the transaction is then unusable); with them every piece runs, a failing one
         * rolled back to its savepoint alone.
         */
        private boolean runPieces(List<Work<?>> batch, Object[] results, Throwable[] failures, boolean savepoints)
                throws SQLException {
            for (int i = 0; i < batch.size(); i++) {
                Savepoint savepoint = savepoints ? connection.setSavepoint() : null;
                try {
                    results[i] = batch.get(i).sql.run(connection);
                    if (savepoint != null) {
                        connection.releaseSavepoint(savepoint);
                    }
                } catch (Throwable e) {
                    if (savepoint == null) {
                        return false;
                    }
                    connection.rollback(savepoint);
                    connection.releaseSavepoint(savepoint);
                    failures[i] = e;
                }
            }
            return true;
        }

        /** True when the lane has a connection, opening one if it has none and the last try was long enough ago. */
        private boolean connected() {
            if (connection != null) {
                return true;
            }
            long now = System.nanoTime();
            if (now - lastConnectAttempt < RECONNECT_EVERY.toNanos()) {
                return false;
            }
            lastConnectAttempt = now;
            try {
                Connection c = connector.connect();
                c.setAutoCommit(false);
                connection = c;
                return true;
            } catch (SQLException | RuntimeException e) {
                reachability.failed(e, "connect");
                return false;
            }
        }

        /** After a failed commit: if the connection itself is gone, drop it; the next batch opens a new one. */
        private void dropIfBroken() {
            try {
                if (connection.isValid(2)) {
                    return;
                }
            } catch (SQLException e) {
                // treated as broken
            }
            try {
                connection.close();
            } catch (SQLException ignored) {
                // it is broken already
            }
            connection = null;
            lastConnectAttempt = 0;
        }

        private void stop() {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (connection == null) {
                return;
            }
            try {
                connection.rollback(); // the driver opens the next transaction right after each commit
                connection.close();
            } catch (SQLException e) {
                log.warn("closing the writer connection failed", e);
            }
        }
    }

    /** Finishes the work already handed in, then stops. */
    @Override
    public void close() {
        closing = true;
        lanes.forEach(Lane::stop);
    }
}
