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
import java.util.List;
import java.util.TreeMap;

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
            // The files uploaded with the job, as signed links the worker can fetch without a key.
            var inputs = o.putArray("inputs");
            for (var a : files.list(j.tenant(), j.id())) {
                if (a.kind() == Artifact.Kind.INPUT) {
                    var link = files.link(a);
                    inputs.addObject().put("name", a.name()).put("content_type", a.contentType()).put("size", a.size())
                            .put("sha256", a.sha256()).put("url", baseUrl + link.path());
                }
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
        long units = body.usage() == null || body.usage().units() == null ? 0 : body.usage().units();
        if (units < 0) {
            throw SpoolException.invalid("usage.units cannot be negative");
        }
        JsonNode result = body.result() == null ? Json.MAPPER.nullNode() : body.result();
        report(res, engine.report(jobId(req), attempt(body.attempt()), new Outcome.Succeeded(result, units)));
    }

    void fail(Caller caller, ServerRequest req, ServerResponse res) {
        FailBody body = Json.read(ApiServer.body(req), FailBody.class);
        if (body.error() == null || body.error().message() == null) {
            throw SpoolException.invalid("error.message is required");
        }
        JobError error = new JobError(body.error().code() == null ? "worker_error" : body.error().code(),
                body.error().message(), body.retryable() == null || body.retryable());
        report(res, engine.report(jobId(req), attempt(body.attempt()), new Outcome.Failed(error)));
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
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("id", job.id().value());
        out.put("status", job.status().wireName());
        out.put("attempt", job.attempt());
        out.put("run_at", Wire.time(job.runAt()));
        ApiServer.sendJson(res, Status.OK_200, out);
    }

    private static int attempt(Integer attempt) {
        if (attempt == null || attempt < 1) {
            throw SpoolException.invalid("attempt is required: the attempt number the claim gave");
        }
        return attempt;
    }

    private static JobId jobId(ServerRequest req) {
        return JobId.parse(req.path().pathParameters().get("id")).orElseThrow(() -> SpoolException.notFound("job"));
    }
}
