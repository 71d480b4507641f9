package dev.spool.engine;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spool.job.InputFile;
import dev.spool.job.Job;
import dev.spool.job.JobError;
import dev.spool.job.JobId;
import dev.spool.job.Outcome;
import dev.spool.job.Progress;
import dev.spool.job.SpoolException;
import dev.spool.wake.WakeUp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the jobs of {@code builtin} types inside the server. One claim loop per node asks for as
 * many jobs as it has free slots; each job runs on its own virtual thread; a ticker heartbeats
 * every running job, flushes its progress, and stops it when it is cancelled or times out.
 *
 * <p>{@link #close()} stops claiming, lets running jobs finish within the grace period, and gives
 * back the rest, so that no job is left running without an owner.
 */
public final class LocalRunner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LocalRunner.class);

    /**
     * @param slots            jobs run at once on this node
     * @param poll             longest wait between claims when nothing wakes the loop
     * @param heartbeat        how often leases are renewed; well under the lease
     * @param progressInterval shortest time between two progress writes of one job
     * @param grace            how long close() lets running jobs finish before giving them back
     */
    public record Settings(int slots, Duration poll, Duration heartbeat, Duration progressInterval, Duration grace) {}

    /** A handler's view of job files: the inputs it reads, and where its outputs go (fenced by attempt). */
    public interface FileAccess {
        List<InputFile> inputs(Job job);

        java.io.InputStream open(Job job, String name) throws java.io.IOException;

        void store(JobId id, int attempt, String name, String contentType, java.io.InputStream content);
    }

    private enum Stop { NONE, CANCEL, TIMEOUT, STALE, SHUTDOWN }

    /** Longest wait for a bunch of free slots while jobs are waiting (see {@link #claimLoop}). */
    private static final Duration BUNCH_WAIT = Duration.ofMillis(10);

    private final Engine engine;
    private final FileAccess files;
    private final Map<String, JobHandler> handlers;
    private final Settings settings;
    private final String workerId;
    private final Map<JobId, Running> running = new ConcurrentHashMap<>();
    /** Rung by commits that make jobs claimable and by jobs that end (a slot is free). */
    private final WakeUp bell = new WakeUp();
    private final ScheduledExecutorService ticker;
    private final Thread loop;
    private volatile boolean claiming = true;

    public LocalRunner(Engine engine, Map<String, JobHandler> handlers, Settings settings, String workerId, FileAccess files) {
        this.engine = engine;
        this.files = files;
        this.handlers = Map.copyOf(handlers);
        this.settings = settings;
        this.workerId = workerId;
        engine.onClaimable(this::wake);
        this.ticker = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("spool-runner-ticker").daemon().factory());
        long tick = Math.max(50, Math.min(settings.heartbeat().toMillis(), settings.progressInterval().toMillis()));
        ticker.scheduleWithFixedDelay(this::tick, tick, tick, TimeUnit.MILLISECONDS);
        this.loop = Thread.ofPlatform().name("spool-runner").daemon().start(this::claimLoop);
    }

    /** Jobs running on this node now. */
    public int active() {
        return running.size();
    }

    private void wake() {
        bell.ring();
    }

    private void claimLoop() {
        List<String> types = List.copyOf(handlers.keySet());
        // While jobs are waiting, claim in bunches of a quarter of the slots, or whatever is free
        // after BUNCH_WAIT: every claim reads the queue's head, and a claim per freed slot would
        // read it once per job.
        int bunch = Math.max(1, settings.slots() / 4);
        boolean backlog = false;
        long lastClaim = System.nanoTime();
        while (claiming) {
            long seen = bell.rings(); // a ring from here on ends the wait below at once
            try {
                int free = settings.slots() - running.size();
                long waited = System.nanoTime() - lastClaim;
                boolean bunching = backlog && free < bunch && waited < BUNCH_WAIT.toNanos();
                int claimed = 0;
                if (free > 0 && !types.isEmpty() && !bunching) {
                    List<Job> jobs = engine.claim(types, List.of(), free, workerId);
                    jobs.forEach(this::start);
                    claimed = jobs.size();
                    backlog = claimed == free;
                    lastClaim = System.nanoTime();
                }
                if (bunching) {
                    bell.await(seen, Duration.ofNanos(Math.max(1_000_000, BUNCH_WAIT.toNanos() - waited)));
                } else if (claimed == 0 || claimed < free) {
                    // Nothing more waiting: sleep until a wake-up (a submit, a finished job freeing
                    // a slot) or the poll interval. A full claim goes round again at once.
                    bell.await(seen, settings.poll());
                }
                if (Thread.currentThread().isInterrupted()) {
                    return;
                }
            } catch (RuntimeException e) {
                if (claiming) {
                    if (!SpoolException.unavailable(e)) {
                        log.warn("claim failed; trying again shortly", e);
                    }
                    sleepQuietly(settings.poll());
                }
            }
        }
    }

    private void start(Job job) {
        Running r = new Running(job);
        running.put(job.id(), r);
        r.thread = Thread.ofVirtual().name("spool-job-" + job.id()).unstarted(() -> execute(r));
        r.thread.start();
    }

    private void execute(Running r) {
        Job job = r.job;
        Outcome outcome;
        try {
            JsonNode result = handlers.get(job.type()).run(r);
            outcome = r.stop.get() == Stop.NONE || r.stop.get() == Stop.SHUTDOWN
                    ? new Outcome.Succeeded(result, r.units.get())
                    : stopped(r);
        } catch (JobFailure f) {
            outcome = r.stop.get() == Stop.NONE ? new Outcome.Failed(f.error()) : stopped(r);
        } catch (Exception e) {
            outcome = r.stop.get() == Stop.NONE
                    ? new Outcome.Failed(new JobError("handler_error", describe(e), true))
                    : stopped(r);
        }
        try {
            if (outcome != null) {
                flushProgress(r);
                reportUntilHeard(job, outcome);
            }
        } catch (SpoolException e) {
            log.info("job {} attempt {}: outcome not accepted: {}", job.id(), job.attempt(), e.getMessage());
        } catch (RuntimeException e) {
            log.error("job {} attempt {}: could not report its outcome; its lease will expire and it will be rescued",
                    job.id(), job.attempt(), e);
        } finally {
            running.remove(job.id());
            wake();
        }
    }

    /**
     * A database outage must not cost a finished job its outcome (and a second run): the report is
     * tried again, with a growing pause, while the database is unavailable. Reports are fenced by the
     * attempt, so one that arrives after the lease was rescued is refused, never applied twice.
     */
    private void reportUntilHeard(Job job, Outcome outcome) {
        long pauseMs = 100;
        long giveUpAt = System.nanoTime() + REPORT_RETRY_FOR.toNanos();
        while (true) {
            try {
                engine.report(job.id(), job.attempt(), outcome);
                return;
            } catch (SpoolException e) {
                if (!SpoolException.unavailable(e) || !claiming || System.nanoTime() > giveUpAt) {
                    throw e;
                }
                sleepQuietly(Duration.ofMillis(pauseMs));
                pauseMs = Math.min(pauseMs * 2, 2_000);
            }
        }
    }

    /** How long a finished job's report is retried through a database outage. */
    private static final Duration REPORT_RETRY_FOR = Duration.ofMinutes(2);

    /** The outcome of a handler that was stopped; null when there is nothing left to report. */
    private Outcome stopped(Running r) {
        return switch (r.stop.get()) {
            case CANCEL -> new Outcome.Cancelled("cancelled at the client's request");
            case TIMEOUT -> new Outcome.Failed(new JobError("timeout",
                    "The attempt ran longer than its timeout of " + r.job.timeoutSeconds() + " s.", true));
            // SHUTDOWN: close() gives the job back itself; STALE: the attempt is no longer ours.
            case SHUTDOWN, STALE, NONE -> null;
        };
    }

    private static String describe(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    private void tick() {
        long now = System.nanoTime();
        for (Running r : running.values()) {
            try {
                if (r.stop.get() == Stop.NONE && now >= r.deadline) {
                    r.stopWith(Stop.TIMEOUT);
                }
                boolean heartbeatDue = now - r.lastHeartbeat >= settings.heartbeat().toNanos();
                boolean progressDue = (r.pendingProgress.get() != null || r.hasLines())
                        && now - r.lastHeartbeat >= settings.progressInterval().toNanos();
                if (heartbeatDue || progressDue) {
                    heartbeat(r);
                }
            } catch (RuntimeException e) {
                if (!SpoolException.unavailable(e)) {
                    log.warn("heartbeat of job {} failed", r.job.id(), e);
                }
            }
        }
    }

    private void heartbeat(Running r) {
        Progress progress = r.pendingProgress.getAndSet(null);
        r.lastHeartbeat = System.nanoTime();
        try {
            flushLogs(r);
            Engine.Heartbeat beat = engine.heartbeat(r.job.id(), r.job.attempt(), progress == null ? Progress.NONE : progress);
            if (beat.cancelRequested()) {
                r.stopWith(Stop.CANCEL);
            }
        } catch (SpoolException e) {
            // The attempt is over (rescued, deleted, or finished elsewhere): stop, report nothing.
            r.stopWith(Stop.STALE);
        }
    }

    private void flushProgress(Running r) {
        flushLogs(r);
        Progress progress = r.pendingProgress.getAndSet(null);
        if (progress != null) {
            engine.heartbeat(r.job.id(), r.job.attempt(), progress);
        }
    }

    private void flushLogs(Running r) {
        List<String> lines = r.drainLines();
        if (!lines.isEmpty()) {
            engine.appendLogs(r.job.id(), r.job.attempt(), lines);
        }
    }

    @Override
    public void close() {
        claiming = false;
        wake();
        try {
            loop.join(settings.poll().toMillis() + 5_000);
            long deadline = System.nanoTime() + settings.grace().toNanos();
            while (!running.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            // Past the grace period: give the rest back. The give-back is written here, so it does not
            // depend on the handler noticing the interrupt; its own late report is then stale.
            for (Running r : running.values()) {
                r.stopWith(Stop.SHUTDOWN);
                try {
                    engine.giveBack(r.job.id(), r.job.attempt());
                    log.info("gave back job {} (attempt {})", r.job.id(), r.job.attempt());
                } catch (SpoolException e) {
                    log.debug("job {} ended before it could be given back: {}", r.job.id(), e.getMessage());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            ticker.shutdownNow();
        }
    }

    private static void sleepQuietly(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One job running on this node, and the handler's view of it. */
    private final class Running implements JobContext {
        final Job job;
        final long deadline;
        final AtomicReference<Stop> stop = new AtomicReference<>(Stop.NONE);
        final AtomicReference<Progress> pendingProgress = new AtomicReference<>();
        final AtomicLong units = new AtomicLong();
        private final List<String> lines = new ArrayList<>();
        volatile long lastHeartbeat = System.nanoTime();
        volatile Thread thread;

        Running(Job job) {
            this.job = job;
            this.deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(job.timeoutSeconds());
        }

        void stopWith(Stop why) {
            if (stop.compareAndSet(Stop.NONE, why) && thread != null) {
                thread.interrupt();
            }
        }

        @Override
        public Job job() {
            return job;
        }

        @Override
        public void progress(double fraction, String message) {
            pendingProgress.set(new Progress(Math.max(0, Math.min(1, fraction)), message));
        }

        @Override
        public List<InputFile> inputs() {
            return files.inputs(job);
        }

        @Override
        public java.io.InputStream openInput(String name) throws java.io.IOException {
            return files.open(job, name);
        }

        @Override
        public void attach(String name, String contentType, java.nio.file.Path file) throws java.io.IOException {
            try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
                files.store(job.id(), job.attempt(), name, contentType, in);
            }
        }

        @Override
        public synchronized void log(String line) {
            lines.add(line.length() > 8192 ? line.substring(0, 8192) : line);
        }

        synchronized boolean hasLines() {
            return !lines.isEmpty();
        }

        synchronized List<String> drainLines() {
            List<String> out = List.copyOf(lines);
            lines.clear();
            return out;
        }

        @Override
        public void addUnits(long n) {
            units.addAndGet(n);
        }

        @Override
        public void checkpoint() throws InterruptedException {
            if (stop.get() != Stop.NONE || Thread.currentThread().isInterrupted()) {
                throw new InterruptedException("job " + job.id() + " stopped: " + stop.get());
            }
        }
    }
}
