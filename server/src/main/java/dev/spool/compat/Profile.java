package dev.spool.compat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spool.artifact.Artifact;
import dev.spool.artifact.JobFiles;
import dev.spool.auth.ApiKey;
import dev.spool.auth.Caller;
import dev.spool.engine.Engine;
import dev.spool.engine.EventFeed;
import dev.spool.engine.Submission;
import dev.spool.http.ApiServer;
import dev.spool.http.Gate;
import dev.spool.http.Json;
import dev.spool.http.Problems;
import dev.spool.job.ErrorCode;
import dev.spool.job.InputFile;
import dev.spool.job.Job;
import dev.spool.job.JobId;
import dev.spool.job.JobQuery;
import dev.spool.job.JobStatus;
import dev.spool.job.JobWebhook;
import dev.spool.job.Page;
import dev.spool.job.SpoolException;
import dev.spool.job.WebhookEvent;
import dev.spool.webhook.WebhookEndpoint;
import dev.spool.webhook.Webhooks;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the five profiles share. A profile only translates: it reads the vendor's request, submits
 * an ordinary job through the {@link Engine}, and renders jobs in the vendor's JSON. It answers
 * every error itself, in the vendor's shape, never as problem+json.
 */
abstract class Profile implements HttpService {
    private static final Logger log = LoggerFactory.getLogger(Profile.class);
    static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    /** What every profile reaches. */
    record Context(Engine engine, Gate keys, JobFiles files, Webhooks webhooks, EventFeed feed, String publicUrl,
                   CompatSettings settings) {}

    /** A route that needs an API key. */
    @FunctionalInterface
    interface Route {
        void handle(Caller caller, ServerRequest req, ServerResponse res) throws Exception;
    }

    /** The message of a request that sent no key at all. */
    static final String NO_KEY = "No API key was sent.";

    final Context ctx;

    Profile(Context ctx) {
        this.ctx = ctx;
    }

    /** The profile's name: its mount point under {@code /compat/}, its webhook format, its jobs' {@code spool.compat}. */
    abstract String vendor();

    /** The API key in this vendor's header form, or null when the request has none. */
    abstract String credential(ServerRequest req);

    /** The key of {@code Authorization: Bearer <key>}, or null. */
    static String bearer(ServerRequest req) {
        String value = req.headers().first(HeaderNames.AUTHORIZATION).orElse(null);
        return value != null && value.regionMatches(true, 0, "Bearer ", 0, 7) ? value.substring(7) : null;
    }

    /**
     * The HTTP status the vendors that answer errors with 4xx/5xx give {@code code}: every request
     * fault is a plain 400, since none of them document 409 or 422.
     */
    static int status(ErrorCode code) {
        return switch (code) {
            case UNAUTHENTICATED -> 401;
            case FORBIDDEN -> 403;
            case NOT_FOUND -> 404;
            case PAYLOAD_TOO_LARGE -> 413;
            case UNSUPPORTED_MEDIA_TYPE -> 415;
            case RATE_LIMITED, QUOTA_EXCEEDED -> 429;
            case UNAVAILABLE -> 503;
            case INTERNAL -> 500;
            case INVALID_JSON, INVALID_REQUEST, INVALID_INPUT, UNKNOWN_TYPE, INVALID_CURSOR, INVALID_STATE, STALE_ATTEMPT,
                 IDEMPOTENCY_MISMATCH, RANGE_NOT_SATISFIABLE -> 400;
        };
    }

    /** An error in this vendor's shape: its status and body. */
    abstract ApiServer.Refusal refusal(ErrorCode code, String message);

    /** Answers an error in this vendor's shape. */
    final void error(ServerResponse res, ErrorCode code, String message) {
        ApiServer.Refusal r = refusal(code, message);
        send(res, r.status(), r.body());
    }

    /** The body of a webhook in this vendor's shape, for the job's own callback or the vendor's account webhooks. */
    String render(Job job, WebhookEvent event, Instant at, Supplier<List<Artifact>> outputs) {
        throw new IllegalStateException(vendor() + " sends no webhooks");
    }

    Handler authed(Route route) {
        return guarded((req, res) -> {
            String key = credential(req);
            if (key == null || key.isBlank()) {
                throw new SpoolException(ErrorCode.UNAUTHENTICATED, NO_KEY);
            }
            Caller caller = ctx.keys().enter("Bearer " + key.trim(), res);
            if (caller.role() == ApiKey.Role.WORKER) {
                throw new SpoolException(ErrorCode.FORBIDDEN, "A worker key may only use the /v1/worker routes.");
            }
            route.handle(caller, req, res);
        });
    }

