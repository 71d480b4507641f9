package dev.spool.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * Combines concurrent calls into batch calls, one batch in flight at a time: a caller with nobody
 * ahead of it sends its item at once, alone (no waiting when idle); callers that come while a batch
 * is on its way wait for it, and the first of them then sends all that gathered in one call (under
 * load, the batch holds what arrived during one round trip). Each caller gets its own item's answer.
 *
 * @param <I> an item
 * @param <O> an item's answer
 */
final class Coalescer<I, O> {
    /** One call for many items: an answer per item, in order, each a value or the item's own failure. */
    @FunctionalInterface
    interface BatchCall<I, O> {
        List<Answer<O>> call(List<I> items);
    }

    /** One item's answer: its value, or why it failed. */
    record Answer<O>(O value, RuntimeException error) {}

    private record Pending<I, O>(I item, CompletableFuture<O> done) {}

    private final BatchCall<I, O> call;
    private final int maxBatch;
    private final Queue<Pending<I, O>> waiting = new ConcurrentLinkedQueue<>();
    private final ReentrantLock sending = new ReentrantLock();

    Coalescer(BatchCall<I, O> call, int maxBatch) {
        this.call = call;
        this.maxBatch = maxBatch;
    }

    /** Items waiting for the next call. */
    int waiting() {
        return waiting.size();
    }

    /** Sends {@code item}, with whatever else is waiting, and returns its answer (or throws its failure). */
    O submit(I item) {
        Pending<I, O> mine = new Pending<>(item, new CompletableFuture<>());
        waiting.add(mine);
        while (!mine.done().isDone()) {
            sending.lock();
            try {
                List<Pending<I, O>> batch = new ArrayList<>();
                for (Pending<I, O> p; batch.size() < maxBatch && (p = waiting.poll()) != null; ) {
                    batch.add(p);
                }
                if (!batch.isEmpty()) {
                    send(batch);
                }
            } finally {
                sending.unlock();
            }
        }
        try {
            return mine.done().join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    private void send(List<Pending<I, O>> batch) {
        List<Answer<O>> answers;
        try {
            answers = call.call(batch.stream().map(Pending::item).toList());
            if (answers.size() != batch.size()) {
                throw new IllegalStateException(batch.size() + " answers expected, " + answers.size() + " came");
            }
        } catch (RuntimeException e) { // the call as a whole failed: so did every item of it
            batch.forEach(p -> p.done().completeExceptionally(e));
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            Answer<O> a = answers.get(i);
            if (a.error() == null) {
                batch.get(i).done().complete(a.value());
            } else {
                batch.get(i).done().completeExceptionally(a.error());
            }
        }
    }

    static <O> Answer<O> of(BatchAnswer<O> answer) {
        return new Answer<>(answer.value(), answer.error());
    }
}
