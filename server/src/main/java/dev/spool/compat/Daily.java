package dev.spool.compat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spool.artifact.Artifact;
import dev.spool.auth.Caller;
import dev.spool.http.ApiServer;
import dev.spool.http.Json;
import dev.spool.job.ErrorCode;
import dev.spool.job.Job;
import dev.spool.job.JobStatus;
import dev.spool.job.SpoolException;
import dev.spool.job.WebhookEvent;
import dev.spool.webhook.WebhookEndpoint;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Instant;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * Daily's batch processor (api.daily.co/v1/batch-processor): submit, get, list with Daily's
 * cursors, access links (400 until finished), delete; and Daily's account webhooks
 * ({@code /v1/webhooks}), which are tenant endpoints in Daily's format that hear the
 * {@code batch-processor.job-finished} and {@code batch-processor.error} events of Daily jobs.
 * Outputs are the job's output files, grouped by name: {@code transcript.*}, {@code summary.*},
 * {@code soap.*}, {@code concept.*}. See docs/compat/daily.md.
 */
final class Daily extends Profile {
    static final String PRESET_METADATA = "daily.preset";
    static final String RECORDING_METADATA = "daily.recordingId";
    private static final List<String> PRESETS = List.of("transcript", "summarize", "soap-notes");
    private static final List<String> SOURCE_TYPES = List.of("uri", "recordingId", "transcriptUri");
    static final String FINISHED = "batch-processor.job-finished";
    static final String ERROR = "batch-processor.error";
    private static final int MAX_LIMIT = 100;
    private static final String BAD_HEADER = "bad Authorization header format";

    Daily(Context ctx) {
        super(ctx);
    }

    @Override
    String vendor() {
        return "daily";
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/v1/batch-processor", authed(this::submit))
             .get("/v1/batch-processor", authed(this::list))
             .get("/v1/batch-processor/{id}", authed(this::get))
             .get("/v1/batch-processor/{id}/access-link", authed(this::accessLink))
             .delete("/v1/batch-processor/{id}", authed(this::delete))
             .post("/v1/webhooks", authed(this::createWebhook))
             .get("/v1/webhooks", authed(this::listWebhooks))
             .get("/v1/webhooks/{id}", authed(this::getWebhook))
             .delete("/v1/webhooks/{id}", authed(this::deleteWebhook))
             .any(noRoute());
    }

    @Override
    String credential(ServerRequest req) {
        String value = req.headers().first(HeaderNames.AUTHORIZATION).orElse(null);
        if (value != null && !value.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new SpoolException(ErrorCode.UNAUTHENTICATED, BAD_HEADER);
        }
        return value == null ? null : value.substring(7);
    }

    /** {@code {"error": <type>, "info": <text>}}, Daily's error types. */
    @Override
    ApiServer.Refusal refusal(ErrorCode code, String message) {
        record Shape(int status, String type) {}
        Shape shape = switch (code) {
            case INVALID_JSON -> new Shape(400, "json-parsing-error");
            case UNAUTHENTICATED -> new Shape(401, message.equals(BAD_HEADER) || message.equals(NO_KEY)
                    ? "authorization-header-error" : "authentication-error");
            case FORBIDDEN -> new Shape(403, "forbidden-error");
            case NOT_FOUND -> new Shape(404, "not-found");
            case PAYLOAD_TOO_LARGE -> new Shape(413, "invalid-request-error");
            case RATE_LIMITED, QUOTA_EXCEEDED -> new Shape(429, "rate-limit-error");
            case UNAVAILABLE, INTERNAL -> new Shape(code == ErrorCode.INTERNAL ? 500 : 503, "server-error");
            default -> new Shape(400, "invalid-request-error");
        };
        return new ApiServer.Refusal(shape.status(), object().put("error", shape.type()).put("info", message));
    }

    // ---------------------------------------------------------------- jobs

