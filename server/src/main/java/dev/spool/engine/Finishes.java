package dev.spool.engine;

import dev.spool.job.ErrorCode;
import dev.spool.job.Job;
import dev.spool.job.JobId;
import dev.spool.job.JobStatus;
import dev.spool.job.SpoolException;
import dev.spool.job.Transition;
import dev.spool.store.Store;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * Ends running attempts with the transition the engine decides from each job as it stands, fenced
 * by attempt and cancel flag. Concurrent finishes are combined into one read and one statement.
 */
final class Finishes {
    private static final int FINISH_TRIES = 5;
    private static final int MAX_FINISH_BATCH = 256;

    private final Store store;
    private final InstantSource clock;
    private final AtomicLong finishStatements = new AtomicLong();
    private final Queue<Pending> pendingFinishes = new ConcurrentLinkedQueue<>();
    private final ReentrantLock finishLock = new ReentrantLock();

    Finishes(Store store, InstantSource clock) {
        this.store = store;
        this.clock = clock;
    }

    /** How many combined finish statements were sent so far. */
    long statements() {
        return finishStatements.get();
    }

    /** A finish waiting to be combined with others into one store call. */
    private record Pending(JobId id, int attempt, Function<Job, Transition> decide, CompletableFuture<Job> done) {}

    /** One attempt to end, with how to decide its transition from the job as it stands. */
    record Request(JobId id, int attempt, Function<Job, Transition> decide) {}

    /**
     * Applies the transition {@code decide} makes from the job as it stands. Concurrent callers are
     * combined: whoever holds the lock reads every waiting job in one query and ends them all in
     * one statement, so a burst of completions costs one round trip, not one each.
     */
    Job finish(JobId id, int attempt, Function<Job, Transition> decide) {
        try {
            return finishAll(List.of(new Request(id, attempt, decide))).getFirst().join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    /**
     * {@link #finish} for many attempts at once, combined with whatever else is waiting; each is
     * answered on its own, in the order given (a future that holds the job, or why it was refused).
     * Returns when all are answered.
     */
    List<CompletableFuture<Job>> finishAll(List<Request> requests) {
        List<Pending> mine = requests.stream()
                .map(r -> new Pending(r.id(), r.attempt(), r.decide(), new CompletableFuture<>()))
                .toList();
        pendingFinishes.addAll(mine);
        while (mine.stream().anyMatch(p -> !p.done().isDone())) {
            finishLock.lock();
            try {
                List<Pending> batch = new ArrayList<>();
                for (Pending p; batch.size() < MAX_FINISH_BATCH && (p = pendingFinishes.poll()) != null; ) {
                    batch.add(p);
                }
                if (!batch.isEmpty()) {
                    finishTogether(batch);
                }
            } finally {
                finishLock.unlock();
            }
        }
        return mine.stream().map(Pending::done).toList();
    }

    private void finishTogether(List<Pending> batch) {
        Map<JobId, Job> current = new HashMap<>();
        try {
            store.jobGetMany(batch.stream().map(Pending::id).distinct().toList()).forEach(j -> current.put(j.id(), j));
        } catch (RuntimeException e) {
            batch.forEach(p -> p.done().completeExceptionally(e));
            return;
        }
        List<Pending> together = new ArrayList<>();
        List<Store.Finish> finishes = new ArrayList<>();
        List<Pending> alone = new ArrayList<>();
        Set<JobId> ids = new HashSet<>();
        for (Pending p : batch) {
            Job job = current.get(p.id());
            if (job == null) {
                p.done().completeExceptionally(SpoolException.notFound("job"));
            } else if (job.status() != JobStatus.RUNNING || job.attempt() != p.attempt()) {
                p.done().completeExceptionally(stale(job, p.attempt()));
            } else if (!ids.add(p.id())) {
                alone.add(p); // a second report of the same attempt: it goes after, and finds it stale
            } else {
                try {
                    finishes.add(new Store.Finish(p.id(), p.attempt(), job.cancelRequested(), p.decide().apply(job)));
                    together.add(p);
                } catch (RuntimeException e) {
                    p.done().completeExceptionally(e);
                }
            }
        }
        try {
            List<Optional<Job>> results = store.jobFinish(finishes, clock.instant());
            if (!finishes.isEmpty()) {
                finishStatements.incrementAndGet();
            }
            for (int i = 0; i < together.size(); i++) {
                if (results.get(i).isPresent()) {
                    together.get(i).done().complete(results.get(i).get());
                } else {
                    alone.add(together.get(i)); // its job changed under it (a cancel request): decide again
                }
            }
        } catch (RuntimeException e) {
            together.forEach(p -> p.done().completeExceptionally(e));
        }
        for (Pending p : alone) {
            try {
                p.done().complete(finishAlone(p.id(), p.attempt(), p.decide()));
            } catch (RuntimeException e) {
                p.done().completeExceptionally(e);
            }
        }
    }

    /**
     * One finish on its own, re-reading the job each time: the write is fenced by attempt and by the
     * cancel flag the decision saw, so a cancel request that lands in between sends us round again.
     */
    private Job finishAlone(JobId id, int attempt, Function<Job, Transition> decide) {
        for (int i = 0; i < FINISH_TRIES; i++) {
            Job job = store.jobGetAny(id).orElseThrow(() -> SpoolException.notFound("job"));
            if (job.status() != JobStatus.RUNNING || job.attempt() != attempt) {
                throw stale(job, attempt);
            }
            var finished = store.jobFinish(id, attempt, job.cancelRequested(), decide.apply(job), clock.instant());
            if (finished.isPresent()) {
                return finished.get();
            }
        }
        throw staleOrMissing(id);
    }


    /** STALE_ATTEMPT for a job that exists (its attempt is not the caller's), else NOT_FOUND. */
    SpoolException staleOrMissing(JobId id) {
        return store.jobGetAny(id)
                .map(job -> stale(job, -1))
                .orElseGet(() -> SpoolException.notFound("job"));
    }

    private static SpoolException stale(Job job, int attempt) {
        return new SpoolException(ErrorCode.STALE_ATTEMPT, "Attempt " + (attempt < 0 ? "" : attempt + " ")
                + "is no longer current: the job is " + job.status().wireName() + " at attempt " + job.attempt() + ".");
    }
}
