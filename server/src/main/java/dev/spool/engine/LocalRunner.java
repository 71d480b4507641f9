package dev.spool.engine;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spool.client.WorkerRuntime;
import dev.spool.job.ErrorCode;
import dev.spool.job.InputFile;
import dev.spool.job.Job;
import dev.spool.job.JobError;
import dev.spool.job.JobId;
import dev.spool.job.Outcome;
import dev.spool.job.Progress;
import dev.spool.job.SpoolException;
import dev.spool.wake.WakeUp;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs the jobs of {@code builtin} types inside the server, on the same {@link WorkerRuntime} as
 * external Java workers, with the engine as its transport: claims sized to free slots, a virtual
 * thread per job, a ticker that heartbeats, passes progress on and stops jobs that are cancelled
 * or time out. {@link #close()} stops claiming, lets running jobs finish within the grace period,
 * and gives back the rest, so that no job is left running without an owner.
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

        InputStream open(Job job, String name) throws IOException;

        void store(JobId id, int attempt, String name, String contentType, InputStream content);
    }

    private final WorkerRuntime<Job> runtime;

    public LocalRunner(Engine engine, Map<String, JobHandler> handlers, Settings settings, String workerId, FileAccess files) {
        InEngine transport = new InEngine(engine, List.copyOf(handlers.keySet()), workerId, settings.heartbeat());
        engine.onClaimable(transport.claimable::ring);
        Duration tick = Duration.ofMillis(Math.max(50, Math.min(settings.heartbeat().toMillis(), settings.progressInterval().toMillis())));
        this.runtime = new WorkerRuntime<>("spool-runner", transport, new Handlers(Map.copyOf(handlers), files),
                new WorkerRuntime.Settings(settings.slots(), settings.poll(), tick, settings.progressInterval(), settings.grace()));
    }

    /** Jobs running on this node now. */
    public int active() {
        return runtime.active();
    }

    @Override
    public void close() {
        runtime.close();
    }

    /** The engine, called in-process, as the runtime's way to Spool. */
    private static final class InEngine implements WorkerRuntime.Transport<Job> {
        private final Engine engine;
        private final List<String> types;
        private final String workerId;
        private final Duration heartbeat;
        /** Rung by commits that make jobs claimable: a waiting claim looks again at once. */
        final WakeUp claimable = new WakeUp();

        InEngine(Engine engine, List<String> types, String workerId, Duration heartbeat) {
            this.engine = engine;
            this.types = types;
            this.workerId = workerId;
            this.heartbeat = heartbeat;
        }

        @Override
        public List<Job> claim(int max, Duration wait) throws InterruptedException {
            long deadline = System.nanoTime() + wait.toNanos();
            while (true) {
                long seen = claimable.rings(); // a ring from here on ends the wait below at once
                List<Job> jobs = types.isEmpty() ? List.of() : engine.claim(types, List.of(), max, workerId);
                long left = deadline - System.nanoTime();
                if (!jobs.isEmpty() || left <= 0) {
                    return jobs;
                }
                claimable.await(seen, Duration.ofNanos(left));
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
            }
        }

        @Override
        public void closing() {
            claimable.ring();
        }

        @Override
        public String id(Job job) {
            return job.id().value();
        }

        @Override
        public int attempt(Job job) {
            return job.attempt();
        }

        @Override
        public int timeoutSeconds(Job job) {
            return job.timeoutSeconds();
        }

        @Override
        public Duration heartbeatEvery(Job job) {
            return heartbeat;
        }

        @Override
        public boolean heartbeat(Job job, Double fraction, String message) {
            Progress progress = fraction == null && message == null ? Progress.NONE : new Progress(fraction, message);
            return engine.heartbeat(job.id(), job.attempt(), progress).cancelRequested();
        }

        @Override
        public List<WorkerRuntime.BeatAnswer> heartbeats(List<WorkerRuntime.Beat<Job>> beats) {
            List<Engine.Beat> engineBeats = beats.stream()
                    .map(b -> new Engine.Beat(b.job().id(), b.job().attempt(), b.fraction() == null && b.message() == null
                            ? Progress.NONE : new Progress(b.fraction(), b.message())))
                    .toList();
            return engine.heartbeats(engineBeats).stream()
                    .map(a -> a.error() == null ? new WorkerRuntime.BeatAnswer(a.value().cancelRequested(), null)
                            : new WorkerRuntime.BeatAnswer(false, a.error()))
                    .toList();
        }

        @Override
        public void appendLogs(Job job, List<String> lines) {
            engine.appendLogs(job.id(), job.attempt(), lines);
        }

        @Override
        public void report(Job job, WorkerRuntime.Outcome outcome) {
            engine.report(job.id(), job.attempt(), switch (outcome) {
                case WorkerRuntime.Outcome.Succeeded s -> new Outcome.Succeeded(s.result(), s.units());
                case WorkerRuntime.Outcome.Failed f -> new Outcome.Failed(new JobError(f.code(), f.message(), f.retryable()));
                case WorkerRuntime.Outcome.Cancelled c -> new Outcome.Cancelled(c.reason());
            });
        }

        @Override
        public void giveBack(Job job) {
            engine.giveBack(job.id(), job.attempt());
        }

        @Override
        public WorkerRuntime.Trouble trouble(RuntimeException e) {
            if (SpoolException.unavailable(e)) {
                return WorkerRuntime.Trouble.PASSING;
            }
            if (e instanceof SpoolException s && (s.code() == ErrorCode.STALE_ATTEMPT || s.code() == ErrorCode.NOT_FOUND)) {
                return WorkerRuntime.Trouble.LOST;
            }
            return WorkerRuntime.Trouble.OTHER;
        }
    }

    /** The built-in handlers, each run with a {@link JobContext} of its job. */
    private record Handlers(Map<String, JobHandler> handlers, FileAccess files) implements WorkerRuntime.Handler<Job> {
        @Override
        public JsonNode run(WorkerRuntime.Slot<Job> slot) throws Exception {
            // The job's thread (a thread of its own): every line it logs says which job and attempt
            // it is about. One map set, not two puts: each put copies the context map.
            MDC.setContextMap(Map.of("job_id", slot.job().id().value(), "attempt", Integer.toString(slot.job().attempt())));
            long started = System.nanoTime();
            try {
                log.debug("running, type {}", slot.job().type());
                JsonNode result = handlers.get(slot.job().type()).run(new Context(slot, files));
                log.debug("the handler returned after {} ms", (System.nanoTime() - started) / 1_000_000);
                return result;
            } finally {
                MDC.clear();
            }
        }

        @Override
        public WorkerRuntime.Outcome.Failed failed(Exception e) {
            if (e instanceof JobFailure f) {
                return new WorkerRuntime.Outcome.Failed(f.error().code(), f.error().message(), f.error().retryable());
            }
            return new WorkerRuntime.Outcome.Failed("handler_error", WorkerRuntime.describe(e), true);
        }
    }

    /** What a built-in handler sees of its running job. */
    private record Context(WorkerRuntime.Slot<Job> slot, FileAccess files) implements JobContext {
        @Override
        public Job job() {
            return slot.job();
        }

        @Override
        public void progress(double fraction, String message) {
            slot.progress(fraction, message);
        }

        @Override
        public void log(String line) {
            slot.log(line);
        }

        @Override
        public List<InputFile> inputs() {
            return files.inputs(job());
        }

        @Override
        public InputStream openInput(String name) throws IOException {
            return files.open(job(), name);
        }

        @Override
        public void attach(String name, String contentType, Path file) throws IOException {
            try (InputStream in = Files.newInputStream(file)) {
                files.store(job().id(), job().attempt(), name, contentType, in);
            }
        }

        @Override
        public void addUnits(long units) {
            slot.addUnits(units);
        }

        @Override
        public void checkpoint() throws InterruptedException {
            if (slot.stopped() || Thread.currentThread().isInterrupted()) {
                throw new InterruptedException("job " + job().id() + " stopped: " + slot.stopReason());
            }
        }
    }
}
