package dev.spool.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spool.artifact.JobFiles;
import dev.spool.auth.Caller;
import dev.spool.engine.Engine;
import dev.spool.engine.Submission;
import dev.spool.job.ErrorCode;
import dev.spool.job.InputFile;
import dev.spool.job.Job;
import dev.spool.job.JobId;
import dev.spool.job.JobQuery;
import dev.spool.job.JobStatus;
import dev.spool.job.JobWebhook;
import dev.spool.job.NewJob;
import dev.spool.job.Page;
import dev.spool.job.SpoolException;
import dev.spool.job.WebhookEvent;
import io.helidon.common.parameters.Parameters;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The jobs, batches and types routes of the native API. */
final class JobRoutes {
    private static final Logger log = LoggerFactory.getLogger(JobRoutes.class);
    /** The submit body; the type's defaults fill whatever is left out. */
    record SubmitBody(String type, JsonNode input, String queue, Integer priority, String title,
                      Map<String, String> metadata, Integer maxAttempts, Integer timeoutSeconds, String runAt,
                      List<SourceBody> sources, WebhookBody webhook) {}

    /** A job's own webhook: where to POST which of its events (default: the terminal ones). */
    record WebhookBody(String url, List<String> events) {}

    /** A source the server turns into an input file: {@code text} as given, or a {@code url} it fetches. */
    record SourceBody(String kind, String url, String text, String name) {}

    record BatchBody(List<JsonNode> jobs) {}

    private static final Set<String> LIST_PARAMETERS =
            Set.of("status", "type", "queue", "batch_id", "created_after", "created_before", "cursor", "limit");
    private static final Pattern METADATA_PARAMETER = Pattern.compile("metadata\\[(.+)]");

    private final Engine engine;
    private final Wire wire;
    private final JobFiles files;

    JobRoutes(Engine engine, Wire wire, JobFiles files) {
        this.engine = engine;
        this.wire = wire;
        this.files = files;
    }

    void submit(Caller caller, ServerRequest req, ServerResponse res) {
        String idempotencyKey = req.headers().first(ApiServer.IDEMPOTENCY_KEY).orElse(null);
        Submission submission = Multipart.is(req) ? multipartSubmission(req, idempotencyKey)
                : submission(Json.tree(ApiServer.body(req)), idempotencyKey, List.of());
        Engine.Submitted submitted = engine.submit(caller.tenant(), caller.keyId(), submission);
        Job job = submitted.job();
        log.debug("{} job {} of type {} in queue {}", submitted.created() ? "submitted" : "found (idempotent replay)",
                job.id().value(), job.type(), job.queue());
        res.header(HeaderNames.LOCATION, "/v1/jobs/" + job.id().value());
        if (!submitted.created()) {
            res.header(ApiServer.IDEMPOTENT_REPLAYED, "true");
        }
        ApiServer.sendJson(res, submitted.created() ? Status.CREATED_201 : Status.OK_200, wire.job(job, now()));
    }

    /** @param uploaded files sent with the request (multipart), already stored */
    static Submission submission(JsonNode tree, String idempotencyKey, List<InputFile> uploaded) {
        SubmitBody body = Json.convert(tree, SubmitBody.class);
        List<Submission.Source> sources = body.sources() == null ? List.of() : body.sources().stream()
                .map(s -> s == null ? new Submission.Source(null, null, null, null) // refused: "kind is required"
                        : new Submission.Source(s.kind(), s.url(), s.text(), s.name())).toList();
        return Submission.builder(body.type(), body.input())
                .queue(body.queue()).priority(body.priority()).title(body.title()).metadata(body.metadata())
                .maxAttempts(body.maxAttempts()).timeoutSeconds(body.timeoutSeconds())
                .runAt(parseTime("run_at", body.runAt()))
                .idempotencyKey(idempotencyKey, tree)
                .sources(sources).uploads(uploaded)
                .webhook(webhook(body.webhook()), "webhook.url")
                .build();
    }

    /** A job's own webhook as the request gives it (the engine checks its URL). */
    private static JobWebhook webhook(WebhookBody body) {
        if (body == null) {
            return null;
        }
        if (body.url() == null) {
            throw SpoolException.invalid("webhook.url is required");
        }
        var events = EnumSet.noneOf(WebhookEvent.class);
        if (body.events() != null) {
            body.events().forEach(e -> events.add(WebhookEvent.parse(e)));
            if (events.isEmpty()) {
                throw SpoolException.invalid("webhook.events must name at least one event, or be left out for the terminal ones");
            }
        }
        return new JobWebhook(body.url(), events, "native");
    }

