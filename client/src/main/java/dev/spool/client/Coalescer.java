package dev.spool.client;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Combines concurrent calls into batch calls, a few batches in flight at a time: an item with a
 * sender free goes at once, alone (no waiting when idle); items that come while every sender has a
 * batch on its way wait, and then all that gathered go in the next call (under load, a batch holds
 * what arrived during a round trip). Several senders, not one, so that one slow call (a node
 * starved of connections, say) holds only its own items. Each caller gets its own item's answer.
 *
 * <p>The calls are made by sender threads of the coalescer's own, never by a caller's thread: an
 * interrupt meant for one caller (its job was cancelled, timed out or lost) must not break a call
 * that carries other callers' items. A caller waits for its answer through interrupts (the call is
 * bounded by the client's timeout) and keeps its interrupt status.
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
    private final BlockingQueue<Pending<I, O>> waiting = new LinkedBlockingQueue<>();
    private final List<Thread> senders = new ArrayList<>();

    /** @param senders calls in flight at once */
    Coalescer(String name, BatchCall<I, O> call, int maxBatch, int senders) {
        this.call = call;
        this.maxBatch = maxBatch;
        for (int i = 0; i < senders; i++) {
            this.senders.add(Thread.ofVirtual().name(name + "-" + (i + 1)).start(this::sendLoop));
        }
    }

    /** Stops the senders; items still waiting fail. For when nothing will be submitted any more. */
    void close() {
        senders.forEach(Thread::interrupt);
    }

    /** Items waiting for the next call. */
    int waiting() {
        return waiting.size();
    }

    /** Sends {@code item}, with whatever else is waiting, and returns its answer (or throws its failure). */
    O submit(I item) {
        Pending<I, O> mine = new Pending<>(item, new CompletableFuture<>());
        waiting.add(mine);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return mine.done().get();
                } catch (InterruptedException e) {
                    interrupted = true; // the item is on its way: wait for its answer
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void sendLoop() {
        List<Pending<I, O>> batch = new ArrayList<>();
        while (!Thread.currentThread().isInterrupted()) {
            try {
                batch.add(waiting.take());
            } catch (InterruptedException e) {
                break;
            }
            waiting.drainTo(batch, maxBatch - 1);
            send(batch);
            batch.clear();
        }
        for (Pending<I, O> left; (left = waiting.poll()) != null; ) {
            left.done().completeExceptionally(new IllegalStateException("the worker is closed"));
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
