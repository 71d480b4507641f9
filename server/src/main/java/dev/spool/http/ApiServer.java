package dev.spool.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.spool.artifact.JobFiles;
import dev.spool.auth.ApiKey;
import dev.spool.auth.ApiKeys;
import dev.spool.auth.Caller;
import dev.spool.engine.Engine;
import dev.spool.engine.EventFeed;
import dev.spool.engine.JobTypes;
import dev.spool.engine.Schedules;
import dev.spool.engine.Submission;
import dev.spool.job.ErrorCode;
import dev.spool.job.SpoolException;
import dev.spool.limit.Accounts;
import dev.spool.telemetry.Metrics;
import dev.spool.telemetry.Problem;
import dev.spool.telemetry.Tracing;
import dev.spool.webhook.Payloads;
import dev.spool.webhook.Webhooks;
import io.helidon.common.media.type.MediaTypes;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.HttpException;
import io.helidon.http.HttpMediaType;
import io.helidon.http.RequestException;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.http1.Http1Config;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/** The HTTP server: the route table of the native API, authentication, and errors as problem+json. */
public final class ApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
    static final HeaderName IDEMPOTENCY_KEY = HeaderNames.create("Idempotency-Key");
    static final HeaderName IDEMPOTENT_REPLAYED = HeaderNames.create("Idempotent-Replayed");
    /** Request-context key of the JSON body limit, set by a filter on every request. */
    private static final String MAX_JSON_BYTES = "spool.max-json-bytes";
    /** Request-context key of the largest body of any kind (the larger of the JSON and upload limits). */
    private static final String MAX_BODY_BYTES = "spool.max-body-bytes";
    /**
     * How much more of a body the server reads, and throws away, after refusing it for its size
     * before it gives up and closes the connection. A client that sends a body without waiting
     * (chunked, or no {@code Expect: 100-continue}) is still writing when the 413 goes out; closing
     * on unread bytes resets the connection, and a reset can destroy the 413 before the client
     * reads it. Reading on a while, as nginx's lingering close does, lets it end its request and
     * read the answer.
     */
    static final long LINGER_BYTES = 16L * 1024 * 1024;
    /** Request-context key of the id of the API key that made the request, for the access log. */
    private static final String KEY_ID = "spool.key-id";
    static final HeaderName REQUEST_ID = HeaderNames.create("X-Request-Id");
    private static final HeaderName TRACEPARENT = HeaderNames.create("traceparent");
    private static final HeaderName TRACESTATE = HeaderNames.create("tracestate");
    /** A caller's request id is kept when it is sane: short, and only characters that are safe in logs and headers. */
    private static final Pattern SANE_ID = Pattern.compile("[A-Za-z0-9._:/+=-]{1,128}");
    private static final Logger access = LoggerFactory.getLogger("dev.spool.access");

    /** What the server needs to know of its surroundings. */
    public record Settings(String host, int port, long maxBodyBytes, String publicUrl, long maxUploadBytes) {}

    /** The services the routes call, beside the engine. */
    public record Services(ApiKeys keys, JobFiles files, Webhooks webhooks, EventFeed feed, Gate gate, Accounts accounts,
                           Schedules schedules) {}

    /**
     * What an operator sees: the metrics registry ({@code /metrics}, open without a key when
     * {@code metricsPublic}), traces, the access log (off by default), and the problems report.
     */
    public record Observing(Metrics metrics, boolean metricsPublic, int metricsPort, boolean accessLog, Tracing tracing,
                            Supplier<List<Problem>> problems) {}

    /**
     * Routes served under a path prefix by another transport (a compatibility profile), which
     * answers its own errors in its own shape.
     */
    public record Mount(String prefix, io.helidon.webserver.http.HttpService service,
                        BiFunction<ErrorCode, String, Refusal> errors) {}

    /** An error answer in a transport's own shape: its HTTP status and JSON body. */
    public record Refusal(int status, JsonNode body) {}

    /** A handler for a route that needs an API key. */
    @FunctionalInterface
    interface Authed {
        void handle(Caller caller, ServerRequest req, ServerResponse res) throws Exception;
    }

    private final WebServer server;
    /** {@code /metrics} alone, without a key, on loopback: when {@code metrics.port} is set. */
    private final WebServer metricsServer;
    static final int MAX_REQUEST_LINE = 16 * 1024;

    public ApiServer(Settings settings, Engine engine, Services services, Observing observing, List<Mount> mounts,
                     BooleanSupplier ready) {
        String base = base(settings.publicUrl());
        Wire wire = new Wire(engine.types(), base);
        var files = services.files();
        JobRoutes jobs = new JobRoutes(engine, wire, files);
        KeyRoutes keyRoutes = new KeyRoutes(services.keys());
        WorkerRoutes workers = new WorkerRoutes(engine, files, base);
        FileRoutes fileRoutes = new FileRoutes(engine, files, base);
        EventRoutes events = new EventRoutes(engine, services.feed(), wire);
        WebhookRoutes hooks = new WebhookRoutes(services.webhooks());
        Gate keys = services.gate();
        TenantRoutes tenants = new TenantRoutes(services.accounts(), engine.clock());
        OperateRoutes operate = new OperateRoutes(engine, services.schedules(), services.webhooks());
        ObjectNode openapi = openapi();
        long accepted = Math.max(settings.maxBodyBytes(), settings.maxUploadBytes());
        this.server = WebServer.builder()
                .host(settings.host())
                .port(settings.port())
                // The routes hold bodies to their own limits, at most `accepted`; the listener's is
                // higher by LINGER_BYTES so that what follows a refusal can be read and dropped.
                .maxPayloadSize(accepted + LINGER_BYTES)
                // A request line of up to 16 KiB (long list queries), as most servers allow; past
                // it the request is refused before its target is known, as problem+json.
                .addProtocol(Http1Config.builder().maxPrologueLength(MAX_REQUEST_LINE).build())
                .directHandlers(d -> d
                        .addHandler(DirectHandler.EventType.PAYLOAD_TOO_LARGE, (q, t, s, h, m) -> direct(q, t, s, h, m, mounts))
                        .addHandler(DirectHandler.EventType.BAD_REQUEST, (q, t, s, h, m) -> direct(q, t, s, h, m, mounts)))
                .routing(r -> {
                    HttpMeter meter = new HttpMeter(observing.metrics().registry());
                    r.addFilter((chain, req, res) -> {
                        req.context().register(MAX_JSON_BYTES, settings.maxBodyBytes());
                        req.context().register(MAX_BODY_BYTES, accepted);
                        observe(chain, req, res, observing, meter);
                    });
                    r.addFilter((chain, req, res) -> {
                        if (req.headers().contentLength().orElse(0) > accepted) {
                            // Refused before a byte is read, and the connection closed rather than
                            // the declared body read and dropped (nor `100 Continue` sent for it).
                            res.header(HeaderValues.CONNECTION_CLOSE);
                            refuse(req, res, ErrorCode.PAYLOAD_TOO_LARGE, TOO_LARGE, mounts);
                        } else {
                            chain.proceed();
                        }
                    });
                    mounts.forEach(m -> r.register(m.prefix(), m.service()));
                    webhookRoutes(r, engine, events, hooks, jobs, keys);
                    r.get("/metrics", metricsRoute(observing, keys));
                    new Console(keys).register(r);
                    r.get("/v1/admin/problems", authed(keys, admin((caller, req, res) -> problems(observing.problems().get(), res))));
                    routes(r, jobs, keyRoutes, tenants, operate, workers, fileRoutes, keys, openapi, base, ready);
                })
                .build()
                .start();
        // Helidon logs a failed bind and returns; a server that does not listen must not pretend to.
        if (!server.isRunning() || server.port() < 0) {
            server.stop();
            throw new IllegalStateException("cannot listen on " + settings.host() + ":" + settings.port()
                    + " (is the port already in use? choose another with --port or http.port)");
        }
        if (observing.metricsPort() > 0) {
            this.metricsServer = WebServer.builder().host("127.0.0.1").port(observing.metricsPort())
                    .routing(r -> r.get("/metrics", (req, res) -> metrics(observing.metrics(), req, res))
                            .any((req, res) -> Problems.send(res, ErrorCode.NOT_FOUND, "This listener serves /metrics only.")))
                    .build().start();
            if (!metricsServer.isRunning() || metricsServer.port() < 0) {
                metricsServer.stop();
                server.stop();
                throw new IllegalStateException("cannot listen on 127.0.0.1:" + observing.metricsPort()
                        + " for /metrics (is the port already in use? choose another with metrics.port)");
            }
        } else {
            this.metricsServer = null;
        }
    }

    /**
     * Around every request: its id (the caller's {@code X-Request-Id} when sane, else a new one),
     * answered in the same header and put on every log line of the request as {@code request_id};
     * a server span continuing the caller's {@code traceparent}; when the answer is sent, the
     * request's metrics (by route template, never the raw path) and its access log line.
     */
    private static void observe(FilterChain chain, RoutingRequest req,
                                RoutingResponse res, Observing observing, HttpMeter meter) {
        String id = req.headers().first(REQUEST_ID).filter(v -> SANE_ID.matcher(v).matches())
                .orElseGet(ApiServer::newRequestId);
        res.header(REQUEST_ID, id);
        MDC.put("request_id", id);
        long started = System.nanoTime();
        String method = req.prologue().method().text();
        Context parent = Tracing.extract(req.headers().first(TRACEPARENT).orElse(null), req.headers().first(TRACESTATE).orElse(null));
        Span span = observing.tracing().tracer().spanBuilder(method).setParent(parent).setSpanKind(SpanKind.SERVER)
                .setAttribute("http.request.method", method).startSpan();
        res.whenSent(() -> {
            String route = req.matchingPattern().orElse("unmatched");
            int status = res.status().code();
            long nanos = System.nanoTime() - started;
            meter.record(method, route, status, nanos);
            span.updateName(method + " " + route);
            span.setAttribute("http.route", route);
            span.setAttribute("http.response.status_code", status);
            if (status >= 500) {
                span.setStatus(StatusCode.ERROR);
            }
            span.end();
            if (observing.accessLog()) {
                access.info("{} {} {} {} bytes {} ms key {}", method, route, status, res.bytesWritten(),
                        TimeUnit.NANOSECONDS.toMillis(nanos), req.context().get(KEY_ID, String.class).orElse("-"));
            }
            MDC.remove("request_id");
        });
        try (Scope ignored = parent.with(span).makeCurrent()) {
            chain.proceed();
        }
    }

    /** A new request id: random, UUID-shaped; not a secret, so not from the (locking) secure generator. */
    private static String newRequestId() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return new UUID(r.nextLong(), r.nextLong()).toString();
    }

    /** {@code GET /v1/admin/problems}: what needs a human, each with its count and since. */
    private static void problems(List<Problem> problems, ServerResponse res) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        var list = out.putArray("problems");
        for (Problem p : problems) {
            ObjectNode o = list.addObject().put("kind", p.kind()).put("subject", p.subject()).put("count", p.count());
            o.put("since", Wire.time(p.since()));
            o.put("detail", p.detail());
        }
        sendJson(res, Status.OK_200, out);
    }

    /** {@code GET /metrics} of the API's port: 404 when metrics are off; an admin key unless {@code metrics.public}. */
    private static Handler metricsRoute(Observing observing, Gate keys) {
        if (!observing.metrics().enabled()) {
            return (req, res) -> {
                throw new SpoolException(ErrorCode.NOT_FOUND, "Metrics are off here (metrics.enabled: false).");
            };
        }
        if (observing.metricsPublic()) {
            return (req, res) -> metrics(observing.metrics(), req, res);
        }
        return authed(keys, (caller, req, res) -> {
            if (caller.role() != ApiKey.Role.ADMIN) {
                throw new SpoolException(ErrorCode.FORBIDDEN, "/metrics needs an admin key (or metrics.public: true, or "
                        + "metrics.port for a listener of its own on loopback).");
            }
            metrics(observing.metrics(), req, res);
        });
    }

    /** {@code GET /metrics}: Prometheus' text format, or OpenMetrics when the scraper asks for it. */
    static void metrics(Metrics metrics, ServerRequest req, ServerResponse res) {
        Metrics.Scrape scrape = metrics.scrape(req.headers().first(HeaderNames.ACCEPT).orElse(null));
        res.header(HeaderNames.CONTENT_TYPE, scrape.contentType());
        res.send(scrape.body().getBytes(StandardCharsets.UTF_8));
    }

    /** Links in answers start with this: the public URL without a trailing slash, or nothing (relative links). */
    private static String base(String publicUrl) {
        return publicUrl.replaceAll("/+$", "");
    }

    /** How job webhooks' bodies are rendered in Spool's own format: with the job as the API shows it. */
    public static Payloads payloads(JobTypes types, String publicUrl) {
        Wire wire = new Wire(types, base(publicUrl));
        return (format, job, event, at, outputs) -> wire.payload(job, event, at);
    }

    /** Live events and webhooks (registered before the others, whose last route answers 404 to anything). */
    private static void webhookRoutes(HttpRouting.Builder r, Engine engine, EventRoutes events, WebhookRoutes hooks,
                                      JobRoutes jobs, Gate keys) {
        r.get("/v1/jobs/{id}/logs", authed(keys, tenant((caller, req, res) -> {
            if (EventRoutes.wantsStream(req)) {
                events.logStream(caller, req, res);
            } else {
                jobs.logs(caller, req, res);
            }
        })));
        r.get("/v1/jobs/{id}", authed(keys, tenant(events::get)))
         .get("/v1/jobs/{id}/events", authed(keys, tenant((caller, req, res) -> {
             if (EventRoutes.wantsStream(req)) {
                 events.jobStream(caller, req, res);
             } else {
                 jobs.events(caller, req, res);
             }
         })))
         .get("/v1/events", authed(keys, tenant(events::tenantStream)))
         .get("/v1/jobs/{id}/deliveries", authed(keys, tenant((caller, req, res) -> hooks.jobDeliveries(caller, req, res, engine))))
         .post("/v1/webhooks", authed(keys, tenant(hooks::create)))
         .get("/v1/webhooks", authed(keys, tenant(hooks::list)))
         .get("/v1/webhooks/{id}", authed(keys, tenant(hooks::get)))
         .patch("/v1/webhooks/{id}", authed(keys, tenant(hooks::update)))
         .delete("/v1/webhooks/{id}", authed(keys, tenant(hooks::delete)))
         .get("/v1/webhooks/{id}/secret", authed(keys, tenant(hooks::secret)))
         .post("/v1/webhooks/{id}/rotate-secret", authed(keys, tenant(hooks::rotate)))
         .get("/v1/webhooks/{id}/deliveries", authed(keys, tenant(hooks::endpointDeliveries)))
         .get("/v1/deliveries/{id}", authed(keys, tenant(hooks::getDelivery)))
         .post("/v1/deliveries/{id}/replay", authed(keys, tenant(hooks::replay)));
    }

    private static void routes(HttpRouting.Builder r, JobRoutes jobs, KeyRoutes keyRoutes, TenantRoutes tenants,
                               OperateRoutes operate, WorkerRoutes workers,
                               FileRoutes files, Gate keys, ObjectNode openapi, String base,
                               BooleanSupplier ready) {
        r.get("/healthz", ApiServer::alive)
         .get("/readyz", (req, res) -> {
             if (!ready.getAsBoolean()) {
                 throw new SpoolException(ErrorCode.UNAVAILABLE, "Spool is starting or shutting down.");
             }
             sendJson(res, Status.OK_200, Json.MAPPER.createObjectNode().put("status", "ready"));
         })
         .get("/openapi.json", (req, res) -> {
             ObjectNode doc = openapi.deepCopy();
             doc.putArray("servers").addObject().put("url", base.isEmpty() ? requestBase(req) : base);
             res.header(HeaderNames.CONTENT_TYPE, "application/json");
             res.send(Json.bytes(doc));
         })

         .post("/v1/jobs", authed(keys, tenant(jobs::submit)))
         .get("/v1/jobs", authed(keys, tenant(jobs::list)))
         .delete("/v1/jobs/{id}", authed(keys, tenant(jobs::delete)))
         .post("/v1/jobs/cancel", authed(keys, tenant(jobs.bulk(Engine.BulkAction.CANCEL))))
         .post("/v1/jobs/retry", authed(keys, tenant(jobs.bulk(Engine.BulkAction.RETRY))))
         .post("/v1/jobs/delete", authed(keys, tenant(jobs.bulk(Engine.BulkAction.DELETE))))
         .post("/v1/jobs/{id}/cancel", authed(keys, tenant(jobs::cancel)))
         .post("/v1/jobs/{id}/retry", authed(keys, tenant(jobs::retry)))
         .get("/v1/jobs/{id}/result", authed(keys, tenant(files::result)))
         .get("/v1/jobs/{id}/artifacts", authed(keys, tenant(files::list)))
         .get("/v1/jobs/{id}/artifacts.zip", authed(keys, tenant(files::zip)))
         .get("/v1/jobs/{id}/artifacts/{name}", authed(keys, tenant(files::download)))
         .get("/v1/files/{id}/{name}", files::signedDownload)

         .post("/v1/batches", authed(keys, tenant(jobs::submitBatch)))
         .get("/v1/batches/{id}", authed(keys, tenant(jobs::getBatch)))
         .post("/v1/batches/{id}/cancel", authed(keys, tenant(jobs::cancelBatch)))

         .get("/v1/stats", authed(keys, tenant(operate::stats)))
         .get("/v1/queues", authed(keys, tenant(operate::queues)))
         .post("/v1/queues/{name}/pause", authed(keys, admin(operate::pause)))
         .post("/v1/queues/{name}/resume", authed(keys, admin(operate::resume)))
         .post("/v1/schedules", authed(keys, tenant(operate::createSchedule)))
         .get("/v1/schedules", authed(keys, tenant(operate::listSchedules)))
         .get("/v1/schedules/{id}", authed(keys, tenant(operate::getSchedule)))
         .patch("/v1/schedules/{id}", authed(keys, tenant(operate::updateSchedule)))
         .delete("/v1/schedules/{id}", authed(keys, tenant(operate::deleteSchedule)))
         .post("/v1/schedules/{id}/pause", authed(keys, tenant(operate::pauseSchedule)))
         .post("/v1/schedules/{id}/resume", authed(keys, tenant(operate::resumeSchedule)))

         .get("/v1/types", authed(keys, jobs::types))

         .post("/v1/worker/claim", authed(keys, worker(workers::claim)))
         .post("/v1/worker/heartbeats", authed(keys, worker(workers::heartbeats)))
         .post("/v1/worker/reports", authed(keys, worker(workers::reports)))
         .post("/v1/worker/jobs/{id}/heartbeat", authed(keys, worker(workers::heartbeat)))
         .post("/v1/worker/jobs/{id}/complete", authed(keys, worker(workers::complete)))
         .post("/v1/worker/jobs/{id}/fail", authed(keys, worker(workers::fail)))
         .post("/v1/worker/jobs/{id}/logs", authed(keys, worker(workers::log)))
         .post("/v1/worker/jobs/{id}/release", authed(keys, worker(workers::release)))
         .put("/v1/worker/jobs/{id}/artifacts/{name}", authed(keys, worker(files::upload)))
         .get("/v1/workers", authed(keys, admin(jobs::workers)))

         .get("/v1/usage", authed(keys, tenant(tenants::usage)))
         .get("/v1/limits", authed(keys, tenant(tenants::ownLimits)))
         .get("/v1/tenants/{id}/limits", authed(keys, admin(tenants::getLimits)))
         .put("/v1/tenants/{id}/limits", authed(keys, admin(tenants::putLimits)))
         .delete("/v1/tenants/{id}/limits", authed(keys, admin(tenants::deleteLimits)))

         .post("/v1/keys", authed(keys, admin(keyRoutes::create)))
         .get("/v1/keys", authed(keys, admin(keyRoutes::list)))
         .delete("/v1/keys/{id}", authed(keys, admin(keyRoutes::revoke)))

         .any((req, res) -> Problems.send(res, ErrorCode.NOT_FOUND,
                 "No route for " + req.prologue().method().text() + " " + req.path().path() + "."))

         .error(SpoolException.class, (req, res, e) -> Problems.send(res, e))
         .error(RequestException.class, (req, res, e) -> Problems.send(res, requestFault(e.status().code()), e.getMessage()))
         .error(HttpException.class, (req, res, e) -> {
             // Helidon's own refusals of a malformed request (a Content-Type it cannot parse, say).
             if (e.status().code() >= 500) {
                 log.error("{} {} failed", req.prologue().method().text(), req.path().path(), e);
                 Problems.send(res, ErrorCode.INTERNAL, "Something went wrong on our side; the server log has the details.");
             } else {
                 Problems.send(res, requestFault(e.status().code()), e.getMessage());
             }
         })
         .error(Exception.class, (req, res, e) -> {
             log.error("{} {} failed", req.prologue().method().text(), req.path().path(), e);
             Problems.send(res, ErrorCode.INTERNAL, "Something went wrong on our side; the server log has the details.");
         });
    }

    /** The error code of a request the HTTP layer refused with {@code status} (a 4xx). */
    public static ErrorCode requestFault(int status) {
        return switch (status) {
            case 413 -> ErrorCode.PAYLOAD_TOO_LARGE;
            case 415 -> ErrorCode.UNSUPPORTED_MEDIA_TYPE;
            case 404 -> ErrorCode.NOT_FOUND;
            default -> ErrorCode.INVALID_REQUEST;
        };
    }

    private static Handler authed(Gate keys, Authed route) {
        return (req, res) -> {
            // An Authorization header, or else the console's session cookie.
            String authorization = req.headers().first(HeaderNames.AUTHORIZATION)
                    .or(() -> Console.authorization(req)).orElse(null);
            Caller caller = actingFor(keys.enter(authorization, res), req);
            req.context().register(KEY_ID, caller.keyId());
            route.handle(caller, req, res);
        };
    }

    /** An admin key's request may act for one tenant: {@code Spool-Tenant: <name>} (the console's tenant picker). */
    static final HeaderName ACT_FOR = HeaderNames.create("Spool-Tenant");
    static final Pattern TENANT_NAME = Pattern.compile("[A-Za-z0-9._:@-]{1,128}");

    private static Caller actingFor(Caller caller, ServerRequest req) {
        var tenant = req.headers().first(ACT_FOR);
        if (tenant.isEmpty()) {
            var picked = caller.isAdmin() ? Console.pickedTenant(req) : Optional.<String>empty();
            return picked.map(t -> new Caller(caller.keyId(), t, caller.role())).orElse(caller);
        }
        if (!caller.isAdmin()) {
            throw new SpoolException(ErrorCode.FORBIDDEN, "Only an admin key may act for another tenant (Spool-Tenant).");
        }
        if (!TENANT_NAME.matcher(tenant.get()).matches()) {
            throw SpoolException.invalid("Spool-Tenant must be a tenant's name (1 to 128 letters, digits and ._:@-).");
        }
        return new Caller(caller.keyId(), tenant.get(), caller.role());
    }

    private static Authed admin(Authed route) {
        return (caller, req, res) -> {
            if (caller.role() != ApiKey.Role.ADMIN) {
                throw new SpoolException(ErrorCode.FORBIDDEN, "This route needs an admin key.");
            }
            route.handle(caller, req, res);
        };
    }

    /** Tenant routes: a worker key serves every tenant, so it may not act as any one of them. */
    private static Authed tenant(Authed route) {
        return (caller, req, res) -> {
            if (caller.role() == ApiKey.Role.WORKER) {
                throw new SpoolException(ErrorCode.FORBIDDEN, "A worker key may only use the /v1/worker routes.");
            }
            route.handle(caller, req, res);
        };
    }

    private static Authed worker(Authed route) {
        return (caller, req, res) -> {
            if (caller.role() != ApiKey.Role.WORKER) {
                throw new SpoolException(ErrorCode.FORBIDDEN,
                        "The /v1/worker routes need a worker key (POST /v1/keys with role 'worker').");
            }
            route.handle(caller, req, res);
        };
    }

    /**
     * Errors the server answers before routing (an oversized or malformed request, a lone {@code %}
     * in the target): as problem+json, or in a profile's own shape when the target is under its prefix.
     */
    private static DirectHandler.TransportResponse direct(DirectHandler.TransportRequest request,
                                                         DirectHandler.EventType type, Status status,
                                                         io.helidon.http.ServerResponseHeaders headers, String message,
                                                         List<Mount> mounts) {
        boolean tooLarge = type == DirectHandler.EventType.PAYLOAD_TOO_LARGE || status.code() == 413;
        ErrorCode code = tooLarge ? ErrorCode.PAYLOAD_TOO_LARGE : ErrorCode.INVALID_REQUEST;
        String detail = code == ErrorCode.PAYLOAD_TOO_LARGE
                ? TOO_LARGE
                : "The request is not valid HTTP" + (message == null || message.isBlank() ? "." : ": " + message);
        Optional<Mount> mount = mountOf(request.path() == null ? "" : request.path(), mounts);
        if (mount.isPresent()) {
            Refusal r = mount.get().errors().apply(code, detail);
            return DirectHandler.TransportResponse.builder()
                    .status(Status.create(r.status()))
                    .headers(headers)
                    .header(HeaderNames.CONTENT_TYPE, "application/json")
                    .entity(Json.bytes(r.body()))
                    .build();
        }
        return DirectHandler.TransportResponse.builder()
                .status(Problems.status(code))
                .headers(headers)
                .header(HeaderNames.CONTENT_TYPE, Problems.MEDIA_TYPE)
                .entity(Problems.body(code, detail))
                .build();
    }

    /** A submit body read as the native API reads it, with an idempotency key (or null): how a schedule's job is read. */
    public static Submission submission(JsonNode body, String idempotencyKey) {
        return JobRoutes.submission(body, idempotencyKey, List.of());
    }

    /** The profile whose prefix {@code path} is under, if any. */
    private static Optional<Mount> mountOf(String path, List<Mount> mounts) {
        return mounts.stream().filter(m -> path.equals(m.prefix()) || path.startsWith(m.prefix() + "/")).findFirst();
    }

    /** Answers an error from a filter: as problem+json, or in a profile's own shape under its prefix. */
    private static void refuse(ServerRequest req, ServerResponse res, ErrorCode code, String detail, List<Mount> mounts) {
        Optional<Mount> mount = mountOf(req.path().path(), mounts);
        if (mount.isPresent()) {
            Refusal r = mount.get().errors().apply(code, detail);
            sendJson(res, Status.create(r.status()), r.body());
        } else {
            Problems.send(res, code, detail);
        }
    }

    /**
     * Reads a JSON request body, after checking that it is declared as JSON (or not declared at
     * all) and within the JSON limit: a declared length over it is refused before a byte is read,
     * and a chunked body is refused as soon as it passes it. (The listener's own limit is the
     * larger upload limit.)
     */
    public static byte[] body(ServerRequest req) {
        var contentType = contentType(req);
        if (contentType.isPresent()) {
            String type = contentType.get().mediaType().text().toLowerCase(Locale.ROOT);
            if (!type.equals("application/json") && !type.endsWith("+json")) {
                throw new SpoolException(ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                        "Send the body as JSON with 'Content-Type: application/json', not " + type + ".");
            }
        }
        long max = jsonLimit(req);
        var declared = req.headers().contentLength();
        if (declared.isPresent() && declared.getAsLong() > max) {
            throw tooLarge();
        }
        try (InputStream in = req.content().inputStream()) {
            return readLimited(in, max);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (SpoolException e) {
            drain(req);
            throw e;
        }
    }

    /**
     * Reads what is left of a body refused for its size and drops it, at most {@link #LINGER_BYTES}
     * past the limit (past that the connection is closed after the answer): a client still sending
     * it then reads the refusal instead of a reset connection. Helidon drains on its own only when
     * the connection is kept alive; this does it for {@code Connection: close} requests too.
     */
    static void drain(ServerRequest req) {
        try {
            req.content().consume();
        } catch (RuntimeException e) {
            log.debug("a refused body ran past the listener's limit; the connection closes after the answer", e);
        }
    }

    /**
     * The request's Content-Type, parsed; a header that does not parse is the client's fault (400),
     * however Helidon's parser happens to fail on it.
     */
    public static Optional<HttpMediaType> contentType(ServerRequest req) {
        try {
            return req.headers().contentType();
        } catch (RuntimeException e) {
            throw SpoolException.invalid("The Content-Type header cannot be parsed: '"
                    + req.headers().first(HeaderNames.CONTENT_TYPE).orElse("") + "'.");
        }
    }

    /** The JSON body limit of this server (http.max_body_bytes), which a filter puts on every request. */
    public static long jsonLimit(ServerRequest req) {
        return req.context().get(MAX_JSON_BYTES, Long.class).orElseThrow();
    }

    /** Reads at most {@code max} bytes; more is {@code PAYLOAD_TOO_LARGE}, found as soon as it passes. */
    public static byte[] readLimited(InputStream in, long max) throws IOException {
        byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
        if (bytes.length > max) {
            throw tooLarge();
        }
        return bytes;
    }

    private static final String TOO_LARGE = "The request body is larger than this server accepts (http.max_body_bytes).";

    private static SpoolException tooLarge() {
        return new SpoolException(ErrorCode.PAYLOAD_TOO_LARGE, TOO_LARGE);
    }

    /**
     * The request body as a stream that refuses with {@code PAYLOAD_TOO_LARGE} as it passes the
     * largest body this server accepts (for readers without a limit of their own, as multipart).
     */
    static InputStream boundedBody(ServerRequest req) {
        long max = req.context().get(MAX_BODY_BYTES, Long.class).orElseThrow();
        return new FilterInputStream(req.content().inputStream()) {
            private long read;

            @Override
            public int read() throws IOException {
                int b = super.read();
                count(b < 0 ? 0 : 1);
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                count(Math.max(n, 0));
                return n;
            }

            private void count(int n) {
                read += n;
                if (read > max) {
                    drain(req);
                    throw tooLarge();
                }
            }
        };
    }

    /** {@code /healthz}: the process is up (it says nothing of the database; {@code /readyz} does). */
    static void alive(ServerRequest req, ServerResponse res) {
        sendJson(res, Status.OK_200, Json.MAPPER.createObjectNode().put("status", "ok"));
    }

    static void sendJson(ServerResponse res, Status status, JsonNode body) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, MediaTypes.APPLICATION_JSON.text());
        res.send(Json.bytes(body));
    }

    /**
     * Where the caller reached this server, for the {@code servers} of the OpenAPI document when no
     * {@code http.public_url} is set: its Host header, over https when served over TLS or a proxy
     * says so; without a Host, relative.
     */
    private static String requestBase(ServerRequest req) {
        boolean secure = Console.secure(req);
        return req.headers().first(HeaderNames.HOST)
                .filter(host -> host.matches("[A-Za-z0-9.\\-\\[\\]:]{1,300}"))
                .map(host -> (secure ? "https://" : "http://") + host)
                .orElse("/");
    }

    /** The OpenAPI document, kept as YAML beside the code and served as JSON (with {@code servers} added per request). */
    static ObjectNode openapi() {
        try (InputStream in = ApiServer.class.getResourceAsStream("/openapi.yaml")) {
            if (in == null) {
                throw new IllegalStateException("openapi.yaml is missing from the classpath");
            }
            return (ObjectNode) new ObjectMapper(new YAMLFactory()).readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return server.port();
    }

    /** The port of the /metrics listener, when {@code metrics.port} asked for one. */
    public Optional<Integer> metricsPort() {
        return Optional.ofNullable(metricsServer).map(WebServer::port);
    }

    @Override
    public void close() {
        server.stop();
        if (metricsServer != null) {
            metricsServer.stop();
        }
    }
}
