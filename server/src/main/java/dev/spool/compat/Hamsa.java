package dev.spool.compat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spool.artifact.Artifact;
import dev.spool.auth.Caller;
import dev.spool.engine.JobType;
import dev.spool.http.ApiServer;
import dev.spool.http.Json;
import dev.spool.job.ErrorCode;
import dev.spool.job.Job;
import dev.spool.job.JobStatus;
import dev.spool.job.Price;
import dev.spool.job.SpoolException;
import dev.spool.job.WebhookEvent;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Hamsa (api.tryhamsa.com): transcription, text-to-speech and AI-content jobs, the v1 and v2 views
 * of a job, the list with its filter body, and the per-job {@code webhookUrl} sent with the
 * submitter's {@code webhookAuth} as its {@code Authorization} header. See docs/compat/hamsa.md.
 */
final class Hamsa extends Profile {
    static final String TYPE_METADATA = "hamsa.type";
    private static final List<String> MODELS = List.of("Hamsa-General-V2.0", "Hamsa-Conversational-V1.0");
    private static final List<String> LANGUAGES = List.of("ar", "en");
    private static final List<String> STATUSES = List.of("PENDING", "COMPLETED", "FAILED");
    private static final List<String> TYPES = List.of("TRANSCRIPTION", "TRANSLATION", "TTS", "AI_CONTENT");
    private static final List<String> AI_PARTS = List.of("introduction", "titles", "summary", "webArticleSEOFriendly",
            "keyTopicsWithBullets", "keywords", "threadsByInstagram", "faq", "facebookPost", "youtubeDescription",
            "twitterThread", "linkedInPost");
    private static final List<String> SORT_FIELDS = List.of("createdAt", "updatedAt", "title", "status", "type");
    /** The defaults of srtOptions, filled in when returnSrtFormat is true. */
    private static final Map<String, Object> SRT_DEFAULTS = Map.of("maxLinesPerSubtitle", 2, "singleSpeakerPerSubtitle", true,
            "maxCharsPerLine", 42, "maxMergeableGap", 0.3, "minDuration", 0.7, "maxDuration", 7, "minGap", 0.04);
    private static final String STARTED = "Transcription started, you will receive en email when it's ready";

    Hamsa(Context ctx) {
        super(ctx);
    }

    @Override
    String vendor() {
        return "hamsa";
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/v1/jobs/transcribe", authed((c, req, res) -> transcribe(c, req, res, false)))
             .post("/v2/jobs", authed((c, req, res) -> transcribe(c, req, res, true)))
             .post("/v1/jobs/text-to-speech", authed(this::textToSpeech))
             .post("/v2/jobs/generate-transcription-ai-content", authed(this::aiContent))
             .post("/v1/jobs/all", authed(this::list))
             .get("/v1/jobs", authed(this::getV1))
             .get("/v2/jobs/view/{id}", authed(this::getV2))
             .get("/v1/projects/by-api-key", authed(this::project))
             .any(noRoute());
    }

    /** {@code Authorization: Token k}, as the docs ask; {@code Bearer k} and a bare {@code k}, as their samples send. */
    @Override
    String credential(ServerRequest req) {
        String value = req.headers().first(HeaderNames.AUTHORIZATION).orElse(null);
        if (value == null) {
            return null;
        }
        String v = value.trim();
        for (String scheme : List.of("Token ", "Bearer ")) {
            if (v.regionMatches(true, 0, scheme, 0, scheme.length())) {
                return v.substring(scheme.length()).trim();
            }
        }
        return v;
    }

    /** {@code {success: false, message, messageKey}}. */
    @Override
    ApiServer.Refusal refusal(ErrorCode code, String message) {
        int status = status(code);
        String key = switch (status) {
            case 401 -> "UNAUTHORIZED";
            case 403 -> "FORBIDDEN";
            case 404 -> "NOT_FOUND";
            case 413 -> "PAYLOAD_TOO_LARGE";
            case 429 -> "TOO_MANY_REQUESTS";
            case 500 -> "INTERNAL_SERVER_ERROR";
            case 503 -> "SERVICE_UNAVAILABLE";
            default -> "VALIDATION_ERROR"; // 400, 415
        };
        return new ApiServer.Refusal(status, object().put("success", false).put("message", message).put("messageKey", key));
    }

