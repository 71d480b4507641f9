package dev.spool.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

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

    private final Http http;
    private final WorkerRuntime<ClaimedJob> runtime;

    private SpoolWorker(Builder b) {
        this.http = new Http(b);
        this.runtime = new WorkerRuntime<>("spool-worker", http, new Runs(b),
                new WorkerRuntime.Settings(b.concurrency, Duration.ofSeconds(b.waitSeconds), Duration.ofMillis(b.tick),
                        Duration.ZERO, b.grace));
    }

    public static Builder builder(SpoolClient client) {
        return new Builder(client);
    }

    /** Jobs running in this worker now. */
    public int active() {
        return runtime.active();
    }

    /** Stops claiming, lets running jobs finish within the grace period, and hands back the rest. */
    @Override
    public void close() {
        runtime.close();
        http.reports.close();
    }

    /** Spool unreachable, unavailable (503) or limiting (429): a passing state, worth a line, not a stack. */
    private static boolean passing(RuntimeException e) {
        return e instanceof java.io.UncheckedIOException
                || e instanceof SpoolApiException api && (api.status() == 503 || api.status() == 429);
    }

    /**
     * The worker protocol over HTTP. Heartbeats due together go in one call; a report goes at once
     * while fewer than {@link #REPORT_CALLS} are on their way, else with those that ended meanwhile
     * in the next call.
     */
    private static final class Http implements WorkerRuntime.Transport<ClaimedJob> {
        /** Most reports in one call. */
        private static final int MAX_REPORTS = 500;
        /** Report calls in flight at once. */
        private static final int REPORT_CALLS = 4;

        private final Builder b;
        private final Coalescer<WorkerReport, String> reports;

        Http(Builder b) {
            this.b = b;
            this.reports = new Coalescer<>("spool-worker-reports", items -> b.client.reports(items).stream().map(Coalescer::of).toList(),
                    MAX_REPORTS, REPORT_CALLS);
        }

        @Override
        public List<ClaimedJob> claim(int max, Duration wait) {
            return b.client.claim(b.workerId, b.name, b.types, max, (int) wait.toSeconds());
        }

        @Override
        public String id(ClaimedJob job) {
            return job.id();
        }

        @Override
        public int attempt(ClaimedJob job) {
            return job.attempt();
        }

        @Override
        public int timeoutSeconds(ClaimedJob job) {
            return job.timeoutSeconds();
        }

        @Override
        public Duration heartbeatEvery(ClaimedJob job) {
            return Duration.ofMillis(Math.max(100, job.heartbeatIntervalMs() / 2));
        }

        @Override
        public boolean heartbeat(ClaimedJob job, Double fraction, String message) {
            return b.client.heartbeat(job.id(), job.attempt(), fraction, message).cancelRequested();
        }

        @Override
        public List<WorkerRuntime.BeatAnswer> heartbeats(List<WorkerRuntime.Beat<ClaimedJob>> beats) {
            List<WorkerRuntime.BeatAnswer> answers = new java.util.ArrayList<>(beats.size());
            for (int from = 0; from < beats.size(); from += MAX_REPORTS) {
                List<SpoolClient.Beat> part = beats.subList(from, Math.min(beats.size(), from + MAX_REPORTS)).stream()
                        .map(x -> new SpoolClient.Beat(x.job().id(), x.job().attempt(), x.fraction(), x.message()))
                        .toList();
                for (BatchAnswer<HeartbeatReply> a : b.client.heartbeats(part)) {
                    answers.add(a.error() == null ? new WorkerRuntime.BeatAnswer(a.value().cancelRequested(), null)
                            : new WorkerRuntime.BeatAnswer(false, a.error()));
                }
            }
            return answers;
        }

        @Override
        public void appendLogs(ClaimedJob job, List<String> lines) {
            b.client.appendLogs(job.id(), job.attempt(), lines);
        }

        @Override
        public void report(ClaimedJob job, WorkerRuntime.Outcome outcome) {
            reports.submit(switch (outcome) {
                case WorkerRuntime.Outcome.Succeeded s -> WorkerReport.succeeded(job.id(), job.attempt(), s.result(), s.units());
                case WorkerRuntime.Outcome.Failed f -> WorkerReport.failed(job.id(), job.attempt(), f.code(), f.message(), f.retryable());
                case WorkerRuntime.Outcome.Cancelled c ->
                        WorkerReport.failed(job.id(), job.attempt(), "cancelled", "stopped at the client's request", false);
            });
        }

        @Override
        public void giveBack(ClaimedJob job) {
            b.client.release(job.id(), job.attempt());
        }

        @Override
        public WorkerRuntime.Trouble trouble(RuntimeException e) {
            if (e instanceof SpoolApiException api && (api.status() == 409 || api.status() == 404)) {
                return WorkerRuntime.Trouble.LOST;
            }
            return passing(e) ? WorkerRuntime.Trouble.PASSING : WorkerRuntime.Trouble.OTHER;
        }
    }

    /** The builder's handler, run with a {@link Context} of its job. */
    private record Runs(Builder b) implements WorkerRuntime.Handler<ClaimedJob> {
        @Override
        public JsonNode run(WorkerRuntime.Slot<ClaimedJob> slot) throws Exception {
            return b.handler.run(new Context() {
                @Override
                public ClaimedJob job() {
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
                public void attach(String name, String contentType, java.nio.file.Path file) {
                    b.client.uploadArtifact(slot.job().id(), slot.job().attempt(), name, contentType, file);
                }

                @Override
                public void addUnits(long units) {
                    slot.addUnits(units);
                }

                @Override
                public boolean stopped() {
                    return slot.stopped();
                }
            });
        }

        @Override
        public WorkerRuntime.Outcome.Failed failed(Exception e) {
            if (e instanceof Failure f) {
                return new WorkerRuntime.Outcome.Failed(f.code, String.valueOf(f.getMessage()), f.retryable);
            }
            return new WorkerRuntime.Outcome.Failed("worker_error", WorkerRuntime.describe(e), true);
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
