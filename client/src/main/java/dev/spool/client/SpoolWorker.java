package dev.spool.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs jobs claimed from Spool in this process: picks types, a concurrency and a handler, then
 * claims in batches sized to its free slots, runs each job on a virtual thread, heartbeats on its
 * own, passes progress and log lines on, honours cancellation and timeouts, and on {@link #close()}
 * finishes what it holds within a grace period and hands back the rest.
 *
 * <pre>{@code
 * try (SpoolWorker worker = SpoolWorker.builder(client).types("transcribe").concurrency(4)
 *         .handler(job -> transcribe(job.input(), job::progress)).start()) {
 *     Thread.currentThread().join();
 * }
 * }</pre>
 */
public final class SpoolWorker implements AutoCloseable {
    private static final Logger log = Logger.getLogger(SpoolWorker.class.getName());

    /** The work: returns the job's result, or throws ({@link Failure} to choose the code and whether to retry). */
    @FunctionalInterface
    public interface Handler {
        JsonNode run(Context job) throws Exception;
    }

    /** What a handler sees of its job. */
    public interface Context {
        ClaimedJob job();

        default JsonNode input() {
            return job().input();
        }

        /** Reports progress; it reaches Spool with the next heartbeat. */
        void progress(double fraction, String message);

        /** Appends a line to the job's log. */
        void log(String line);

        /** Uploads a file as an output artifact of this attempt, streamed. */
        void attach(String name, String contentType, java.nio.file.Path file);

        /** Adds to the units this attempt used (for the type's price). */
        void addUnits(long units);

        /** True once the job was cancelled, timed out, or lost; the handler's thread is interrupted then too. */
        boolean stopped();
    }

    /** A failure the handler understands: its code, and whether another attempt may help. */
    public static final class Failure extends Exception {
        private final String code;
        private final boolean retryable;

        public Failure(String code, String message, boolean retryable) {
            super(message);
            this.code = code;
            this.retryable = retryable;
        }
    }

    private enum Stop { NONE, CANCELLED, TIMED_OUT, LOST, RELEASED }

    private final SpoolClient client;
    private final Builder settings;
    private final Map<String, Running> running = new ConcurrentHashMap<>();
    private final Semaphore slots;
    private final Thread claimLoop;
    private final Thread ticker;
    private volatile boolean claiming = true;

    private SpoolWorker(Builder b) {
        this.client = b.client;
        this.settings = b;
        this.slots = new Semaphore(b.concurrency);
        this.claimLoop = Thread.ofVirtual().name("spool-worker-claim").start(this::claimLoop);
        this.ticker = Thread.ofVirtual().name("spool-worker-heartbeat").start(this::tickLoop);
    }

    public static Builder builder(SpoolClient client) {
        return new Builder(client);
    }

    /** Jobs running in this worker now. */
    public int active() {
        return running.size();
    }

    private void claimLoop() {
        while (claiming) {
            try {
                slots.acquire(); // wait for one free slot, then ask for as many as are free
                int free = 1 + slots.drainPermits();
                List<ClaimedJob> jobs;
                try {
                    jobs = client.claim(settings.workerId, settings.name, settings.types, free, settings.waitSeconds);
                } catch (RuntimeException e) {
                    slots.release(free);
                    if (claiming) {
                        if (!claimFailing) { // once per streak, not once a second
                            log.log(Level.WARNING, "claim failed; trying again every second until it works: " + e.getMessage(),
                                    passing(e) ? null : e);
                            claimFailing = true;
                        }
                        Thread.sleep(1000);
                    }
                    continue;
                }
                if (claimFailing) {
                    log.info("claiming works again");
                    claimFailing = false;
                }
                slots.release(free - jobs.size());
                if (!claiming) {
                    // Closed while the claim was on its way: hand back what it brought, unspent.
                    jobs.forEach(j -> {
                        try {
                            client.release(j.id(), j.attempt());
                        } catch (RuntimeException e) {
                            log.log(Level.WARNING, "could not release job " + j.id() + "; its lease will expire", e);
                        }
                    });
                    return;
                }
                jobs.forEach(this::start);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Claims failed since the last one that worked; the claim loop's thread only. */
    private boolean claimFailing;

    /** Spool unreachable, unavailable (503) or limiting (429): a passing state, worth a line, not a stack. */
    private static boolean passing(RuntimeException e) {
        return e instanceof java.io.UncheckedIOException
                || e instanceof SpoolApiException api && (api.status() == 503 || api.status() == 429);
    }

    private void start(ClaimedJob job) {
        Running r = new Running(job);
        running.put(job.id(), r);
        r.thread = Thread.ofVirtual().name("spool-worker-job-" + job.id()).start(() -> execute(r));
    }

    private void execute(Running r) {
        ClaimedJob job = r.job;
        try {
            JsonNode result = settings.handler.run(r);
            switch (r.stop.get()) {
                case NONE -> {
                    try {
                        report(job, () -> {
                            flush(r);
                            client.complete(job.id(), job.attempt(), result, r.units);
                        });
                    } catch (SpoolApiException refused) {
                        log.info("job " + job.id() + " attempt " + job.attempt() + ": its result was refused ("
                                + refused.status() + " " + refused.code() + ")");
                    } catch (RuntimeException unreachable) {
                        log.log(Level.WARNING, "job " + job.id() + " attempt " + job.attempt()
                                + ": its result could not be delivered; its lease will expire and it will run again", unreachable);
                    }
                }
                case CANCELLED -> client.fail(job.id(), job.attempt(), "cancelled", "stopped at the client's request", false);
                case TIMED_OUT -> timedOut(r);
                case LOST, RELEASED -> { } // the attempt is no longer ours
            }
        } catch (Exception e) {
            try {
                switch (r.stop.get()) {
                    case CANCELLED -> client.fail(job.id(), job.attempt(), "cancelled", "stopped at the client's request", false);
                    case TIMED_OUT -> timedOut(r);
                    case LOST, RELEASED -> { }
                    case NONE -> report(job, () -> {
                        flush(r);
                        if (e instanceof Failure f) {
                            client.fail(job.id(), job.attempt(), f.code, String.valueOf(f.getMessage()), f.retryable);
                        } else {
                            client.fail(job.id(), job.attempt(), "worker_error",
                                    e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()), true);
                        }
                    });
                }
            } catch (RuntimeException report) {
                log.log(Level.WARNING, "could not report the end of job " + job.id() + " attempt " + job.attempt(), report);
            }
        } finally {
            running.remove(job.id());
            slots.release();
        }
    }

    /** How long a finished job's report is retried while Spool is unreachable or unavailable. */
    private static final Duration REPORT_RETRY_FOR = Duration.ofMinutes(2);

    /**
     * Sends a report, again and again with a growing pause while Spool cannot be reached or answers
     * 503 or 429 (a restart, a database outage), so that a finished job keeps its outcome instead
     * of running again. Reports are fenced by the attempt: a late one is refused, never applied twice.
     */
    private static void report(ClaimedJob job, Runnable call) {
        long pauseMs = 100;
        long giveUpAt = System.nanoTime() + REPORT_RETRY_FOR.toNanos();
        while (true) {
            try {
                call.run();
                return;
            } catch (RuntimeException e) {
                if (!passing(e) || System.nanoTime() > giveUpAt) {
                    throw e;
                }
            }
            try {
                Thread.sleep(pauseMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while reporting job " + job.id(), e);
            }
            pauseMs = Math.min(pauseMs * 2, 2_000);
        }
    }

    private void timedOut(Running r) {
        client.fail(r.job.id(), r.job.attempt(), "timeout",
                "The attempt ran longer than its timeout of " + r.job.timeoutSeconds() + " s.", true);
    }

    private void flush(Running r) {
        List<String> lines = r.drainLines();
        if (!lines.isEmpty()) {
            client.appendLogs(r.job.id(), r.job.attempt(), lines);
        }
    }

    private void tickLoop() {
        while (claiming || !running.isEmpty()) {
            long now = System.nanoTime();
            for (Running r : running.values()) {
                if (r.stop.get() != Stop.NONE) {
                    continue;
                }
                if (now >= r.deadline) {
                    r.stopWith(Stop.TIMED_OUT);
                    continue;
                }
                if (now - r.lastBeat >= TimeUnit.MILLISECONDS.toNanos(Math.max(100, r.job.heartbeatIntervalMs() / 2))
                        || r.pendingProgress.get() != null) {
                    beat(r);
                }
            }
            try {
                Thread.sleep(settings.tick);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void beat(Running r) {
        r.lastBeat = System.nanoTime();
        Double[] progress = r.pendingProgress.getAndSet(null);
        try {
            flush(r);
            HeartbeatReply reply = client.heartbeat(r.job.id(), r.job.attempt(),
                    progress == null ? null : progress[0], progress == null ? null : r.pendingMessage);
            if (reply.cancelRequested()) {
                r.stopWith(Stop.CANCELLED);
            }
        } catch (SpoolApiException e) {
            if (e.status() == 409 || e.status() == 404) {
                // Rescued, finished or deleted elsewhere: stop, and report nothing.
                log.info("job " + r.job.id() + " attempt " + r.job.attempt() + " is no longer ours (" + e.status() + "); stopping it");
                r.stopWith(Stop.LOST);
            } else {
                beatFailed(r, e);
            }
        } catch (RuntimeException e) {
            beatFailed(r, e);
        }
    }

    /** A passing failure (Spool restarting, its database away) is worth a fine line; anything else a warning. */
    private static void beatFailed(Running r, RuntimeException e) {
        if (passing(e)) {
            log.fine("heartbeat of job " + r.job.id() + " failed: " + e.getMessage());
        } else {
            log.log(Level.WARNING, "heartbeat of job " + r.job.id() + " failed", e);
        }
    }

    /** Stops claiming, lets running jobs finish within the grace period, and hands back the rest. */
    @Override
    public void close() {
        claiming = false;
        // The claim in flight is not abandoned: the server would still hand it jobs that nobody
        // reads, stuck until their leases ran out. It ends within its wait; what it brings goes back.
        if (slots.hasQueuedThreads()) {
            claimLoop.interrupt(); // waiting for a free slot, not on the server: nothing in flight
        }
        try {
            claimLoop.join(Duration.ofSeconds(settings.waitSeconds + 10));
            long deadline = System.nanoTime() + settings.grace.toNanos();
            while (!running.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            for (Running r : new ArrayList<>(running.values())) {
                if (r.stopWith(Stop.RELEASED)) {
                    try {
                        client.release(r.job.id(), r.job.attempt());
                    } catch (RuntimeException e) {
                        log.log(Level.WARNING, "could not release job " + r.job.id() + "; its lease will expire", e);
                    }
                }
            }
            ticker.interrupt();
            ticker.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One job in this worker, and the handler's view of it. */
    private final class Running implements Context {
        final ClaimedJob job;
        final long deadline;
        final AtomicReference<Stop> stop = new AtomicReference<>(Stop.NONE);
        final AtomicReference<Double[]> pendingProgress = new AtomicReference<>();
        final List<String> lines = new ArrayList<>();
        volatile String pendingMessage;
        volatile long lastBeat = System.nanoTime();
        volatile long units;
        volatile Thread thread;

        Running(ClaimedJob job) {
            this.job = job;
            this.deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(job.timeoutSeconds());
        }

        boolean stopWith(Stop why) {
            if (!stop.compareAndSet(Stop.NONE, why)) {
                return false;
            }
            Thread t = thread;
            if (t != null) {
                t.interrupt();
            }
            return true;
        }

        synchronized List<String> drainLines() {
            List<String> out = List.copyOf(lines);
            lines.clear();
            return out;
        }

        @Override
        public ClaimedJob job() {
            return job;
        }

        @Override
        public void progress(double fraction, String message) {
            pendingMessage = message;
            pendingProgress.set(new Double[] {Math.max(0, Math.min(1, fraction))});
        }

        @Override
        public synchronized void log(String line) {
            lines.add(line.length() > 8192 ? line.substring(0, 8192) : line);
        }

        @Override
        public void attach(String name, String contentType, java.nio.file.Path file) {
            client.uploadArtifact(job.id(), job.attempt(), name, contentType, file);
        }

        @Override
        public synchronized void addUnits(long n) {
            units += n;
        }

        @Override
        public boolean stopped() {
            return stop.get() != Stop.NONE;
        }
    }

    /** Settings of a {@link SpoolWorker}; {@link #start()} makes it. */
    public static final class Builder {
        private final SpoolClient client;
        private String workerId = ManagementFactory.getRuntimeMXBean().getName();
        private String name = workerId;
        private List<String> types = List.of();
        private int concurrency = 1;
        private int waitSeconds = 10;
        private long tick = 200;
        private Duration grace = Duration.ofSeconds(30);
        private Handler handler;

        private Builder(SpoolClient client) {
            this.client = Objects.requireNonNull(client);
        }

        /** A stable id for this worker process; host and pid unless set. */
        public Builder workerId(String workerId) {
            this.workerId = workerId;
            return this;
        }

        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /** The types to run; every type declared for workers unless set. */
        public Builder types(String... types) {
            this.types = List.of(types);
            return this;
        }

        /** Jobs run at once (1 unless set). */
        public Builder concurrency(int concurrency) {
            if (concurrency < 1) {
                throw new IllegalArgumentException("concurrency must be at least 1");
            }
            this.concurrency = concurrency;
            return this;
        }

        /** How long one claim waits for work on the server (10 s unless set); close() may wait this long too. */
        public Builder waitSeconds(int waitSeconds) {
            if (waitSeconds < 0 || waitSeconds > 60) {
                throw new IllegalArgumentException("waitSeconds must be between 0 and 60");
            }
            this.waitSeconds = waitSeconds;
            return this;
        }

        /** How long {@link SpoolWorker#close()} lets running jobs finish before handing them back (30 s unless set). */
        public Builder grace(Duration grace) {
            this.grace = grace;
            return this;
        }

        public Builder handler(Handler handler) {
            this.handler = handler;
            return this;
        }

        /** Starts claiming and running jobs. */
        public SpoolWorker start() {
            Objects.requireNonNull(handler, "handler");
            return new SpoolWorker(this);
        }
    }
}