    // ---------------------------------------------------------------- submits

    /** {@code POST /v1/jobs/transcribe}, and {@code POST /v2/jobs} ({@code type}, {@code apiKey}, {@code title} required). */
    private void transcribe(Caller caller, ServerRequest req, ServerResponse res, boolean v2) throws InterruptedException {
        ObjectNode body = body(req);
        ObjectNode input = object();
        if (v2) {
            oneOf(body, "type", List.of("TRANSCRIPTION"), null);
            input.put("apiKey", text(body, "apiKey", true));
        }
        input.put("mediaUrl", url(body, "mediaUrl", true));
        if (!v2) {
            input.put("model", oneOf(body, "model", MODELS, null));
        }
        String processing = oneOf(body, "processingType", v2 ? List.of("async", "sync") : List.of("async"), "async");
        input.put("processingType", processing);
        String title = title(body, v2);
        input.put("title", title);
        input.put("language", oneOf(body, "language", LANGUAGES, v2 ? null : "ar"));
        if (!v2) {
            boolean srt = Boolean.TRUE.equals(bool(body, "returnSrtFormat"));
            input.put("returnSrtFormat", srt);
            if (srt) {
                ObjectNode options = input.putObject("srtOptions");
                new TreeMap<>(SRT_DEFAULTS).forEach((k, v) -> options.set(k, Json.MAPPER.valueToTree(v)));
                JsonNode given = body.get("srtOptions");
                if (given != null && !given.isNull()) {
                    if (!given.isObject()) {
                        throw SpoolException.invalid("srtOptions must be an object");
                    }
                    given.properties().forEach(e -> {
                        if (!SRT_DEFAULTS.containsKey(e.getKey())) {
                            throw SpoolException.invalid("srtOptions." + e.getKey() + " is not an option; known: "
                                    + String.join(", ", new TreeSet<>(SRT_DEFAULTS.keySet())));
                        }
                        options.set(e.getKey(), e.getValue());
                    });
                }
            }
            if (body.has("diarization")) {
                input.put("diarization", Boolean.TRUE.equals(bool(body, "diarization")));
            }
        }
        Job job = submitJob(caller, body, input, "TRANSCRIPTION", "transcription", title);
        if (processing.equals("sync")) {
            awaitEnd(caller, job.id(), Duration.ofSeconds(ctx.settings().syncWaitSeconds()));
        }
        started(res, STARTED, job);
    }

    /** {@code POST /v1/jobs/text-to-speech}: {@code text} and {@code voiceId}. */
    private void textToSpeech(Caller caller, ServerRequest req, ServerResponse res) {
        ObjectNode body = body(req);
        ObjectNode input = object();
        input.put("text", text(body, "text", true));
        input.put("voiceId", text(body, "voiceId", true));
        Job job = submitJob(caller, body, input, "TTS", "tts", null);
        ObjectNode out = object().put("success", true).put("message", "Text to speech started").put("messageKey", "OPERATION_SUCCESSFUL");
        out.putObject("data").put("jobId", job.id().value()).put("id", job.id().value()).put("status", status(job));
        send(res, 200, out);
    }

    /** {@code POST /v2/jobs/generate-transcription-ai-content}: exactly one of the AI parts. */
    private void aiContent(Caller caller, ServerRequest req, ServerResponse res) {
        ObjectNode body = body(req);
        ObjectNode input = object();
        input.put("apiKey", text(body, "apiKey", true));
        input.put("mediaUrl", url(body, "mediaUrl", true));
        String title = title(body, true);
        input.put("title", title);
        input.put("language", oneOf(body, "language", LANGUAGES, null));
        JsonNode parts = body.get("aiParts");
        if (parts == null || !parts.isArray() || parts.size() != 1 || !parts.get(0).isTextual()
                || !AI_PARTS.contains(parts.get(0).asText())) {
            throw SpoolException.invalid("aiParts must be an array of exactly one of " + String.join(", ", AI_PARTS));
        }
        input.set("aiParts", parts);
        for (String field : List.of("aiContentTitle", "aiContentLanguage", "aiContentDate", "aiContentText")) {
            String v = text(body, field, false);
            if (v != null) {
                input.put(field, v);
            }
        }
        Job job = submitJob(caller, body, input, "AI_CONTENT", "ai_content", title);
        started(res, "AI Content started, you will receive an email when it's ready", job);
    }