    /**
     * A submit as multipart/form-data: a {@code job} part with the JSON submit, and file parts, each
     * streamed into the artifact store as it arrives and named by its file name.
     */
    private Submission multipartSubmission(ServerRequest req, String idempotencyKey) {
        List<InputFile> inputs = new ArrayList<>();
        JsonNode[] job = new JsonNode[1];
        long maxBytes = ApiServer.jsonLimit(req);
        Multipart.read(req, files.settings().maxPerJob() + 1L, part -> {
            if (part.fileName() == null) {
                if (!"job".equals(part.field())) {
                    throw SpoolException.invalid("Unknown form field '" + part.field() + "'; send the submit as a part named 'job'.");
                }
                try (var in = part.content()) {
                    job[0] = Json.tree(ApiServer.readLimited(in, maxBytes));
                }
                return;
            }
            try (var in = part.content()) {
                inputs.add(engine.upload(part.fileName(), part.contentType(), in));
            }
        });
        if (job[0] == null) {
            throw SpoolException.invalid("A multipart submit needs a part named 'job' holding the JSON submit.");
        }
        if (inputs.size() > files.settings().maxPerJob()
                || inputs.stream().mapToLong(InputFile::size).sum() > files.settings().maxBytesPerJob()) {
            throw new SpoolException(ErrorCode.PAYLOAD_TOO_LARGE, "A job may have at most " + files.settings().maxPerJob()
                    + " files of " + files.settings().maxBytesPerJob() + " bytes in all.");
        }
        return submission(job[0], idempotencyKey, inputs);
    }

    void list(Caller caller, ServerRequest req, ServerResponse res) {
        Parameters q = req.query();
        Map<String, String> metadata = new HashMap<>();
        for (String name : q.names()) {
            Matcher m = METADATA_PARAMETER.matcher(name);
            if (m.matches()) {
                metadata.put(m.group(1), single(q, name));
            } else if (!LIST_PARAMETERS.contains(name)) {
                throw SpoolException.invalid("Unknown query parameter '" + name + "'. Known: "
                        + String.join(", ", LIST_PARAMETERS.stream().sorted().toList()) + ", metadata[KEY].");
            }
        }
        metadata.keySet().forEach(k -> {
            if (!NewJob.METADATA_KEY.matcher(k).matches()) {
                throw SpoolException.invalid("metadata key '" + k + "' must be 1 to 64 letters, digits, '_', '.' or '-'");
            }
        });
        Set<JobStatus> statuses = EnumSet.noneOf(JobStatus.class);
        for (String value : q.all("status", List::of)) {
            for (String s : value.split(",")) {
                statuses.add(JobStatus.fromWire(s.trim()).orElseThrow(() -> SpoolException.invalid(
                        "Unknown status '" + s.trim() + "'. Known: queued, running, succeeded, failed, cancelled.")));
            }
        }
        int limit = Paging.limit(q, JobQuery.DEFAULT_LIMIT, JobQuery.MAX_LIMIT);
        JobQuery query = new JobQuery(caller.tenant(), statuses, optional(q, "type"), optional(q, "queue"),
                optional(q, "batch_id"), parseTime("created_after", optional(q, "created_after")),
                parseTime("created_before", optional(q, "created_before")), metadata,
                q.contains("cursor") ? JobId.parse(Paging.before(single(q, "cursor"))).orElseThrow(Paging::invalid) : null, limit);
        Page<Job> page = engine.list(query);
        ObjectNode out = Json.MAPPER.createObjectNode();
        var data = out.putArray("data");
        Instant now = now();
        page.items().forEach(j -> data.add(wire.job(j, now)));
        out.put("has_more", page.hasMore());
        out.put("next_cursor", page.hasMore() ? Paging.cursor(page.items().getLast().id().value()) : null);
        ApiServer.sendJson(res, Status.OK_200, out);
    }

    void cancel(Caller caller, ServerRequest req, ServerResponse res) {
        ApiServer.sendJson(res, Status.OK_200, wire.job(engine.cancel(caller.tenant(), jobId(req)), now()));
    }