    private void submit(Caller caller, ServerRequest req, ServerResponse res) {
        ObjectNode body = body(req);
        String preset = oneOf(body, "preset", PRESETS, null);
        JsonNode in = object(body, "inParams", true);
        String sourceType = oneOf(in, "sourceType", SOURCE_TYPES, null);
        String source = text(in, sourceType, true);
        if (sourceType.equals("uri") || sourceType.equals("transcriptUri")) {
            url(in, sourceType, true);
        }
        if (in.has("language") && !preset.equals("transcript")) {
            throw SpoolException.invalid("inParams.language is supported only by the transcript preset");
        }
        object(body, "outParams", true);
        if (object(body, "transformParams", false) != null && !preset.equals("transcript")) {
            throw SpoolException.invalid("transformParams is supported only by the transcript preset");
        }
        for (String field : (Iterable<String>) body::fieldNames) {
            if (!Set.of("preset", "inParams", "outParams", "transformParams").contains(field)) {
                throw SpoolException.invalid("unknown field '" + field + "'");
            }
        }
        Map<String, String> metadata = new HashMap<>();
        metadata.put(PRESET_METADATA, preset);
        if (sourceType.equals("recordingId")) {
            metadata.put(RECORDING_METADATA, source);
        }
        Job job = submit(caller, submission(ctx.settings().daily().types().get(preset.replace('-', '_')), body, null,
                metadata, null, List.of()));
        send(res, 200, object().put("id", job.id().value()));
    }