    private static String title(JsonNode body, boolean required) {
        String title = text(body, "title", required);
        if (title != null && title.length() > 200) {
            throw SpoolException.invalid("title is longer than 200 characters");
        }
        return title;
    }

    /** The job, with its webhook (and its Authorization header) when {@code webhookUrl} is given. */
    private Job submitJob(Caller caller, JsonNode body, ObjectNode input, String hamsaType, String route, String title) {
        String hookUrl = url(body, "webhookUrl", false);
        String authorization = null;
        JsonNode auth = body.get("webhookAuth");
        if (auth != null && !auth.isNull()) {
            if (!auth.isObject()) {
                throw SpoolException.invalid("webhookAuth must be an object {authKey, authSecret}");
            }
            authorization = text(auth, "authKey", true) + " " + text(auth, "authSecret", true);
            if (hookUrl == null) {
                throw SpoolException.invalid("webhookAuth needs webhookUrl");
            }
        }
        Set<WebhookEvent> events = ctx.settings().hamsa().webhookOnFailure()
                ? EnumSet.of(WebhookEvent.SUCCEEDED, WebhookEvent.FAILED, WebhookEvent.CANCELLED)
                : EnumSet.of(WebhookEvent.SUCCEEDED);
        var hook = hookUrl == null ? null : webhook("webhookUrl", hookUrl, events, authorization);
        if (hookUrl != null) {
            input.put("webhookUrl", hookUrl); // the secret stays out of the input workers see
        }
        return submit(caller, submission(ctx.settings().hamsa().types().get(route), input, title,
                Map.of(TYPE_METADATA, hamsaType), hook, List.of()));
    }

    private static void started(ServerResponse res, String message, Job job) {
        ObjectNode out = object().put("success", true).put("message", message).put("messageKey", "OPERATION_SUCCESSFUL");
        out.putObject("data").put("jobId", job.id().value());
        send(res, 200, out);
    }

    // ---------------------------------------------------------------- reads

    /** {@code GET /v1/jobs?jobId=}: {@code {message, previewUrl, data}}. */
    private void getV1(Caller caller, ServerRequest req, ServerResponse res) {
        String id = req.query().first("jobId").orElse(null);
        if (id == null || id.isBlank()) {
            throw SpoolException.invalid("jobId is required as a query parameter: GET /v1/jobs?jobId=<id>");
        }
        send(res, 200, envelopeV1(job(caller, jobId(id)), base(req)));
    }

    /** {@code GET /v2/jobs/view/{id}?projectId=}. */
    private void getV2(Caller caller, ServerRequest req, ServerResponse res) {
        requireProject(req);
        Job job = job(caller, jobId(req.path().pathParameters().get("id")));
        ObjectNode out = object().put("success", true).put("message", "Operation completed successfully")
                .put("messageKey", "OPERATION_SUCCESSFUL");
        out.set("data", view(job));
        send(res, 200, out);
    }

    /** {@code GET /v1/projects/by-api-key}: the project is the key's tenant. */
    private void project(Caller caller, ServerRequest req, ServerResponse res) {
        ObjectNode out = object().put("success", true).put("message", "Operation completed successfully");
        out.putObject("data").put("id", projectId(caller.tenant())).put("name", caller.tenant());
        send(res, 200, out);
    }

