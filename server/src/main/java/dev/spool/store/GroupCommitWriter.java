package dev.spool.store;

import dev.spool.job.ErrorCode;
import dev.spool.job.SpoolException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one writer of an embedded database. Callers hand it work and wait; it takes everything that
 * is waiting (up to {@code maxBatch}), runs each piece inside its own savepoint of one transaction,
 * and commits them together: one fsync for many requests, without weakening durability. A piece
 * that fails is rolled back to its savepoint alone; the others still commit. Nobody is answered
 * before the commit that holds their work has returned.
 */
final class GroupCommitWriter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GroupCommitWriter.class);

    private record Work<T>(SqlWork<T> sql, CompletableFuture<T> done) {}

    /** Opens the writer's connection, first and again after it broke (a database restart, say). */
    @FunctionalInterface
    interface Connector {
        Connection connect() throws SQLException;
    }

    private final Connector connector;
    private Connection connection;
    private final int maxBatch;
    private final BlockingQueue<Work<?>> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean closing;
    private final List<Runnable> afterCommit = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile SqlWork<?> beforeCommit = c -> null;

    GroupCommitWriter(Connector connector, int maxBatch) throws SQLException {
        this.connector = connector;
        this.connection = connector.connect();
        this.maxBatch = maxBatch;
        connection.setAutoCommit(false);
        this.thread = Thread.ofPlatform().name("spool-writer").daemon().start(this::loop);
    }

    /** Runs {@code listener} on the writer's thread after every commit: it must only signal, never block. */
    void afterCommit(Runnable listener) {
        afterCommit.add(listener);
    }

    /** Runs {@code work} in every transaction, after its pieces and before its commit. */
    void beforeCommit(SqlWork<?> work) {
        beforeCommit = work;
    }

    <T> T submit(SqlWork<T> sql) {
        if (closing) {
            throw new SpoolException(ErrorCode.UNAVAILABLE, "The store is closed.");
        }
        Work<T> work = new Work<>(sql, new CompletableFuture<>());
        queue.add(work);
        try {
            return work.done().join();
        } catch (CompletionException e) {
            throw unwrap(e.getCause());
        }
    }

    private static RuntimeException unwrap(Throwable cause) {
        if (cause instanceof RuntimeException r) {
            return r;
        }
        return new IllegalStateException("database write failed: " + cause.getMessage(), cause);
    }

    private void loop() {
        List<Work<?>> batch = new ArrayList<>(maxBatch);
        while (!closing || !queue.isEmpty()) {
            try {
                Work<?> first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, maxBatch - 1);
                runTogether(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } finally {
                batch.clear();
            }
        }
        // Whatever is left when the writer stops is refused, never dropped silently.
        for (Work<?> left; (left = queue.poll()) != null; ) {
            left.done().completeExceptionally(new SpoolException(ErrorCode.UNAVAILABLE, "The store is closed."));
        }
    }

    private void runTogether(List<Work<?>> batch) {
        Object[] results = new Object[batch.size()];
        Throwable[] failures = new Throwable[batch.size()];
        try {
            for (int i = 0; i < batch.size(); i++) {
                Savepoint savepoint = connection.setSavepoint();
                try {
                    results[i] = batch.get(i).sql().run(connection);
                    connection.releaseSavepoint(savepoint);
                } catch (SQLException | RuntimeException e) {
                    connection.rollback(savepoint);
                    connection.releaseSavepoint(savepoint);
                    failures[i] = e;
                }
            }
            beforeCommit.run(connection);
            connection.commit();
        } catch (SQLException | RuntimeException e) {
            log.error("group commit of {} writes failed", batch.size(), e);
            try {
                connection.rollback();
            } catch (SQLException rollback) {
                e.addSuppressed(rollback);
            }
            batch.forEach(w -> w.done().completeExceptionally(e));
            reconnectIfBroken();
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            complete(batch.get(i), results[i], failures[i]);
        }
        afterCommit.forEach(Runnable::run);
    }

    /** After a failed commit: if the connection itself is gone, open a new one for the next batch. */
    private void reconnectIfBroken() {
        try {
            if (connection.isValid(2)) {
                return;
            }
            try {
                connection.close();
            } catch (SQLException ignored) {
                // it is broken already
            }
            connection = connector.connect();
            connection.setAutoCommit(false);
            log.warn("the writer's database connection broke and was opened again");
        } catch (SQLException e) {
            log.error("cannot reopen the writer's database connection; the next write tries again", e);
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> void complete(Work<T> work, Object result, Throwable failure) {
        if (failure != null) {
            work.done().completeExceptionally(failure);
        } else {
            work.done().complete((T) result);
        }
    }

    /** Finishes the work already handed in, then stops. */
    @Override
    public void close() {
        closing = true;
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            connection.rollback(); // the driver opens the next transaction right after each commit
            connection.close();
        } catch (SQLException e) {
            log.warn("closing the writer connection failed", e);
        }
    }
}