    void retry(Caller caller, ServerRequest req, ServerResponse res) {
        ApiServer.sendJson(res, Status.OK_200, wire.job(engine.retry(caller.tenant(), jobId(req)), now()));
    }

    void delete(Caller caller, ServerRequest req, ServerResponse res) {
        engine.delete(caller.tenant(), jobId(req));
        res.status(Status.NO_CONTENT_204).send();
    }

    void events(Caller caller, ServerRequest req, ServerResponse res) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        var data = out.putArray("data");
        engine.events(caller.tenant(), jobId(req)).forEach(e -> data.add(wire.event(e)));
        ApiServer.sendJson(res, Status.OK_200, out);
    }

    void logs(Caller caller, ServerRequest req, ServerResponse res) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        var data = out.putArray("data");
        engine.logs(caller.tenant(), jobId(req), 0, 10_000).forEach(l -> data.add(Wire.logLine(l)));
        ApiServer.sendJson(res, Status.OK_200, out);
    }

    /** Workers seen within two leases: the live ones, for operators. */
    void workers(Caller caller, ServerRequest req, ServerResponse res) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        var data = out.putArray("data");
        engine.workers(engine.settings().lease().multipliedBy(2)).forEach(w -> {
            ObjectNode o = data.addObject();
            o.put("id", w.id());
            o.put("name", w.name());
            o.put("key_id", w.keyId());
            var types = o.putArray("types");
            w.types().forEach(types::add);
            o.put("first_seen", Wire.time(w.firstSeen()));
            o.put("last_seen", Wire.time(w.lastSeen()));
            o.put("jobs_in_hand", w.jobsInHand());
            if (w.freeSlots() == null) {
                o.putNull("free_slots");
            } else {
                o.put("free_slots", w.freeSlots());
            }
        });
        ApiServer.sendJson(res, Status.OK_200, out);
    }

    void submitBatch(Caller caller, ServerRequest req, ServerResponse res) {
        JsonNode tree = Json.tree(ApiServer.body(req));
        BatchBody body = Json.convert(tree, BatchBody.class);
        if (body.jobs() == null) {
            throw SpoolException.invalid("jobs is required: an array of job submissions");
        }
        List<Submission> submissions = new ArrayList<>(body.jobs().size());
        for (int i = 0; i < body.jobs().size(); i++) {
            JsonNode job = body.jobs().get(i);
            try {
                if (!job.isObject()) {
                    throw SpoolException.invalid("must be a JSON object");
                }
                submissions.add(submission(job, null, List.of()));
            } catch (SpoolException e) {
                throw new SpoolException(e.code(), "jobs[" + i + "]: " + e.getMessage());
            }
        }
        String key = req.headers().first(ApiServer.IDEMPOTENCY_KEY).orElse(null);
        var submitted = engine.submitBatch(caller.tenant(), caller.keyId(), submissions, key, Engine.fingerprint(tree));
        res.header(HeaderNames.LOCATION, "/v1/batches/" + submitted.batch().id());
        if (!submitted.created()) {
            res.header(ApiServer.IDEMPOTENT_REPLAYED, "true");
        }
        ApiServer.sendJson(res, submitted.created() ? Status.CREATED_201 : Status.OK_200, wire.batch(submitted.batch()));
    }

    /** The body of a bulk action: the list's filters, and whether only to count. */
    record BulkBody(List<String> status, String type, String queue, String batchId, Map<String, String> metadata,
                    String createdAfter, String createdBefore, Boolean all, Boolean dryRun) {}

    /**
     * {@code POST /v1/jobs/cancel|retry|delete}: the action on every job of the caller's tenant that
     * the filters match, in chunks; with an Idempotency-Key, a repeat answers what the first did.
     */
    ApiServer.Authed bulk(Engine.BulkAction action) {
        return (caller, req, res) -> {
            JsonNode tree = Json.tree(ApiServer.body(req));
            if (!tree.isObject()) {
                throw SpoolException.invalid("The body is a JSON object of filters, as the list takes them: "
                        + "status, type, queue, batch_id, metadata, created_after, created_before; and dry_run.");
            }
            BulkBody body = Json.convert(tree, BulkBody.class);
            JobQuery filter = filter(caller.tenant(), body);
            boolean dryRun = Boolean.TRUE.equals(body.dryRun());
            String route = "POST /v1/jobs/" + action.wireName();
            var once = engine.once(caller.tenant(), route, req.headers().first(ApiServer.IDEMPOTENCY_KEY).orElse(null),
                    Engine.fingerprint(tree), () -> bulkAnswer(engine.bulk(action, filter, dryRun)).toString());
            if (once.replayed()) {
                res.header(ApiServer.IDEMPOTENT_REPLAYED, "true");
            }
            ApiServer.sendJson(res, Status.OK_200, Json.tree(once.answer().getBytes(StandardCharsets.UTF_8)));
        };
    }

    void cancelBatch(Caller caller, ServerRequest req, ServerResponse res) {
        JobId id = JobId.parse(req.path().pathParameters().get("id")).orElseThrow(() -> SpoolException.notFound("batch"));
        ApiServer.sendJson(res, Status.OK_200, bulkAnswer(engine.cancelBatch(caller.tenant(), id.value())));
    }

    static ObjectNode bulkAnswer(Engine.BulkResult r) {
        return Json.MAPPER.createObjectNode().put("action", r.action().wireName()).put("dry_run", r.dryRun())
                .put("matched", r.matched()).put("changed", r.changed());
    }

    /** A bulk body's filters as a query of the tenant's jobs; at least one filter, or {@code all: true}. */
    private static JobQuery filter(String tenant, BulkBody body) {
        Set<JobStatus> statuses = EnumSet.noneOf(JobStatus.class);
        if (body.status() != null) {
            for (String s : body.status()) {
                statuses.add(JobStatus.fromWire(s == null ? "" : s.trim()).orElseThrow(() -> SpoolException.invalid(
                        "Unknown status '" + s + "'. Known: queued, running, succeeded, failed, cancelled.")));
            }
        }
        Map<String, String> metadata = body.metadata() == null ? Map.of() : body.metadata();
        metadata.forEach((k, v) -> {
            if (!NewJob.METADATA_KEY.matcher(k).matches() || v == null) {
                throw SpoolException.invalid("metadata holds string values under keys of 1 to 64 letters, digits, '_', '.' or '-'");
            }
        });
        boolean filtered = !statuses.isEmpty() || body.type() != null || body.queue() != null || body.batchId() != null
                || !metadata.isEmpty() || body.createdAfter() != null || body.createdBefore() != null;
        if (!filtered && !Boolean.TRUE.equals(body.all())) {
            throw SpoolException.invalid("A bulk action needs at least one filter (status, type, queue, batch_id, metadata, "
                    + "created_after, created_before); to act on every job of the tenant, send \"all\": true.");
        }
        return new JobQuery(tenant, statuses, body.type(), body.queue(), body.batchId(),
                parseTime("created_after", body.createdAfter()), parseTime("created_before", body.createdBefore()),
                metadata, null, 1);
    }

    void getBatch(Caller caller, ServerRequest req, ServerResponse res) {
        JobId id = JobId.parse(req.path().pathParameters().get("id")).orElseThrow(() -> SpoolException.notFound("batch"));
        ApiServer.sendJson(res, Status.OK_200, wire.batch(engine.batch(caller.tenant(), id.value())));
    }

    void types(Caller caller, ServerRequest req, ServerResponse res) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        var data = out.putArray("data");
        engine.types().all().forEach(t -> data.add(Wire.type(t)));
        ApiServer.sendJson(res, Status.OK_200, out);
    }

    private Instant now() {
        return engine.clock().instant();
    }

    /** The job id in the path; an id that is not a UUID is simply a job that does not exist. */
    static JobId jobId(ServerRequest req) {
        return JobId.parse(req.path().pathParameters().get("id")).orElseThrow(() -> SpoolException.notFound("job"));
    }

    static String single(Parameters q, String name) {
        List<String> values = q.all(name);
        if (values.size() != 1) {
            throw SpoolException.invalid("Query parameter '" + name + "' may be given once.");
        }
        return values.getFirst();
    }

    static String optional(Parameters q, String name) {
        return q.contains(name) ? single(q, name) : null;
    }

    private static Instant parseTime(String field, String text) {
        if (text == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            throw SpoolException.invalid(field + " must be an RFC 3339 time such as 2026-01-31T12:00:00Z, not '" + text + "'");
        }
    }

}