    /**
     * {@code POST /v1/jobs/all?projectId=} with {@code {sort, take, skip, search, status, type}}:
     * {@code {jobs, total, filtered}}, {@code total} counting all the caller's Hamsa jobs.
     */
    private void list(Caller caller, ServerRequest req, ServerResponse res) {
        requireProject(req);
        byte[] raw = ApiServer.body(req);
        JsonNode body = raw.length == 0 ? object() : Json.tree(raw);
        int take = integer(body, "take", 10, 1, 1000);
        int skip = integer(body, "skip", 0, 0, Integer.MAX_VALUE);
        int offset = ctx.settings().hamsa().skip().equals("page") ? Math.max(0, skip - 1) * take : skip;
        String status = body.hasNonNull("status") ? oneOf(body, "status", STATUSES, null) : null;
        String type = body.hasNonNull("type") ? oneOf(body, "type", TYPES, null) : null;
        String search = text(body, "search", false);
        Comparator<Job> order = order(body.get("sort"));

        List<Job> all = scan(caller, Set.of(), Map.of(), null, null);
        String needle = search == null ? null : search.toLowerCase(Locale.ROOT);
        List<Job> filtered = all.stream()
                .filter(j -> status == null || status.equals(status(j)))
                .filter(j -> type == null || type.equals(j.metadata().get(TYPE_METADATA)))
                .filter(j -> needle == null || (j.title() + " " + j.input().path("mediaUrl").asText() + " " + j.id().value())
                        .toLowerCase(Locale.ROOT).contains(needle))
                .sorted(order)
                .toList();
        ObjectNode out = object().put("success", true).put("message", "success");
        ObjectNode data = out.putObject("data");
        var jobs = data.putArray("jobs");
        filtered.stream().skip(offset).limit(take).forEach(j -> jobs.add(view(j)));
        data.put("total", all.size());
        data.put("filtered", filtered.size());
        send(res, 200, out);
    }

    private static Comparator<Job> order(JsonNode sort) {
        String field = "createdAt";
        String direction = "desc";
        if (sort != null && !sort.isNull()) {
            if (!sort.isObject()) {
                throw SpoolException.invalid("sort must be an object {field, direction}");
            }
            field = oneOf(sort, "field", SORT_FIELDS, "createdAt");
            direction = oneOf(sort, "direction", List.of("asc", "desc"), "desc");
        }
        Comparator<Job> by = switch (field) {
            case "updatedAt" -> Comparator.comparing(Job::updatedAt);
            case "title" -> Comparator.comparing(j -> j.title() == null ? "" : j.title());
            case "status" -> Comparator.comparing(Hamsa::status);
            case "type" -> Comparator.comparing(j -> j.metadata().getOrDefault(TYPE_METADATA, ""));
            default -> Comparator.comparing(Job::createdAt);
        };
        by = by.thenComparing(j -> j.id().value());
        return direction.equals("asc") ? by : by.reversed();
    }

