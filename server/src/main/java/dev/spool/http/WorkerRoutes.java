package dev.spool.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spool.artifact.Artifact;
import dev.spool.artifact.JobFiles;
import dev.spool.auth.Caller;
import dev.spool.engine.Engine;
import dev.spool.job.Job;
import dev.spool.job.JobError;
import dev.spool.job.JobId;
import dev.spool.job.Outcome;
import dev.spool.job.Progress;
import dev.spool.job.SpoolException;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * The worker protocol: claim (long-poll), heartbeat, complete, fail and log, every report fenced
 * by the attempt it belongs to. docs/worker-protocol.md walks through it with curl.
 */
final class WorkerRoutes {
    record ClaimBody(String workerId, String name, List<String> types, List<String> queues, Integer max, Integer waitSeconds) {}

    record ProgressBody(Double fraction, String message) {}

    record HeartbeatBody(Integer attempt, ProgressBody progress) {}

    record UsageBody(Long units) {}

    record CompleteBody(Integer attempt, JsonNode result, UsageBody usage) {}

    record ErrorBody(String code, String message) {}

    record FailBody(Integer attempt, ErrorBody error, Boolean retryable) {}

    record LogBody(Integer attempt, List<String> lines) {}

    static final int MAX_CLAIM = 100;
    /** Most items in one batch call (reports, heartbeats). */
    static final int MAX_BATCH = 1000;
    static final int MAX_WAIT_SECONDS = 60;
    static final int MAX_LOG_LINES = 1000;
    static final int MAX_LOG_LINE = 8192;

    private final Engine engine;
    private final JobFiles files;
    private final String baseUrl;

    WorkerRoutes(Engine engine, JobFiles files, String baseUrl) {
        this.engine = engine;
        this.files = files;
        this.baseUrl = baseUrl;
    }

    void claim(Caller caller, ServerRequest req, ServerResponse res) {
        ClaimBody body = Json.read(ApiServer.body(req), ClaimBody.class);
        int max = body.max() == null ? 1 : body.max();
        int wait = body.waitSeconds() == null ? 0 : body.waitSeconds();
        if (max < 1 || max > MAX_CLAIM) {
            throw SpoolException.invalid("max must be between 1 and " + MAX_CLAIM);
        }
        if (wait < 0 || wait > MAX_WAIT_SECONDS) {
            throw SpoolException.invalid("wait_seconds must be between 0 and " + MAX_WAIT_SECONDS);
        }
        String workerId = body.workerId() == null ? caller.keyId() : body.workerId();
        if (workerId.isBlank() || workerId.length() > 200) {
            throw SpoolException.invalid("worker_id must be 1 to 200 characters");
        }
        String name = body.name() == null ? workerId : body.name();
        List<Job> jobs = engine.claimForWorker(new Engine.WorkerClaim(workerId, name, caller.keyId(),
                body.types() == null ? List.of() : body.types(), body.queues() == null ? List.of() : body.queues(), max),
                Duration.ofSeconds(wait));
        ObjectNode out = Json.MAPPER.createObjectNode();
        var data = out.putArray("jobs");
        long heartbeatMs = engine.settings().lease().toMillis() / 3;
        Map<JobId, List<Artifact>> inputFiles = jobs.isEmpty() ? Map.of() : files.inputs(jobs.stream().map(Job::id).toList());
        for (Job j : jobs) {
            ObjectNode o = data.addObject();
            o.put("id", j.id().value());
            o.put("type", j.type());
            o.put("queue", j.queue());
            o.put("tenant", j.tenant());
            o.put("attempt", j.attempt());
            o.set("input", j.input());
            o.set("metadata", Json.MAPPER.valueToTree(new TreeMap<>(j.metadata())));
            o.put("timeout_seconds", j.timeoutSeconds());
            o.put("lease_expires_at", Wire.time(j.leaseExpiresAt()));
            o.put("heartbeat_interval_ms", heartbeatMs);
            if (j.traceparent() != null) {
                o.put("traceparent", j.traceparent()); // the job's trace: the worker's spans continue it
            }
            // The files uploaded with the job, as signed links the worker can fetch without a key.
            var inputs = o.putArray("inputs");
            for (var a : inputFiles.getOrDefault(j.id(), List.of())) {
                var link = files.link(a);
                inputs.addObject().put("name", a.name()).put("content_type", a.contentType()).put("size", a.size())
                        .put("sha256", a.sha256()).put("url", baseUrl + link.path());
            }
        }
        try {
            ApiServer.sendJson(res, Status.OK_200, out);
        } catch (RuntimeException e) {
            // The worker went away during the long poll: give its jobs back now rather than at lease expiry.
            for (Job j : jobs) {
                try {
                    engine.giveBack(j.id(), j.attempt());
                } catch (SpoolException ignored) {
                    // already ended elsewhere
                }
            }
            throw e;
        }
    }