    private static JsonNode object(JsonNode body, String field, boolean required) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw SpoolException.invalid(field + " is required");
            }
            return null;
        }
        if (!v.isObject()) {
            throw SpoolException.invalid(field + " must be an object");
        }
        return v;
    }

    private void get(Caller caller, ServerRequest req, ServerResponse res) {
        Job job = job(caller, jobId(req.path().pathParameters().get("id")));
        send(res, 200, job(job, () -> outputs(job)));
    }

    /**
     * {@code GET /v1/batch-processor}: newest first, {@code limit} (at most and by default 100),
     * {@code starting_after} / {@code ending_before} (job ids), {@code recordingId}.
     */
    private void list(Caller caller, ServerRequest req, ServerResponse res) {
        var q = req.query();
        int limit = intParam(q.first("limit").orElse(null), MAX_LIMIT, 1, MAX_LIMIT, "limit");
        String after = q.first("starting_after").orElse(null);
        String before = q.first("ending_before").orElse(null);
        if (after != null && before != null) {
            throw SpoolException.invalid("give starting_after or ending_before, not both");
        }
        Map<String, String> metadata = q.first("recordingId").map(r -> Map.of(RECORDING_METADATA, r)).orElse(Map.of());
        List<Job> all = scan(caller, Set.of(), metadata, null, null); // newest first
        int from = 0;
        int to = Math.min(all.size(), limit);
        if (after != null) {
            from = position(all, after) + 1;
            to = Math.min(all.size(), from + limit);
        } else if (before != null) {
            to = position(all, before);
            from = Math.max(0, to - limit);
        }
        ObjectNode out = object().put("total_count", all.size());
        ArrayNode data = out.putArray("data");
        all.subList(from, to).forEach(j -> data.addObject().put("id", j.id().value())
                .put("preset", j.metadata().get(PRESET_METADATA)).put("status", status(j)));
        send(res, 200, out);
    }

    private static int position(List<Job> jobs, String id) {
        for (int i = 0; i < jobs.size(); i++) {
            if (jobs.get(i).id().value().equals(id)) {
                return i;
            }
        }
        throw SpoolException.invalid("no job " + id + " to page from");
    }

    /** Signed links to the outputs, valid for artifacts.link_ttl_seconds; 400 until the job is finished. */
    private void accessLink(Caller caller, ServerRequest req, ServerResponse res) {
        Job job = job(caller, jobId(req.path().pathParameters().get("id")));
        if (job.status() != JobStatus.SUCCEEDED) {
            throw SpoolException.invalid("the job is " + status(job) + "; access links exist once it is finished");
        }
        String base = base(req);
        ObjectNode out = object().put("id", job.id().value()).put("preset", job.metadata().get(PRESET_METADATA))
                .put("status", status(job));
        group(outputs(job), out, (a, entry) -> entry.put("link", link(base, a)));
        send(res, 200, out);
    }

    /**
     * {@code DELETE}: answers the job as {@code GET} showed it, and deletes it with its files. A
     * queued job is cancelled first; a processing one is asked to cancel and must be deleted again
     * once it has stopped.
     */
    private void delete(Caller caller, ServerRequest req, ServerResponse res) {
        Job job = job(caller, jobId(req.path().pathParameters().get("id")));
        if (!job.status().isTerminal()) {
            job = ctx.engine().cancel(caller.tenant(), job.id());
            if (!job.status().isTerminal()) {
                throw SpoolException.invalid("the job is processing; it was asked to cancel: delete it again once it has stopped");
            }
        }
        Job deleted = job;
        ObjectNode out = job(deleted, () -> outputs(deleted));
        ctx.engine().delete(caller.tenant(), job.id());
        send(res, 200, out);
    }

    // ---------------------------------------------------------------- rendering

    static String status(Job job) {
        return switch (job.status()) {
            case QUEUED -> "submitted";
            case RUNNING -> "processing";
            case SUCCEEDED -> "finished";
            case FAILED, CANCELLED -> "error";
        };
    }

    /** {@code {id, preset, status, input, output | error}}; {@code input} is the {@code inParams} given. */
    private ObjectNode job(Job job, Supplier<List<Artifact>> outputs) {
        ObjectNode o = object();
        o.put("id", job.id().value());
        o.put("preset", job.metadata().get(PRESET_METADATA));
        o.put("status", status(job));
        o.set("input", job.input().get("inParams"));
        if (job.status() == JobStatus.SUCCEEDED) {
            JsonNode given = job.result() == null ? null : job.result().get("output");
            if (given != null && given.isObject()) {
                o.set("output", given); // the worker wrote to storage of its own and says where
            } else {
                ObjectNode output = o.putObject("output");
                group(outputs.get(), output, (a, entry) -> entry.putObject("s3Config")
                        .put("key", a.jobId().value() + "/" + a.name())
                        .put("bucket", ctx.settings().daily().bucket())
                        .put("region", ctx.settings().daily().region()));
            }
        }
        if (job.status() == JobStatus.FAILED || job.status() == JobStatus.CANCELLED) {
            o.put("error", job.status() == JobStatus.CANCELLED ? "cancelled"
                    : job.error() != null ? job.error().message() : "failed");
        }
        return o;
    }

    /**
     * Output files by name: {@code transcript.<format>} into the {@code transcription} list, and
     * {@code summary.*}, {@code soap.*}, {@code concept.*} into objects of those names; each entry
     * {@code {format, …}} completed by {@code fill}.
     */
    private static void group(List<Artifact> outputs, ObjectNode into, BiConsumer<Artifact, ObjectNode> fill) {
        for (Artifact a : outputs) {
            int dot = a.name().lastIndexOf('.');
            String stem = dot < 0 ? a.name() : a.name().substring(0, dot);
            String format = dot < 0 ? "txt" : a.name().substring(dot + 1);
            ObjectNode entry;
            switch (stem) {
                case "transcript", "transcription" -> {
                    ArrayNode list = into.has("transcription") ? (ArrayNode) into.get("transcription") : into.putArray("transcription");
                    entry = list.addObject();
                }
                case "summary", "soap", "concept" -> entry = into.putObject(stem);
                default -> {
                    continue;
                }
            }
            entry.put("format", format);
            fill.accept(a, entry);
        }
    }

    /**
     * The account webhook: {@code {version, type, id, payload, event_ts}}, {@code id} {@code bp-jf-}
     * or {@code bp-je-} and the job id, {@code event_ts} in seconds.
     */
    @Override
    String render(Job job, WebhookEvent event, Instant at, Supplier<List<Artifact>> outputs) {
        boolean finished = job.status() == JobStatus.SUCCEEDED;
        ObjectNode o = object();
        o.put("version", "1.0.0");
        o.put("type", finished ? FINISHED : ERROR);
        o.put("id", (finished ? "bp-jf-" : "bp-je-") + job.id().value());
        o.set("payload", job(job, outputs));
        o.put("event_ts", at.getEpochSecond());
        return o.toString();
    }

    // ---------------------------------------------------------------- account webhooks

    /** {@code POST /v1/webhooks {url, eventTypes}}: a tenant endpoint in Daily's format. */
    private void createWebhook(Caller caller, ServerRequest req, ServerResponse res) {
        ObjectNode body = body(req);
        String url = url(body, "url", true);
        Set<WebhookEvent> events = EnumSet.noneOf(WebhookEvent.class);
        JsonNode types = body.get("eventTypes");
        if (types == null || types.isNull()) {
            events.addAll(List.of(WebhookEvent.SUCCEEDED, WebhookEvent.FAILED, WebhookEvent.CANCELLED));
        } else {
            if (!types.isArray() || types.isEmpty()) {
                throw SpoolException.invalid("eventTypes must be a non-empty array");
            }
            for (JsonNode t : types) {
                switch (t.asText()) {
                    case FINISHED -> events.add(WebhookEvent.SUCCEEDED);
                    case ERROR -> events.addAll(List.of(WebhookEvent.FAILED, WebhookEvent.CANCELLED));
                    default -> throw SpoolException.invalid("eventTypes: Spool sends " + FINISHED + " and " + ERROR
                            + ", not '" + t.asText() + "'");
                }
            }
        }
        var created = ctx.webhooks().create(caller.tenant(), url, events, "Daily account webhook", vendor());
        send(res, 200, webhook(created.endpoint(), created.secret()));
    }

    private void listWebhooks(Caller caller, ServerRequest req, ServerResponse res) {
        ArrayNode out = Json.MAPPER.createArrayNode();
        ctx.webhooks().list(caller.tenant()).stream().filter(e -> e.format().equals(vendor()))
                .forEach(e -> out.add(webhook(e, null)));
        send(res, 200, out);
    }

    private void getWebhook(Caller caller, ServerRequest req, ServerResponse res) {
        send(res, 200, webhook(endpoint(caller, req), null));
    }

    private void deleteWebhook(Caller caller, ServerRequest req, ServerResponse res) {
        WebhookEndpoint e = endpoint(caller, req);
        ctx.webhooks().delete(caller.tenant(), e.id());
        send(res, 200, webhook(e, null));
    }

    private WebhookEndpoint endpoint(Caller caller, ServerRequest req) {
        WebhookEndpoint e = ctx.webhooks().get(caller.tenant(), req.path().pathParameters().get("id"));
        if (!e.format().equals(vendor())) {
            throw SpoolException.notFound("webhook");
        }
        return e;
    }

    /** Daily's webhook object; {@code hmac} is the signing secret (Standard Webhooks headers), shown when created. */
    private static ObjectNode webhook(WebhookEndpoint e, String secret) {
        ObjectNode o = object();
        o.put("uuid", e.id());
        o.put("url", e.url());
        o.put("hmac", secret);
        o.putNull("basicAuth");
        o.put("retryType", "exponential");
        ArrayNode types = o.putArray("eventTypes");
        if (e.events().contains(WebhookEvent.SUCCEEDED)) {
            types.add(FINISHED);
        }
        if (e.events().contains(WebhookEvent.FAILED)) {
            types.add(ERROR);
        }
        o.put("state", e.enabled() ? "ACTIVE" : "FAILED");
        o.put("failedCount", 0);
        o.putNull("lastMomentPushed");
        o.put("domainId", e.tenant());
        o.put("createdAt", iso(e.createdAt()));
        o.put("updatedAt", iso(e.updatedAt()));
        return o;
    }
}
