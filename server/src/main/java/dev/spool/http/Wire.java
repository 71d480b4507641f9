package dev.spool.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spool.auth.ApiKey;
import dev.spool.engine.JobType;
import dev.spool.engine.JobTypes;
import dev.spool.job.Batch;
import dev.spool.job.Job;
import dev.spool.job.JobEvent;
import dev.spool.job.LogLine;
import dev.spool.job.Price;
import dev.spool.job.WebhookEvent;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.TreeMap;

/** Spool's records in their wire form: snake_case JSON, RFC 3339 UTC times with milliseconds. */
final class Wire {
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private final JobTypes types;
    private final String baseUrl;

    /** @param baseUrl prefix of the links in a job, without a trailing slash; empty for links relative to the server root */
    Wire(JobTypes types, String baseUrl) {
        this.types = types;
        this.baseUrl = baseUrl;
    }

    static String time(Instant instant) {
        return instant == null ? null : TIME.format(instant);
    }

    ObjectNode job(Job job, Instant now) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", job.id().value());
        o.put("type", job.type());
        o.put("queue", job.queue());
        o.put("priority", job.priority());
        o.put("title", job.title());
        o.put("status", job.status().wireName());
        o.put("cancel_requested", job.cancelRequested());
        if (job.progress().fraction() == null && job.progress().message() == null) {
            o.putNull("progress");
        } else {
            o.putObject("progress").put("fraction", job.progress().fraction()).put("message", job.progress().message());
        }
        o.set("input", job.input());
        o.set("metadata", Json.MAPPER.valueToTree(new TreeMap<>(job.metadata())));
        o.put("idempotency_key", job.idempotencyKey());
        o.put("batch_id", job.batchId());
        o.put("attempt", job.attempt());
        o.put("max_attempts", job.maxAttempts());
        o.put("run_at", time(job.runAt()));
        o.put("timeout_seconds", job.timeoutSeconds());
        o.set("result", job.result());
        if (job.error() == null) {
            o.putNull("error");
        } else {
            o.putObject("error").put("code", job.error().code()).put("message", job.error().message())
                    .put("retryable", job.error().retryable());
        }
        long runMs = job.runMsAt(now);
        Price price = types.get(job.type()).map(JobType::price).orElse(Price.FREE);
        ObjectNode usage = o.putObject("usage");
        usage.put("run_ms", runMs);
        usage.put("units", job.units());
        usage.putObject("cost")
                .put("amount", price.cost(job.attempt(), runMs, job.units()))
                .put("currency", price.currency());
        o.putObject("owner").put("key_id", job.keyId());
        o.put("created_at", time(job.createdAt()));
        o.put("started_at", time(job.startedAt()));
        o.put("ended_at", time(job.endedAt()));
        o.put("updated_at", time(job.updatedAt()));
        String self = baseUrl + "/v1/jobs/" + job.id().value();
        o.putObject("urls").put("self", self).put("cancel", self + "/cancel").put("events", self + "/events");
        if (job.webhook() == null) {
            o.putNull("webhook");
        } else {
            var events = o.putObject("webhook").put("url", job.webhook().url()).putArray("events");
            job.webhook().events().stream().map(WebhookEvent::wireName).sorted().forEach(events::add);
        }
        return o;
    }

    /**
     * The body of a webhook in Spool's own format: {@code type} ({@code job.succeeded}), {@code
     * timestamp}, and {@code data}, the job as {@code GET /v1/jobs/{id}} showed it at that moment.
     */
    String payload(Job job, WebhookEvent event, Instant at) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("type", event.type());
        o.put("timestamp", time(at));
        o.set("data", job(job, at));
        return o.toString();
    }

    ObjectNode event(JobEvent e) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("seq", e.seq());
        o.put("job_id", e.jobId().value());
        o.put("at", time(e.at()));
        o.put("kind", e.kind());
        o.put("status", e.status().wireName());
        o.put("attempt", e.attempt());
        o.set("data", e.data());
        return o;
    }

    /** A line of a job's log, as the list and the stream of {@code GET /v1/jobs/{id}/logs} send it. */
    static ObjectNode logLine(LogLine l) {
        return Json.MAPPER.createObjectNode().put("seq", l.seq()).put("at", time(l.at())).put("attempt", l.attempt())
                .put("line", l.line());
    }

    ObjectNode batch(Batch b) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", b.id());
        o.put("created_at", time(b.createdAt()));
        o.put("total", b.members().size());
        ObjectNode counts = o.putObject("counts");
        b.counts().forEach((status, n) -> counts.put(status.wireName(), n));
        o.put("done", b.members().stream().allMatch(m -> m.status().isTerminal()));
        var jobs = o.putArray("jobs");
        b.members().forEach(m -> jobs.addObject().put("id", m.id().value()).put("status", m.status().wireName()));
        return o;
    }

    static ObjectNode type(JobType t) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("name", t.name());
        o.put("description", t.description());
        o.put("executor", t.executor());
        o.put("queue", t.queue());
        o.put("max_attempts", t.maxAttempts());
        o.put("timeout_seconds", t.timeoutSeconds());
        o.put("concurrency", t.concurrency());
        o.putObject("price")
                .put("per_job", t.price().perJob())
                .put("per_second", t.price().perSecond())
                .put("per_unit", t.price().perUnit())
                .put("currency", t.price().currency());
        o.set("input_schema", t.inputSchema());
        return o;
    }

    static ObjectNode key(ApiKey k) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", k.id());
        o.put("prefix", k.prefix());
        o.put("tenant", k.tenant());
        o.put("name", k.name());
        o.put("role", k.role().wireName());
        o.put("created_at", time(k.createdAt()));
        o.put("revoked_at", time(k.revokedAt()));
        return o;
    }
}