    void heartbeat(Caller caller, ServerRequest req, ServerResponse res) {
        HeartbeatBody body = Json.read(ApiServer.body(req), HeartbeatBody.class);
        Progress progress = body.progress() == null ? Progress.NONE
                : new Progress(body.progress().fraction(), body.progress().message());
        Engine.Heartbeat beat = engine.heartbeat(jobId(req), attempt(body.attempt()), progress);
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("status", beat.job().status().wireName());
        out.put("cancel_requested", beat.cancelRequested());
        out.put("lease_expires_at", Wire.time(beat.job().leaseExpiresAt()));
        ApiServer.sendJson(res, Status.OK_200, out);
    }

    void complete(Caller caller, ServerRequest req, ServerResponse res) {
        CompleteBody body = Json.read(ApiServer.body(req), CompleteBody.class);
        long units = units(body.usage(), null);
        JsonNode result = body.result() == null ? Json.MAPPER.nullNode() : body.result();
        report(res, engine.report(jobId(req), attempt(body.attempt()), new Outcome.Succeeded(result, units)));
    }

    void fail(Caller caller, ServerRequest req, ServerResponse res) {
        FailBody body = Json.read(ApiServer.body(req), FailBody.class);
        JobError error = error(body.error(), body.retryable(), null);
        report(res, engine.report(jobId(req), attempt(body.attempt()), new Outcome.Failed(error)));
    }

    record BeatItem(String id, Integer attempt, ProgressBody progress) {}

    record HeartbeatsBody(List<BeatItem> heartbeats) {}