    /** Catches every failure of {@code handler} and answers it in the vendor's shape. */
    Handler guarded(Handler handler) {
        return (req, res) -> {
            try {
                handler.handle(req, res);
            } catch (SpoolException e) {
                if (!res.isSent()) {
                    e.headers().forEach((name, value) -> res.header(io.helidon.http.HeaderNames.create(name), value));
                    if (e.code() == ErrorCode.UNAVAILABLE) {
                        Problems.retryAfter(res);
                    }
                    error(res, e.code(), e.getMessage());
                }
            } catch (io.helidon.http.RequestException e) {
                if (!res.isSent()) {
                    error(res, ApiServer.requestFault(e.status().code()), e.getMessage());
                }
            } catch (io.helidon.http.HttpException e) { // Helidon's own refusal of a malformed request
                boolean ours = e.status().code() >= 500;
                if (ours) {
                    log.error("{} {} failed", req.prologue().method().text(), req.path().path(), e);
                }
                if (!res.isSent()) {
                    error(res, ours ? ErrorCode.INTERNAL : ApiServer.requestFault(e.status().code()),
                            ours ? "Something went wrong on our side; the server log has the details." : e.getMessage());
                }
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                log.error("{} {} failed", req.prologue().method().text(), req.path().path(), e);
                if (!res.isSent()) {
                    error(res, ErrorCode.INTERNAL, "Something went wrong on our side; the server log has the details.");
                }
            }
        };
    }

    /** The last route of every profile: a path the vendor does not have. */
    Handler noRoute() {
        return guarded((req, res) -> {
            throw new SpoolException(ErrorCode.NOT_FOUND, "No route for " + req.prologue().method().text() + " "
                    + req.path().path() + " in the " + vendor() + " profile.");
        });
    }

    static void send(ServerResponse res, int status, JsonNode body) {
        res.status(Status.create(status));
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(Json.bytes(body));
    }

    static ObjectNode object() {
        return Json.MAPPER.createObjectNode();
    }

    /** A JSON object body, within the server's JSON limit. */
    static ObjectNode body(ServerRequest req) {
        return (ObjectNode) Json.tree(ApiServer.body(req));
    }

    static String iso(Instant instant) {
        return instant == null ? null : ISO.format(instant);
    }

    static Long millis(Instant instant) {
        return instant == null ? null : instant.toEpochMilli();
    }

    // ---------------------------------------------------------------- reading vendor fields

