package dev.spool.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spool.artifact.JobFiles;
import dev.spool.artifact.SourceFetcher;
import dev.spool.auth.Caller;
import dev.spool.engine.Engine;
import dev.spool.engine.Submission;
import dev.spool.job.Artifact;
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
import dev.spool.webhook.Webhooks;
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

/** The jobs, batches and types routes of the native API. */
final class JobRoutes {
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
    private final SourceFetcher fetcher;
    private final Webhooks webhooks;

    JobRoutes(Engine engine, Wire wire, JobFiles files, SourceFetcher fetcher,
              Webhooks webhooks) {
        this.engine = engine;
        this.wire = wire;
        this.files = files;
        this.fetcher = fetcher;
        this.webhooks = webhooks;
    }

    void submit(Caller caller, ServerRequest req, ServerResponse res) {
        String idempotencyKey = req.headers().first(ApiServer.IDEMPOTENCY_KEY).orElse(null);
        Submission submission = Multipart.is(req) ? multipartSubmission(req, idempotencyKey)
                : submission(Json.tree(ApiServer.body(req)), idempotencyKey, List.of());
        Engine.Submitted submitted = engine.submit(caller.tenant(), caller.keyId(), submission);
        Job job = submitted.job();
        res.header(HeaderNames.LOCATION, "/v1/jobs/" + job.id().value());
        if (!submitted.created()) {
            res.header(ApiServer.IDEMPOTENT_REPLAYED, "true");
        }
        ApiServer.sendJson(res, submitted.created() ? Status.CREATED_201 : Status.OK_200, wire.job(job, now()));
    }

    /** @param uploaded files sent with the request (multipart); sources in the body are added to them */
    private Submission submission(JsonNode tree, String idempotencyKey, List<InputFile> uploaded) {
        SubmitBody body = Json.convert(tree, SubmitBody.class);
        JobWebhook webhook = webhook(body.webhook());
        List<InputFile> inputs = new ArrayList<>(uploaded);
        inputs.addAll(sources(body.sources()));
        return new Submission(body.type(), body.input(), body.queue(), body.priority(), body.title(), body.metadata(),
                body.maxAttempts(), body.timeoutSeconds(), parseTime("run_at", body.runAt()), idempotencyKey,
                idempotencyKey == null ? null : requestHash(tree, uploaded), inputs, webhook);
    }

    /**
     * What identifies a submit request for its idempotency key: the same JSON with the same uploaded
     * files, by their hashes (what a URL source answers is not part of the request, so it does not).
     */
    private static String requestHash(JsonNode tree, List<InputFile> uploaded) {
        if (uploaded.isEmpty()) {
            return Json.canonicalHash(tree);
        }
        ObjectNode identity = Json.MAPPER.createObjectNode();
        identity.set("job", tree);
        var hashes = identity.putArray("files");
        uploaded.forEach(f -> hashes.addObject().put("name", f.name()).put("sha256", f.sha256()));
        return Json.canonicalHash(identity);
    }

    /** A job's own webhook, its URL checked as an endpoint's is (checked again at every connection). */
    private JobWebhook webhook(WebhookBody body) {
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
        var hook = new JobWebhook(body.url(), events, "native");
        webhooks.checkUrl("webhook.url", body.url());
        return hook;
    }

    /** Turns sources into input files: text as given, URLs fetched (streamed) through the fetcher's guard. */
    private List<InputFile> sources(List<SourceBody> sources) {
        if (sources == null) {
            return List.of();
        }
        List<InputFile> out = new ArrayList<>();
        for (int i = 0; i < sources.size(); i++) {
            SourceBody source = sources.get(i);
            if (source == null || source.kind() == null) {
                throw SpoolException.invalid("sources[" + i + "].kind is required: url or text");
            }
            switch (source.kind()) {
                case "text" -> {
                    if (source.text() == null) {
                        throw SpoolException.invalid("sources[" + i + "].text is required for a text source");
                    }
                    String name = source.name() != null ? source.name() : "text-" + (i + 1) + ".txt";
                    out.add(files.storeInput(name, "text/plain; charset=utf-8",
                            new java.io.ByteArrayInputStream(source.text().getBytes(java.nio.charset.StandardCharsets.UTF_8))));
                }
                case "url" -> {
                    if (source.url() == null) {
                        throw SpoolException.invalid("sources[" + i + "].url is required for a url source");
                    }
                    String name = source.name() != null ? source.name() : nameFromUrl(source.url(), i);
                    Artifact.checkName(name); // before anything is fetched
                    var fetched = fetcher.fetch(source.url());
                    try (var in = fetched.body()) {
                        out.add(files.storeInput(name, fetched.contentType(), in));
                    } catch (java.io.IOException e) {
                        throw new SpoolException(ErrorCode.INVALID_INPUT, "The source " + source.url() + " could not be read: " + e.getMessage());
                    }
                }
                default -> throw SpoolException.invalid("sources[" + i + "].kind must be url or text, not '" + source.kind() + "'");
            }
        }
        return out;
    }

    /** The last path segment of a URL when it is a plain file name, else source-N. */
    private static String nameFromUrl(String url, int index) {
        try {
            String path = java.net.URI.create(url).getPath();
            String last = path == null ? "" : path.substring(path.lastIndexOf('/') + 1);
            Artifact.checkName(last);
            return last;
        } catch (RuntimeException e) {
            return "source-" + (index + 1);
        }
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
                inputs.add(files.storeInput(part.fileName(), part.contentType(), in));
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
        engine.logs(caller.tenant(), jobId(req), 10_000).forEach(l -> data.addObject()
                .put("seq", l.seq()).put("at", Wire.time(l.at())).put("attempt", l.attempt()).put("line", l.line()));
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
        });
        ApiServer.sendJson(res, Status.OK_200, out);
    }

    void submitBatch(Caller caller, ServerRequest req, ServerResponse res) {
        BatchBody body = Json.convert(Json.tree(ApiServer.body(req)), BatchBody.class);
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
        var batch = engine.submitBatch(caller.tenant(), caller.keyId(), submissions);
        res.header(HeaderNames.LOCATION, "/v1/batches/" + batch.id());
        ApiServer.sendJson(res, Status.CREATED_201, wire.batch(batch));
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