    private static int integer(JsonNode body, String field, int fallback, int min, int max) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < min || v.asInt() > max) {
            throw SpoolException.invalid(field + " must be a whole number between " + min + " and " + max);
        }
        return v.asInt();
    }

    private static void requireProject(ServerRequest req) {
        if (req.query().first("projectId").map(String::isBlank).orElse(true)) {
            throw SpoolException.invalid("projectId is required as a query parameter (GET /v1/projects/by-api-key gives it)");
        }
    }

    /** A stable project id per tenant. */
    static String projectId(String tenant) {
        return UUID.nameUUIDFromBytes(("spool-project:" + tenant).getBytes(StandardCharsets.UTF_8)).toString();
    }

    // ---------------------------------------------------------------- rendering

    /** §6.2: queued and running are both PENDING; cancelled is FAILED. */
    static String status(Job job) {
        return switch (job.status()) {
            case QUEUED, RUNNING -> "PENDING";
            case SUCCEEDED -> "COMPLETED";
            case FAILED, CANCELLED -> "FAILED";
        };
    }

    private ObjectNode envelopeV1(Job job, String base) {
        ObjectNode out = object().put("message", "Job retrieved successfully").put("previewUrl", base + "/v1/jobs/" + job.id().value());
        out.set("data", dataV1(job));
        return out;
    }

    /** The v1 job: flat fields, {@code totalCost}, {@code usageTime}, {@code jobResponse} (the worker's result). */
    private ObjectNode dataV1(Job job) {
        JsonNode in = job.input();
        String type = job.metadata().getOrDefault(TYPE_METADATA, "TRANSCRIPTION");
        ObjectNode o = object();
        o.put("id", job.id().value());
        o.put("title", job.title());
        o.put("model", textOrNull(in, "model"));
        o.put("type", type);
        o.put("processingType", in.path("processingType").asText("async"));
        o.put("webhookUrl", textOrNull(in, "webhookUrl"));
        o.put("totalCost", cost(job));
        o.put("usageTime", Double.toString(job.runMsAt(job.updatedAt()) / 1000.0));
        o.put("fromLng", textOrNull(in, "language"));
        o.put("toLng", (String) null);
        o.put("mediaUrl", textOrNull(in, "mediaUrl"));
        o.set("jobResponse", job.result() == null ? object() : job.result());
        o.put("fromScript", (String) null);
        o.put("toScript", (String) null);
        o.put("status", status(job));
        if (job.error() != null || job.status() == JobStatus.CANCELLED) {
            o.put("error", job.error() != null ? job.error().message() : "cancelled");
        }
        o.put("relevantJobId", (String) null);
        o.put("agentDetails", (String) null);
        o.put("apiKeyId", job.keyId());
        o.put("billingId", (String) null);
        o.put("systemModelKey", systemModelKey(in));
        o.put("voiceAgentId", (String) null);
        o.put("createdAt", iso(job.createdAt()));
        o.put("updatedAt", iso(job.updatedAt()));
        return o;
    }

    /** The v2 view, also each item of the list: {@code cost}, {@code url}, an {@code attributes} bag. */
    private ObjectNode view(Job job) {
        JsonNode in = job.input();
        ObjectNode o = object();
        o.put("id", job.id().value());
        o.put("title", job.title());
        o.put("type", job.metadata().getOrDefault(TYPE_METADATA, "TRANSCRIPTION"));
        o.put("url", textOrNull(in, "mediaUrl"));
        o.put("status", status(job));
        o.put("cost", cost(job));
        o.put("systemModelKey", systemModelKey(in));
        o.put("relevantJobId", (String) null);
        ObjectNode attributes = o.putObject("attributes");
        attributes.put("apiKey", job.keyId());
        if (in.has("mediaUrl")) {
            attributes.put("mediaUrl", in.get("mediaUrl").asText());
            attributes.put("mediaType", in.get("mediaUrl").asText().matches("(?i)https?://(www\\.)?(youtube\\.com|youtu\\.be)/.*")
                    ? "YOUTUBE" : "URL");
        }
        if (in.has("model")) {
            attributes.put("model", in.get("model").asText());
        }
        if (in.has("voiceId")) {
            attributes.put("voice", in.get("voiceId").asText());
        }
        if (in.has("aiParts")) {
            attributes.set("aiContentParts", in.get("aiParts"));
        }
        attributes.put("duration", job.runMsAt(job.updatedAt()) / 1000.0);
        o.put("apiKey", job.keyId());
        o.put("createdBy", job.keyId());
        o.set("jobResponse", job.result() == null ? object() : job.result());
        if (job.error() != null) {
            o.put("error", job.error().message());
        }
        o.put("createdAt", iso(job.createdAt()));
        o.put("updatedAt", iso(job.updatedAt()));
        return o;
    }

    private java.math.BigDecimal cost(Job job) {
        Price price = ctx.engine().types().get(job.type()).map(JobType::price).orElse(Price.FREE);
        return price.cost(job.attempt(), job.runMsAt(job.updatedAt()), job.units());
    }

    /** {@code Hamsa-General-V2.0} → {@code HAMSA_GENERAL_V2.0}. */
    private static String systemModelKey(JsonNode in) {
        String model = textOrNull(in, "model");
        return model == null ? null : model.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    private static String textOrNull(JsonNode in, String field) {
        JsonNode v = in.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    /** The webhook: {@code {success, message, previewUrl, data}}, {@code data} as {@code GET /v1/jobs} shows the job. */
    @Override
    String render(Job job, WebhookEvent event, Instant at, Supplier<List<Artifact>> outputs) {
        ObjectNode out = object().put("success", job.status() == JobStatus.SUCCEEDED)
                .put("message", job.status() == JobStatus.SUCCEEDED ? "Job completed" : "Job failed")
                .put("previewUrl", publicBase() + "/v1/jobs/" + job.id().value());
        out.set("data", dataV1(job));
        return out.toString();
    }
}