    /** A string field; null when absent and not required. */
    static String text(JsonNode body, String field, boolean required) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw SpoolException.invalid(field + " is required");
            }
            return null;
        }
        if (!v.isTextual()) {
            throw SpoolException.invalid(field + " must be a string");
        }
        if (required && v.asText().isBlank()) {
            throw SpoolException.invalid(field + " must not be empty");
        }
        return v.asText();
    }

    /** A string field that must be one of {@code allowed}; {@code fallback} when absent. */
    static String oneOf(JsonNode body, String field, List<String> allowed, String fallback) {
        String v = text(body, field, fallback == null);
        if (v == null) {
            return fallback;
        }
        if (!allowed.contains(v)) {
            throw SpoolException.invalid(field + " must be one of " + String.join(", ", allowed) + ", not '" + v + "'");
        }
        return v;
    }

    /** An http(s) URL field. */
    static String url(JsonNode body, String field, boolean required) {
        String v = text(body, field, required);
        if (v != null && !v.matches("(?i)https?://\\S+")) {
            throw SpoolException.invalid(field + " must be an http or https URL");
        }
        return v;
    }

    static Boolean bool(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isBoolean()) {
            throw SpoolException.invalid(field + " must be true or false");
        }
        return v.asBoolean();
    }

    /** A whole-number query parameter within [min, max]; {@code fallback} when absent. */
    static int intParam(String text, int fallback, int min, int max, String name) {
        if (text == null) {
            return fallback;
        }
        try {
            int v = Integer.parseInt(text.trim());
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw SpoolException.invalid(name + " must be a whole number between " + min + " and " + max);
    }

    static JobId jobId(String text) {
        return JobId.parse(text).orElseThrow(() -> SpoolException.notFound("job"));
    }

    // ---------------------------------------------------------------- jobs

    /** Submits one ordinary job, marked with this profile's name (and {@code metadata}). */
    Job submit(Caller caller, Submission submission) {
        return ctx.engine().submit(caller.tenant(), caller.keyId(), submission).job();
    }

    Submission submission(String type, ObjectNode input, String title, Map<String, String> metadata, Hook hook,
                          List<InputFile> uploads) {
        Map<String, String> marked = new HashMap<>(metadata);
        marked.put(WebhookEndpoint.COMPAT_METADATA, vendor());
        return Submission.builder(type, input).title(title).metadata(marked).uploads(uploads)
                .webhook(hook == null ? null : hook.webhook(), hook == null ? null : hook.field())
                .build();
    }

    /** A job's own webhook as a vendor request names it: {@code field} is the request's name for its URL. */
    record Hook(JobWebhook webhook, String field) {}

    /** The job's own webhook in this profile's format (the engine checks its URL as every webhook's). */
    Hook webhook(String field, String url, Set<WebhookEvent> events, String authorization) {
        return new Hook(new JobWebhook(url, events, vendor(), authorization), field);
    }

    /** One of the caller's jobs submitted through this profile; NOT_FOUND for any other. */
    Job job(Caller caller, JobId id) {
        Job job = ctx.engine().get(caller.tenant(), id);
        if (!vendor().equals(job.metadata().get(WebhookEndpoint.COMPAT_METADATA))) {
            throw SpoolException.notFound("job");
        }
        return job;
    }

    /**
     * The caller's jobs of this profile that match, newest first: at most {@code compat.list_scan_max}
     * of them, for the vendor lists that filter, sort and count in ways the native list does not.
     */
    List<Job> scan(Caller caller, Set<JobStatus> statuses, Map<String, String> metadata, Instant createdAfter,
                   Instant createdBefore) {
        Map<String, String> marked = new HashMap<>(metadata);
        marked.put(WebhookEndpoint.COMPAT_METADATA, vendor());
        List<Job> out = new ArrayList<>();
        JobId before = null;
        int max = ctx.settings().listScanMax();
        while (out.size() < max) {
            Page<Job> page = ctx.engine().list(new JobQuery(caller.tenant(), statuses, null, null, null, createdAfter,
                    createdBefore, marked, before, Math.min(JobQuery.MAX_LIMIT, max - out.size())));
            out.addAll(page.items());
            if (!page.hasMore() || page.items().isEmpty()) {
                break;
            }
            before = page.items().getLast().id();
        }
        return out;
    }

    /**
     * Waits for the job to end, at most {@code wait}, and returns it as it then is (still running
     * when the wait ran out). Woken by the job's own events, not by polling.
     */
    Job awaitEnd(Caller caller, JobId id, Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        try (EventFeed.Subscription changes = ctx.feed().subscribe(e -> e.event().jobId().equals(id))) {
            Job job = ctx.engine().get(caller.tenant(), id);
            while (!job.status().isTerminal()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                var event = changes.next(Duration.ofNanos(left));
                if (event != null && event.event().status().isTerminal()) {
                    break;
                }
            }
        } catch (EventFeed.CutOff cutOff) {
            // the server is stopping: answer with the job as it is
        }
        return ctx.engine().get(caller.tenant(), id);
    }

    /** The job's output files. */
    List<Artifact> outputs(Job job) {
        return outputs(job.tenant(), job.id());
    }

    List<Artifact> outputs(String tenant, JobId id) {
        return ctx.files().list(tenant, id).stream().filter(a -> a.kind() == Artifact.Kind.OUTPUT).toList();
    }

    /**
     * Links start with this: {@code http.public_url} when set, else the scheme and host the request
     * came to (vendor clients expect absolute URLs). Webhook bodies, made with no request, use
     * {@code http.public_url} only.
     */
    String base(ServerRequest req) {
        if (!ctx.publicUrl().isEmpty()) {
            return ctx.publicUrl().replaceAll("/+$", "");
        }
        return req.headers().first(HeaderNames.HOST).map(h -> "http://" + h).orElse("");
    }

    String publicBase() {
        return ctx.publicUrl().replaceAll("/+$", "");
    }

    /** A signed, expiring download link to {@code artifact}. */
    String link(String base, Artifact artifact) {
        return base + ctx.files().link(artifact).path();
    }
}
