package dev.spool.compat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spool.artifact.Artifact;
import dev.spool.auth.Caller;
import dev.spool.http.ApiServer;
import dev.spool.http.Json;
import dev.spool.http.Multipart;
import dev.spool.job.ErrorCode;
import dev.spool.job.InputFile;
import dev.spool.job.Job;
import dev.spool.job.JobStatus;
import dev.spool.job.SpoolException;
import dev.spool.job.WebhookEvent;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Hume's Expression Measurement batch API (api.hume.ai/v0/batch/jobs): start a job from URLs, text
 * or uploaded files, read it back with its request echoed (defaults filled in) and its state in
 * epoch milliseconds, list jobs, fetch predictions (the worker's {@code result.predictions}) and
 * artifacts (the job's output files as one ZIP), and the {@code callback_url}. See docs/compat/hume.md.
 */
final class Hume extends Profile {
    /** The defaults of each model, as Hume echoes them in a job's request. */
    private static final Map<String, String> MODEL_DEFAULTS = new LinkedHashMap<>();

    static {
        MODEL_DEFAULTS.put("burst", "{}");
        MODEL_DEFAULTS.put("face", "{\"descriptions\":null,\"facs\":null,\"fps_pred\":3,\"identify_faces\":false,"
                + "\"min_face_size\":60,\"prob_threshold\":0.99,\"save_faces\":false}");
        MODEL_DEFAULTS.put("facemesh", "{}");
        MODEL_DEFAULTS.put("language", "{\"granularity\":\"word\",\"identify_speakers\":false,\"sentiment\":null,\"toxicity\":null}");
        MODEL_DEFAULTS.put("ner", "{\"identify_speakers\":false}");
        MODEL_DEFAULTS.put("prosody", "{\"granularity\":\"utterance\",\"identify_speakers\":false,\"window\":null}");
    }

    private static final Set<String> REQUEST_FIELDS = Set.of("models", "transcription", "urls", "text", "callback_url",
            "notify", "registry_files");
    private static final Map<String, JobStatus[]> STATUSES = Map.of(
            "QUEUED", new JobStatus[] {JobStatus.QUEUED},
            "IN_PROGRESS", new JobStatus[] {JobStatus.RUNNING},
            "COMPLETED", new JobStatus[] {JobStatus.SUCCEEDED},
            "FAILED", new JobStatus[] {JobStatus.FAILED, JobStatus.CANCELLED});

    Hume(Context ctx) {
        super(ctx);
    }

    @Override
    String vendor() {
        return "hume";
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/v0/batch/jobs", authed(this::list))
             .post("/v0/batch/jobs", authed(this::start))
             .get("/v0/batch/jobs/{id}", authed(this::get))
             .get("/v0/batch/jobs/{id}/predictions", authed(this::predictions))
             .get("/v0/batch/jobs/{id}/artifacts", authed(this::artifacts))
             .any(noRoute());
    }

    @Override
    String credential(ServerRequest req) {
        return req.headers().first(HeaderNames.create("X-Hume-Api-Key")).orElse(null);
    }

    /** {@code {"message": …}}, and the gateway's {@code fault} for a bad key, which Hume's SDKs match on. */
    @Override
    ApiServer.Refusal refusal(ErrorCode code, String message) {
        if (code == ErrorCode.UNAUTHENTICATED) {
            ObjectNode fault = object();
            fault.putObject("fault").put("faultstring", "Invalid ApiKey").putObject("detail")
                    .put("errorcode", "oauth.v2.InvalidApiKey");
            return new ApiServer.Refusal(401, fault);
        }
        return new ApiServer.Refusal(status(code), object().put("message", code == ErrorCode.NOT_FOUND ? "job not found" : message));
    }

    // ---------------------------------------------------------------- start

    /** JSON, or multipart with {@code file} parts and a {@code json} part (a field or a file) holding the request. */
    private void start(Caller caller, ServerRequest req, ServerResponse res) {
        JsonNode given;
        List<InputFile> inputs = new ArrayList<>();
        ArrayNode files = Json.MAPPER.createArrayNode();
        if (Multipart.is(req)) {
            JsonNode[] json = {null};
            long maxJson = ApiServer.jsonLimit(req);
            Multipart.read(req, ctx.files().settings().maxPerJob() + 1L, part -> {
                if (part.field().equals("json")) {
                    try (InputStream in = part.content()) {
                        json[0] = Json.tree(ApiServer.readLimited(in, maxJson));
                    }
                } else if (part.field().equals("file")) {
                    if (part.fileName() == null || part.fileName().isBlank()) {
                        throw SpoolException.invalid("each file part needs a file name");
                    }
                    MessageDigest md5 = md5();
                    try (InputStream in = new DigestInputStream(part.content(), md5)) {
                        InputFile f = ctx.engine().upload(part.fileName(), part.contentType(), in);
                        inputs.add(f);
                        files.addObject().put("filename", f.name()).put("md5sum", HexFormat.of().formatHex(md5.digest()))
                                .put("content_type", f.contentType());
                    }
                } else {
                    throw SpoolException.invalid("unknown form field '" + part.field() + "'; send 'file' parts and a 'json' part");
                }
            });
            given = json[0] == null ? object() : json[0];
            if (inputs.isEmpty()) {
                throw SpoolException.invalid("a multipart request needs at least one 'file' part");
            }
        } else {
            given = body(req);
        }
        ObjectNode request = request(given, files);
        if (inputs.isEmpty() && request.get("urls").isEmpty() && request.get("text").isEmpty()) {
            throw SpoolException.invalid("give something to measure: urls, text, or files");
        }
        String callback = text(given, "callback_url", false);
        var hook = callback == null ? null : webhook("callback_url", callback, WebhookEvent.TERMINAL, null);
        Job job = submit(caller, submission(ctx.settings().hume().types().get("batch"), request, null, Map.of(), hook, inputs));
        send(res, 200, object().put("job_id", job.id().value()));
    }

    /** The request as Hume echoes it: every field present, each model's defaults filled in; all models when none are named. */
    private static ObjectNode request(JsonNode given, ArrayNode files) {
        given.fieldNames().forEachRemaining(f -> {
            if (!REQUEST_FIELDS.contains(f)) {
                throw SpoolException.invalid("unknown field '" + f + "'; known: " + String.join(", ", new TreeSet<>(REQUEST_FIELDS)));
            }
        });
        ObjectNode r = object();
        r.put("callback_url", url(given, "callback_url", false));
        r.set("files", files);
        ObjectNode models = r.putObject("models");
        JsonNode asked = given.get("models");
        if (asked == null || asked.isNull()) {
            MODEL_DEFAULTS.forEach((name, defaults) -> models.set(name, parse(defaults)));
        } else {
            if (!asked.isObject()) {
                throw SpoolException.invalid("models must be an object");
            }
            asked.properties().forEach(e -> {
                String defaults = MODEL_DEFAULTS.get(e.getKey());
                if (defaults == null) {
                    throw SpoolException.invalid("models." + e.getKey() + " is not a model; models are "
                            + String.join(", ", MODEL_DEFAULTS.keySet()));
                }
                if (!e.getValue().isObject()) {
                    throw SpoolException.invalid("models." + e.getKey() + " must be an object ({} for its defaults)");
                }
                ObjectNode model = (ObjectNode) parse(defaults);
                model.setAll((ObjectNode) e.getValue());
                models.set(e.getKey(), model);
            });
        }
        Boolean notify = bool(given, "notify");
        r.put("notify", notify != null && notify);
        r.set("text", strings(given, "text"));
        r.set("urls", strings(given, "urls"));
        if (given.has("registry_files")) {
            r.set("registry_files", strings(given, "registry_files"));
        }
        if (given.has("transcription")) {
            JsonNode t = given.get("transcription");
            if (!t.isNull() && !t.isObject()) {
                throw SpoolException.invalid("transcription must be an object, or null to turn it off");
            }
            r.set("transcription", t);
        }
        return r;
    }

    private static ArrayNode strings(JsonNode given, String field) {
        JsonNode v = given.get(field);
        ArrayNode out = Json.MAPPER.createArrayNode();
        if (v == null || v.isNull()) {
            return out;
        }
        if (!v.isArray()) {
            throw SpoolException.invalid(field + " must be an array of strings");
        }
        v.forEach(e -> {
            if (!e.isTextual()) {
                throw SpoolException.invalid(field + " must be an array of strings");
            }
            out.add(e);
        });
        return out;
    }

    private static JsonNode parse(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---------------------------------------------------------------- reads

    private void get(Caller caller, ServerRequest req, ServerResponse res) {
        send(res, 200, job(job(caller, jobId(req.path().pathParameters().get("id")))));
    }

    /**
     * {@code GET /v0/batch/jobs}: {@code limit} (50), repeated {@code status}, {@code when} with
     * {@code timestamp_ms}, {@code sort_by} created/started/ended, {@code direction} (desc). A bare array.
     */
    private void list(Caller caller, ServerRequest req, ServerResponse res) {
        var q = req.query();
        int limit = intParam(q.first("limit").orElse(null), 50, 1, 1000, "limit");
        Set<JobStatus> statuses = EnumSet.noneOf(JobStatus.class);
        for (String value : q.all("status", List::of)) {
            for (String s : value.split(",")) {
                JobStatus[] mapped = STATUSES.get(s.trim());
                if (mapped == null) {
                    throw SpoolException.invalid("status must be QUEUED, IN_PROGRESS, COMPLETED or FAILED, not '" + s + "'");
                }
                statuses.addAll(List.of(mapped));
            }
        }
        String when = q.first("when").orElse(null);
        if (when != null && !when.equals("created_before") && !when.equals("created_after")) {
            throw SpoolException.invalid("when must be created_before or created_after");
        }
        Instant timestamp = q.first("timestamp_ms").map(t -> Instant.ofEpochMilli(intParamLong(t))).orElse(null);
        if (when != null && timestamp == null) {
            timestamp = ctx.engine().clock().instant();
        }
        String sortBy = q.first("sort_by").orElse("created");
        Function<Job, Instant> key = switch (sortBy) {
            case "created" -> Job::createdAt;
            case "started" -> Job::startedAt;
            case "ended" -> Job::endedAt;
            default -> throw SpoolException.invalid("sort_by must be created, started or ended");
        };
        String direction = q.first("direction").orElse("desc");
        if (!direction.equals("asc") && !direction.equals("desc")) {
            throw SpoolException.invalid("direction must be asc or desc");
        }
        Comparator<Job> order = Comparator.comparing(key, Comparator.nullsFirst(Comparator.naturalOrder()))
                .thenComparing(j -> j.id().value());
        List<Job> jobs = scan(caller, statuses, Map.of(),
                "created_after".equals(when) ? timestamp : null, "created_before".equals(when) ? timestamp : null);
        ArrayNode out = Json.MAPPER.createArrayNode();
        jobs.stream().sorted(direction.equals("asc") ? order : order.reversed()).limit(limit).forEach(j -> out.add(job(j)));
        send(res, 200, out);
    }

    private static long intParamLong(String text) {
        try {
            return Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw SpoolException.invalid("timestamp_ms must be a time in milliseconds since 1970");
        }
    }

    /** {@code GET …/predictions}: the worker's {@code result.predictions}, once the job completed. */
    private void predictions(Caller caller, ServerRequest req, ServerResponse res) {
        Job job = completed(caller, req);
        send(res, 200, predictions(job));
    }

    /** {@code GET …/artifacts}: the job's output files as one ZIP. */
    private void artifacts(Caller caller, ServerRequest req, ServerResponse res) throws java.io.IOException {
        Job job = completed(caller, req);
        List<Artifact> outputs = outputs(job);
        res.header(HeaderNames.CONTENT_TYPE, "application/octet-stream");
        res.header(HeaderNames.CONTENT_DISPOSITION, "attachment; filename=\"artifacts.zip\"");
        try (OutputStream out = res.outputStream()) {
            ctx.files().zip(outputs, out);
        }
    }

    private Job completed(Caller caller, ServerRequest req) {
        Job job = job(caller, jobId(req.path().pathParameters().get("id")));
        if (job.status() != JobStatus.SUCCEEDED) {
            throw SpoolException.invalid("The job is " + status(job) + "; predictions and artifacts exist once it is COMPLETED.");
        }
        return job;
    }

    // ---------------------------------------------------------------- rendering

    static String status(Job job) {
        return switch (job.status()) {
            case QUEUED -> "QUEUED";
            case RUNNING -> "IN_PROGRESS";
            case SUCCEEDED -> "COMPLETED";
            case FAILED, CANCELLED -> "FAILED";
        };
    }

    private static ArrayNode predictions(Job job) {
        JsonNode p = job.result() == null ? null : job.result().get("predictions");
        return p != null && p.isArray() ? (ArrayNode) p : Json.MAPPER.createArrayNode();
    }

    /** {@code {type, job_id, request, state}}; {@code state}'s fields depend on its status, as Hume's union does. */
    private static ObjectNode job(Job job) {
        ObjectNode o = object();
        o.put("type", "INFERENCE");
        o.put("job_id", job.id().value());
        o.set("request", job.input());
        ObjectNode state = o.putObject("state");
        String status = status(job);
        state.put("status", status);
        state.put("created_timestamp_ms", millis(job.createdAt()));
        if (!status.equals("QUEUED")) {
            // a job that ended before it started (cancelled while queued) starts and ends at once
            Instant started = job.startedAt() != null ? job.startedAt() : job.endedAt();
            state.put("started_timestamp_ms", millis(started));
        }
        if (status.equals("COMPLETED") || status.equals("FAILED")) {
            state.put("ended_timestamp_ms", millis(job.endedAt()));
        }
        if (status.equals("COMPLETED")) {
            int predictions = 0;
            int errors = 0;
            for (JsonNode source : predictions(job)) {
                predictions += source.path("results").path("predictions").size();
                errors += source.path("results").path("errors").size() + (source.hasNonNull("error") ? 1 : 0);
            }
            state.put("num_predictions", predictions);
            state.put("num_errors", errors);
        }
        if (status.equals("FAILED")) {
            state.put("message", message(job));
        }
        return o;
    }

    private static String message(Job job) {
        return job.status() == JobStatus.CANCELLED ? "cancelled" : job.error() != null ? job.error().message() : "failed";
    }

    /** The callback: {@code {job_id, status, predictions}}; on failure no predictions and the {@code message}. */
    @Override
    String render(Job job, WebhookEvent event, Instant at, Supplier<List<Artifact>> outputs) {
        ObjectNode o = object();
        o.put("job_id", job.id().value());
        o.put("status", status(job));
        o.set("predictions", job.status() == JobStatus.SUCCEEDED ? predictions(job) : Json.MAPPER.createArrayNode());
        if (job.status() != JobStatus.SUCCEEDED) {
            o.put("message", message(job));
        }
        return o.toString();
    }
}
