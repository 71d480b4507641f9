package dev.spool.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one worker runtime of Spool's two executors: {@link SpoolWorker} (a process of its own,
 * talking the HTTP worker protocol) and the server's in-process runner (calling its engine). It
 * claims in batches sized to its free slots, runs each job on a virtual thread, heartbeats on a
 * ticker (renewing the lease, passing progress and log lines on), stops a job that is cancelled,
 * times out or is lost, reports each outcome (again and again while Spool cannot answer, so a
 * finished job keeps it), and on {@link #close()} lets running jobs finish within a grace period
 * and hands back the rest. What differs between the two is a {@link Transport}.
 *
 * @param <J> the transport's claimed job
 */
public final class WorkerRuntime<J> implements AutoCloseable {
    private static final Logger log = Logger.getLogger(WorkerRuntime.class.getName());

    /** How long a finished job's report is retried while Spool cannot answer. */
    private static final Duration REPORT_RETRY_FOR = Duration.ofMinutes(2);
    /** Longest wait for a bunch of free slots while jobs are waiting (see {@link #claimLoop}). */
    private static final Duration BUNCH_WAIT = Duration.ofMillis(10);

    /**
     * @param slots     jobs run at once (0: none, it only holds its place)
     * @param claimWait longest one claim waits for work
     * @param tick      how often running jobs are looked at (timeouts, heartbeats, progress)
     * @param progress  shortest time between two progress writes of one job
     * @param grace     how long {@link #close()} lets running jobs finish before handing them back
     */
    public record Settings(int slots, Duration claimWait, Duration tick, Duration progress, Duration grace) {
        public Settings {
            if (slots < 0) {
                throw new IllegalArgumentException("slots must not be negative");
            }
        }
    }

    /** What an attempt ended with, as the runtime reports it. */
    public sealed interface Outcome {
        record Succeeded(JsonNode result, long units) implements Outcome {}

        record Failed(String code, String message, boolean retryable) implements Outcome {}

        record Cancelled(String reason) implements Outcome {}
    }

    /** How a failed call to Spool is taken. */
    public enum Trouble {
        /** Spool cannot answer now (unreachable, restarting, its database away, limiting): try again. */
        PASSING,
        /** The attempt is no longer this runtime's (rescued, finished or deleted elsewhere): stop it, report nothing. */
        LOST,
        /** Anything else: log it. */
        OTHER
    }

    /** How the runtime reaches Spool. */
    public interface Transport<J> {
        /** Up to {@code max} jobs, waiting up to {@code wait} for the first. */
        List<J> claim(int max, Duration wait) throws InterruptedException;

        String id(J job);

        int attempt(J job);

        int timeoutSeconds(J job);

        /** How often the job's lease must be renewed. */
        Duration heartbeatEvery(J job);

        /** Renews the lease and passes progress (nulls: none); returns whether a cancel was requested. */
        boolean heartbeat(J job, Double fraction, String message);

        /**
         * Renews many leases at once; answers each in order: whether a cancel was requested, or why
         * its heartbeat failed. One {@link #heartbeat} after another unless the transport can do better.
         */
        default List<BeatAnswer> heartbeats(List<Beat<J>> beats) {
            List<BeatAnswer> answers = new ArrayList<>(beats.size());
            for (Beat<J> b : beats) {
                try {
                    answers.add(new BeatAnswer(heartbeat(b.job(), b.fraction(), b.message()), null));
                } catch (RuntimeException e) {
                    answers.add(new BeatAnswer(false, e));
                }
            }
            return answers;
        }

        void appendLogs(J job, List<String> lines);

        void report(J job, Outcome outcome);

        /** Hands a running job back to the queue, unspent. */
        void giveBack(J job);

        Trouble trouble(RuntimeException e);

        /** The runtime is closing: a claim waiting for work may stop waiting. */
        default void closing() {}
    }

    /** One job's heartbeat, with its progress (nulls: none), as {@link Transport#heartbeats} takes them. */
    public record Beat<J>(J job, Double fraction, String message) {}

    /** The answer to one heartbeat: whether a cancel was requested, or (when not null) why it failed. */
    public record BeatAnswer(boolean cancelRequested, RuntimeException error) {}

    /** The work: returns the job's result, or throws; {@link #failed} says what a throw stands for. */
    public interface Handler<J> {
        JsonNode run(Slot<J> slot) throws Exception;

        /** The failure an exception of {@link #run} stands for. */
        Outcome.Failed failed(Exception e);
    }

    /** An unexpected exception in one line, as a failed outcome's message: its class, and its message if it has one. */
    public static String describe(Exception e) {
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }

    private enum Stop { NONE, CANCELLED, TIMED_OUT, LOST, RELEASED }

    private final Transport<J> transport;
    private final Handler<J> handler;
    private final Settings settings;
    private final String name;
    private final Map<String, Slot<J>> running = new ConcurrentHashMap<>();
    private final Semaphore free;
    private final Thread claimLoop;
    private final Thread ticker;
    private volatile boolean claiming = true;
    /** Claims failed since the last one that worked; the claim loop's thread only. */
    private boolean claimFailing;

    /** Starts claiming and running jobs. {@code name} names the threads and log lines. */
    public WorkerRuntime(String name, Transport<J> transport, Handler<J> handler, Settings settings) {
        this.name = name;
        this.transport = transport;
        this.handler = handler;
        this.settings = settings;
        this.free = new Semaphore(settings.slots());
        this.claimLoop = Thread.ofPlatform().name(name + "-claim").daemon().start(this::claimLoop);
        this.ticker = Thread.ofPlatform().name(name + "-ticker").daemon().start(this::tickLoop);
    }

    /** Jobs running now. */
    public int active() {
        return running.size();
    }

    private void claimLoop() {
        // While jobs are waiting, claim in bunches of a quarter of the slots, or whatever is free
        // after BUNCH_WAIT: every claim reads the queue's head, and a claim per freed slot would
        // read it once per job.
        int bunch = Math.max(1, settings.slots() / 4);
        boolean backlog = false;
        while (claiming) {
            int taken = 0;
            try {
                free.acquire();
                taken = 1;
                if (backlog && bunch > 1 && free.tryAcquire(bunch - 1, BUNCH_WAIT.toNanos(), TimeUnit.NANOSECONDS)) {
                    taken = bunch;
                }
                taken += free.drainPermits();
                // With jobs waiting, the claim need not wait; else it waits (long-polls) for work.
                List<J> jobs = transport.claim(taken, backlog ? Duration.ZERO : settings.claimWait());
                claimWorks();
                free.release(taken - jobs.size());
                backlog = !jobs.isEmpty() && jobs.size() == taken;
                taken = 0;
                if (!claiming) {
                    jobs.forEach(this::handBack); // closed while the claim was on its way
                    return;
                }
                jobs.forEach(this::start);
            } catch (InterruptedException e) {
                free.release(taken);
                return;
            } catch (RuntimeException e) {
                free.release(taken);
                backlog = false;
                if (claiming) {
                    claimFailed(e);
                    try {
                        Thread.sleep(1000);
                    } catch (InterruptedException interrupted) {
                        return;
                    }
                }
            }
        }
    }

    private void claimFailed(RuntimeException e) {
        if (!claimFailing) { // once per streak, not once a second
            boolean passing = transport.trouble(e) == Trouble.PASSING; // an outage: a line, not a stack
            log.log(passing ? Level.INFO : Level.WARNING,
                    name + ": claim failed; trying again every second until it works: " + e.getMessage(), passing ? null : e);
            claimFailing = true;
        }
    }

    private void claimWorks() {
        if (claimFailing) {
            log.info(name + ": claiming works again");
            claimFailing = false;
        }
    }

    private void handBack(J job) {
        try {
            transport.giveBack(job);
        } catch (RuntimeException e) {
            log.log(Level.WARNING, "could not hand back job " + transport.id(job) + "; its lease will expire", e);
        }
    }

    private void start(J job) {
        Slot<J> slot = new Slot<>(job, System.nanoTime() + TimeUnit.SECONDS.toNanos(transport.timeoutSeconds(job)));
        running.put(transport.id(job), slot);
        slot.thread = Thread.ofVirtual().name(name + "-job-" + transport.id(job)).unstarted(() -> execute(slot));
        slot.thread.start();
    }

    private void execute(Slot<J> slot) {
        J job = slot.job;
        Outcome outcome;
        try {
            JsonNode result = handler.run(slot);
            outcome = slot.stop.get() == Stop.NONE ? new Outcome.Succeeded(result, slot.units.get()) : stopped(slot);
        } catch (Exception e) {
            outcome = slot.stop.get() == Stop.NONE ? handler.failed(e) : stopped(slot);
        }
        try {
            if (outcome != null && flushBeforeReport(slot)) {
                reportUntilHeard(job, outcome);
            }
        } catch (RuntimeException e) {
            if (transport.trouble(e) == Trouble.OTHER) {
                log.log(Level.WARNING, "job " + transport.id(job) + " attempt " + transport.attempt(job)
                        + ": could not report its outcome; its lease will expire and it will run again", e);
            } else {
                log.info("job " + transport.id(job) + " attempt " + transport.attempt(job) + ": outcome not accepted: " + e.getMessage());
            }
        } finally {
            running.remove(transport.id(job));
            free.release();
        }
    }

    /**
     * The job's last log lines and progress, best effort: failing to pass them on must not cost the
     * job its outcome. False when the attempt turned out to be no longer ours (nothing to report).
     */
    private boolean flushBeforeReport(Slot<J> slot) {
        try {
            flush(slot);
            return true;
        } catch (RuntimeException e) {
            if (transport.trouble(e) == Trouble.LOST) {
                return false;
            }
            log.fine("job " + transport.id(slot.job) + ": its last log lines or progress were not passed on: " + e.getMessage());
            return true;
        }
    }

    /** The outcome of a handler that was stopped; null when there is nothing to report. */
    private Outcome stopped(Slot<J> slot) {
        return switch (slot.stop.get()) {
            case CANCELLED -> new Outcome.Cancelled("cancelled at the client's request");
            case TIMED_OUT -> new Outcome.Failed("timeout",
                    "The attempt ran longer than its timeout of " + transport.timeoutSeconds(slot.job) + " s.", true);
            case LOST, RELEASED, NONE -> null; // the attempt is no longer ours
        };
    }

    /**
     * An outage must not cost a finished job its outcome (and a second run): the report is tried
     * again, with a growing pause, while Spool cannot answer. Reports are fenced by the attempt, so
     * one that arrives after the lease was rescued is refused, never applied twice.
     */
    private void reportUntilHeard(J job, Outcome outcome) {
        long pauseMs = 100;
        long giveUpAt = System.nanoTime() + REPORT_RETRY_FOR.toNanos();
        while (true) {
            try {
                transport.report(job, outcome);
                return;
            } catch (RuntimeException e) {
                if (transport.trouble(e) != Trouble.PASSING || System.nanoTime() > giveUpAt) {
                    throw e;
                }
            }
            try {
                Thread.sleep(pauseMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return; // closing: the lease runs out and the job runs again
            }
            pauseMs = Math.min(pauseMs * 2, 2_000);
        }
    }

    private void tickLoop() {
        while (claiming || !running.isEmpty()) {
            long now = System.nanoTime();
            List<Slot<J>> due = new ArrayList<>();
            for (Slot<J> slot : running.values()) {
                if (slot.stop.get() != Stop.NONE) {
                    continue;
                }
                if (now >= slot.deadline) {
                    slot.stopWith(Stop.TIMED_OUT);
                    continue;
                }
                boolean beatDue = now - slot.lastBeat >= transport.heartbeatEvery(slot.job).toNanos();
                boolean progressDue = slot.hasNews() && now - slot.lastBeat >= settings.progress().toNanos();
                if (beatDue || progressDue) {
                    due.add(slot);
                }
            }
            if (!due.isEmpty()) {
                beat(due);
            }
            try {
                Thread.sleep(settings.tick());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Passes the due jobs' log lines on, then renews their leases (with their progress) in one call. */
    private void beat(List<Slot<J>> due) {
        List<Slot<J>> beating = new ArrayList<>(due.size());
        List<Beat<J>> beats = new ArrayList<>(due.size());
        for (Slot<J> slot : due) {
            slot.lastBeat = System.nanoTime();
            try {
                List<String> lines = slot.drainLines();
                if (!lines.isEmpty()) {
                    transport.appendLogs(slot.job, lines);
                }
            } catch (RuntimeException e) {
                beatFailed(slot, e);
                continue;
            }
            Slot.Progress progress = slot.progress.getAndSet(null);
            beating.add(slot);
            beats.add(new Beat<>(slot.job, progress == null ? null : progress.fraction(),
                    progress == null ? null : progress.message()));
        }
        if (beats.isEmpty()) {
            return;
        }
        List<BeatAnswer> answers;
        try {
            answers = transport.heartbeats(beats);
        } catch (RuntimeException e) {
            beating.forEach(slot -> beatFailed(slot, e));
            return;
        }
        for (int i = 0; i < beating.size(); i++) {
            BeatAnswer answer = answers.get(i);
            if (answer.error() != null) {
                beatFailed(beating.get(i), answer.error());
            } else if (answer.cancelRequested()) {
                beating.get(i).stopWith(Stop.CANCELLED);
            }
        }
    }

    private void beatFailed(Slot<J> slot, RuntimeException e) {
        switch (transport.trouble(e)) {
            case LOST -> {
                log.info("job " + transport.id(slot.job) + " attempt " + transport.attempt(slot.job)
                        + " is no longer ours; stopping it");
                slot.stopWith(Stop.LOST);
            }
            case PASSING -> log.fine("heartbeat of job " + transport.id(slot.job) + " failed: " + e.getMessage());
            case OTHER -> log.log(Level.WARNING, "heartbeat of job " + transport.id(slot.job) + " failed", e);
        }
    }

    /** Passes the job's last log lines and progress on (the progress with a heartbeat, if there is any). */
    private void flush(Slot<J> slot) {
        List<String> lines = slot.drainLines();
        if (!lines.isEmpty()) {
            transport.appendLogs(slot.job, lines);
        }
        Slot.Progress progress = slot.progress.getAndSet(null);
        if (progress != null) {
            transport.heartbeat(slot.job, progress.fraction(), progress.message());
        }
    }

    /** Stops claiming, lets running jobs finish within the grace period, and hands back the rest. */
    @Override
    public void close() {
        claiming = false;
        transport.closing();
        // A claim in flight is not abandoned: Spool would still hand it jobs that nobody reads. It
        // ends within its wait, and what it brings goes back. One waiting for a slot is stopped.
        if (free.hasQueuedThreads()) {
            claimLoop.interrupt();
        }
        try {
            claimLoop.join(settings.claimWait().plusSeconds(10));
            long deadline = System.nanoTime() + settings.grace().toNanos();
            while (!running.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            // Past the grace period: hand the rest back. That is written here, so it does not depend
            // on the handler noticing the interrupt; its own late report is then refused.
            for (Slot<J> slot : new ArrayList<>(running.values())) {
                if (slot.stopWith(Stop.RELEASED)) {
                    handBack(slot.job);
                    log.info("handed back job " + transport.id(slot.job) + " (attempt " + transport.attempt(slot.job) + ")");
                }
            }
            ticker.interrupt();
            ticker.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One running job, as its handler sees it. */
    public static final class Slot<J> {
        private record Progress(double fraction, String message) {}

        private final J job;
        private final long deadline;
        private final AtomicReference<Stop> stop = new AtomicReference<>(Stop.NONE);
        private final AtomicReference<Progress> progress = new AtomicReference<>();
        private final AtomicLong units = new AtomicLong();
        private final List<String> lines = new ArrayList<>();
        private volatile long lastBeat = System.nanoTime();
        private volatile Thread thread;

        private Slot(J job, long deadline) {
            this.job = job;
            this.deadline = deadline;
        }

        public J job() {
            return job;
        }

        /** Records progress (a fraction from 0 to 1); it reaches Spool with the next heartbeat. */
        public void progress(double fraction, String message) {
            progress.set(new Progress(Math.max(0, Math.min(1, fraction)), message));
        }

        /** Appends a line to the job's log (at most 8 KiB of it); lines reach Spool with the next heartbeat. */
        public synchronized void log(String line) {
            lines.add(line.length() > 8192 ? line.substring(0, 8192) : line);
        }

        /** Adds to the units this attempt used, which the type's price may charge per unit. */
        public void addUnits(long n) {
            units.addAndGet(n);
        }

        /** True once the job was cancelled, timed out, lost or handed back; its thread is interrupted then too. */
        public boolean stopped() {
            return stop.get() != Stop.NONE;
        }

        /** What stopped it, in a word, for messages. */
        public String stopReason() {
            return stop.get().name().toLowerCase(Locale.ROOT);
        }

        private boolean stopWith(Stop why) {
            if (!stop.compareAndSet(Stop.NONE, why)) {
                return false;
            }
            Thread t = thread;
            if (t != null) {
                t.interrupt();
            }
            return true;
        }

        private synchronized boolean hasNews() {
            return progress.get() != null || !lines.isEmpty();
        }

        private synchronized List<String> drainLines() {
            List<String> out = List.copyOf(lines);
            lines.clear();
            return out;
        }
    }
}