    /**
     * Heartbeats of many running attempts in one call: each renews its lease (and passes its
     * progress on) on its own, answered in the order given, a refused one with its problem.
     */
    void heartbeats(Caller caller, ServerRequest req, ServerResponse res) {
        HeartbeatsBody body = Json.read(ApiServer.body(req), HeartbeatsBody.class);
        List<BeatItem> items = items(body.heartbeats(), "heartbeats");
        List<Engine.Beat> beats = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            BeatItem item = items.get(i);
            String at = "heartbeats[" + i + "]";
            beats.add(new Engine.Beat(jobId(item.id(), at), attempt(item.attempt(), at), item.progress() == null
                    ? Progress.NONE : progress(item.progress(), at)));
        }
        sendAnswers(res, beats.stream().map(Engine.Beat::id).toList(), engine.heartbeats(beats), (o, beat) -> o
                .put("status", beat.job().status().wireName())
                .put("cancel_requested", beat.cancelRequested())
                .put("lease_expires_at", Wire.time(beat.job().leaseExpiresAt())));
    }

    record ReportItem(String id, Integer attempt, String outcome, JsonNode result, UsageBody usage, ErrorBody error,
                      Boolean retryable) {}

    record ReportsBody(List<ReportItem> reports) {}

    /**
     * The ends of many attempts in one call: each {@code succeeded}, {@code failed} or {@code
     * released}, fenced by its attempt and answered on its own, in the order given. A malformed
     * item refuses the whole call (nothing is applied); a stale or missing job refuses its item.
     */
    void reports(Caller caller, ServerRequest req, ServerResponse res) {
        ReportsBody body = Json.read(ApiServer.body(req), ReportsBody.class);
        List<ReportItem> items = items(body.reports(), "reports");
        List<Engine.Report> reports = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            ReportItem item = items.get(i);
            String at = "reports[" + i + "]";
            JobId id = jobId(item.id(), at);
            int attempt = attempt(item.attempt(), at);
            Outcome outcome = switch (item.outcome() == null ? "" : item.outcome()) {
                case "succeeded" -> new Outcome.Succeeded(item.result() == null ? Json.MAPPER.nullNode() : item.result(),
                        units(item.usage(), at));
                case "failed" -> new Outcome.Failed(error(item.error(), item.retryable(), at));
                case "released" -> null;
                default -> throw SpoolException.invalid(at + ".outcome must be succeeded, failed or released");
            };
            reports.add(new Engine.Report(id, attempt, outcome));
        }
        sendAnswers(res, reports.stream().map(Engine.Report::id).toList(), engine.reportAll(reports), WorkerRoutes::reported);
    }

    /** The answer of a batch call: an object per item, in order, with its id and its answer or its problem. */
    private static <T> void sendAnswers(ServerResponse res, List<JobId> ids, List<Engine.Answer<T>> answers,
                                        BiConsumer<ObjectNode, T> answer) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        var results = out.putArray("results");
        for (int i = 0; i < answers.size(); i++) {
            ObjectNode o = results.addObject().put("id", ids.get(i).value());
            var a = answers.get(i);
            if (a.error() != null) {
                o.set("error", Problems.problem(a.error().code(), a.error().getMessage()));
            } else {
                answer.accept(o, a.value());
            }
        }
        ApiServer.sendJson(res, Status.OK_200, out);
    }

    /** The items of a batch call: 1 to {@link #MAX_BATCH}, each job at most once. */
    private static <T> List<T> items(List<T> items, String field) {
        if (items == null || items.isEmpty() || items.size() > MAX_BATCH) {
            throw SpoolException.invalid(field + " must hold 1 to " + MAX_BATCH + " items");
        }
        for (int i = 0; i < items.size(); i++) {
            if (items.get(i) == null) {
                throw SpoolException.invalid(field + "[" + i + "] must be an object");
            }
        }
        return items;
    }

    record ReleaseBody(Integer attempt) {}

    /** Hands a job back unfinished (the worker is stopping): queued again at once, the attempt not spent. */
    void release(Caller caller, ServerRequest req, ServerResponse res) {
        ReleaseBody body = Json.read(ApiServer.body(req), ReleaseBody.class);
        report(res, engine.giveBack(jobId(req), attempt(body.attempt())));
    }

    void log(Caller caller, ServerRequest req, ServerResponse res) {
        LogBody body = Json.read(ApiServer.body(req), LogBody.class);
        if (body.lines() == null || body.lines().isEmpty() || body.lines().size() > MAX_LOG_LINES) {
            throw SpoolException.invalid("lines must hold 1 to " + MAX_LOG_LINES + " strings");
        }
        if (body.lines().stream().anyMatch(l -> l == null || l.length() > MAX_LOG_LINE)) {
            throw SpoolException.invalid("each line must be a string of at most " + MAX_LOG_LINE + " characters");
        }
        engine.appendLogs(jobId(req), attempt(body.attempt()), body.lines());
        res.status(Status.NO_CONTENT_204).send();
    }

    /** The job after a report, as the worker needs it: its status now and when it runs again. */
    private static void report(ServerResponse res, Job job) {
        ObjectNode out = Json.MAPPER.createObjectNode().put("id", job.id().value());
        reported(out, job);
        ApiServer.sendJson(res, Status.OK_200, out);
    }

    private static void reported(ObjectNode out, Job job) {
        out.put("status", job.status().wireName());
        out.put("attempt", job.attempt());
        out.put("run_at", Wire.time(job.runAt()));
    }

    /** {@code field} named for the message: plain for a single call, {@code reports[3].usage.units} in a batch. */
    private static String field(String at, String name) {
        return at == null ? name : at + "." + name;
    }

    private static long units(UsageBody usage, String at) {
        long units = usage == null || usage.units() == null ? 0 : usage.units();
        if (units < 0) {
            throw SpoolException.invalid(field(at, "usage.units") + " cannot be negative");
        }
        return units;
    }

    private static JobError error(ErrorBody error, Boolean retryable, String at) {
        if (error == null || error.message() == null) {
            throw SpoolException.invalid(field(at, "error.message") + " is required");
        }
        return new JobError(error.code() == null ? "worker_error" : error.code(), error.message(), retryable == null || retryable);
    }

    private static Progress progress(ProgressBody progress, String at) {
        try {
            return new Progress(progress.fraction(), progress.message());
        } catch (SpoolException e) {
            throw SpoolException.invalid(at + "." + e.getMessage());
        }
    }

    private static int attempt(Integer attempt) {
        return attempt(attempt, null);
    }

    private static int attempt(Integer attempt, String at) {
        if (attempt == null || attempt < 1) {
            throw SpoolException.invalid(field(at, "attempt") + " is required: the attempt number the claim gave");
        }
        return attempt;
    }

    private static JobId jobId(String id, String at) {
        if (id == null) {
            throw SpoolException.invalid(field(at, "id") + " is required");
        }
        return JobId.parse(id).orElseThrow(() -> SpoolException.invalid(field(at, "id") + " is not a job id"));
    }

    private static JobId jobId(ServerRequest req) {
        return JobId.parse(req.path().pathParameters().get("id")).orElseThrow(() -> SpoolException.notFound("job"));
    }
}
