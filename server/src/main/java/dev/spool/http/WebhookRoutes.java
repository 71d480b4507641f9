package dev.spool.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spool.auth.Caller;
import dev.spool.engine.Engine;
import dev.spool.job.JobId;
import dev.spool.job.Page;
import dev.spool.job.SpoolException;
import dev.spool.job.WebhookEvent;
import dev.spool.webhook.Delivery;
import dev.spool.webhook.SigningSecret;
import dev.spool.webhook.WebhookEndpoint;
import dev.spool.webhook.Webhooks;
import io.helidon.common.parameters.Parameters;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** Webhook endpoints, their secrets, and the delivery log with replay. */
final class WebhookRoutes {
    record EndpointBody(String url, List<String> events, String description, Boolean enabled) {}

    record RotateBody(Long keepPreviousSeconds) {}

    private static final int DEFAULT_LIMIT = 50;
    private static final int MAX_LIMIT = 200;
    private static final long DEFAULT_OVERLAP_SECONDS = 24 * 3600;

    private final Webhooks webhooks;

    WebhookRoutes(Webhooks webhooks) {
        this.webhooks = webhooks;
    }

    void create(Caller caller, ServerRequest req, ServerResponse res) {
        EndpointBody body = Json.read(ApiServer.body(req), EndpointBody.class);
        if (body.url() == null) {
            throw SpoolException.invalid("url is required");
        }
        if (body.enabled() != null) {
            throw SpoolException.invalid("enabled is set with PATCH; a new endpoint is enabled");
        }
        Set<WebhookEvent> events = body.events() == null ? WebhookEvent.TERMINAL : events(body.events());
        Webhooks.Created created = webhooks.create(caller.tenant(), body.url(), events, body.description());
        ObjectNode out = endpoint(created.endpoint());
        out.put("secret", created.secret());
        res.header(HeaderNames.LOCATION, "/v1/webhooks/" + created.endpoint().id());
        ApiServer.sendJson(res, Status.CREATED_201, out);
    }

    void list(Caller caller, ServerRequest req, ServerResponse res) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        var data = out.putArray("data");
        webhooks.list(caller.tenant()).forEach(e -> data.add(endpoint(e)));
        ApiServer.sendJson(res, Status.OK_200, out);
    }

    void get(Caller caller, ServerRequest req, ServerResponse res) {
        ApiServer.sendJson(res, Status.OK_200, endpoint(webhooks.get(caller.tenant(), id(req))));
    }

    void update(Caller caller, ServerRequest req, ServerResponse res) {
        String id = id(req);
        webhooks.get(caller.tenant(), id); // 404 before the body is judged
        EndpointBody body = Json.read(ApiServer.body(req), EndpointBody.class);
        var change = new Webhooks.Change(body.url(), body.events() == null ? null : events(body.events()),
                body.description(), body.enabled());
        ApiServer.sendJson(res, Status.OK_200, endpoint(webhooks.change(caller.tenant(), id, change)));
    }

    void delete(Caller caller, ServerRequest req, ServerResponse res) {
        webhooks.delete(caller.tenant(), id(req));
        res.status(Status.NO_CONTENT_204).send();
    }

    void secret(Caller caller, ServerRequest req, ServerResponse res) {
        ApiServer.sendJson(res, Status.OK_200, secret(webhooks.secret(caller.tenant(), id(req))));
    }

    void rotate(Caller caller, ServerRequest req, ServerResponse res) {
        String id = id(req);
        if (!id.equals(Webhooks.DEFAULT_SECRET)) {
            webhooks.get(caller.tenant(), id);
        }
        byte[] raw = ApiServer.body(req);
        RotateBody body = raw.length == 0 ? new RotateBody(null) : Json.read(raw, RotateBody.class);
        long overlap = body.keepPreviousSeconds() == null ? DEFAULT_OVERLAP_SECONDS : body.keepPreviousSeconds();
        ApiServer.sendJson(res, Status.OK_200, secret(webhooks.rotate(caller.tenant(), id, Duration.ofSeconds(overlap))));
    }

    /** {@code GET /v1/webhooks/{id}/deliveries}: the endpoint's log ({@code default}: jobs' own webhooks). */
    void endpointDeliveries(Caller caller, ServerRequest req, ServerResponse res) {
        String id = id(req);
        String target = id.equals(Webhooks.DEFAULT_SECRET) ? Delivery.JOB_TARGET : id;
        deliveries(caller, req, res, target, null);
    }

    void jobDeliveries(Caller caller, ServerRequest req, ServerResponse res, Engine engine) {
        JobId job = JobRoutes.jobId(req);
        engine.get(caller.tenant(), job);
        deliveries(caller, req, res, null, job);
    }

    private void deliveries(Caller caller, ServerRequest req, ServerResponse res, String target, JobId job) {
        Parameters q = req.query();
        for (String name : q.names()) {
            if (!name.equals("limit") && !name.equals("cursor")) {
                throw SpoolException.invalid("Unknown query parameter '" + name + "'. Known: cursor, limit.");
            }
        }
        int limit = Paging.limit(q, DEFAULT_LIMIT, MAX_LIMIT);
        String before = null;
        if (q.contains("cursor")) {
            before = Paging.before(JobRoutes.single(q, "cursor"));
            if (!before.startsWith("msg_")) {
                throw Paging.invalid();
            }
        }
        Page<Delivery> page = webhooks.deliveries(caller.tenant(), target, job, before, limit);
        ObjectNode out = Json.MAPPER.createObjectNode();
        var data = out.putArray("data");
        page.items().forEach(d -> data.add(delivery(d, null)));
        out.put("has_more", page.hasMore());
        out.put("next_cursor", page.hasMore() ? Paging.cursor(page.items().getLast().id()) : null);
        ApiServer.sendJson(res, Status.OK_200, out);
    }

    /** {@code GET /v1/deliveries/{id}}: one delivery with every try. */
    void getDelivery(Caller caller, ServerRequest req, ServerResponse res) {
        Delivery d = webhooks.delivery(caller.tenant(), id(req));
        ApiServer.sendJson(res, Status.OK_200, delivery(d, webhooks.attempts(d)));
    }

    void replay(Caller caller, ServerRequest req, ServerResponse res) {
        Delivery d = webhooks.replay(caller.tenant(), id(req));
        ApiServer.sendJson(res, Status.ACCEPTED_202, delivery(d, webhooks.attempts(d)));
    }

    private static String id(ServerRequest req) {
        return req.path().pathParameters().get("id");
    }

    private static Set<WebhookEvent> events(List<String> names) {
        Set<WebhookEvent> events = EnumSet.noneOf(WebhookEvent.class);
        names.forEach(n -> events.add(WebhookEvent.parse(n)));
        if (events.isEmpty()) {
            throw SpoolException.invalid("events must name at least one of started, progress, succeeded, failed, cancelled");
        }
        return events;
    }

    private static ObjectNode endpoint(WebhookEndpoint e) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", e.id());
        o.put("url", e.url());
        var events = o.putArray("events");
        e.events().stream().map(WebhookEvent::wireName).sorted().forEach(events::add);
        o.put("description", e.description());
        o.put("enabled", e.enabled());
        o.put("disabled_reason", e.disabledReason());
        o.put("created_at", Wire.time(e.createdAt()));
        o.put("updated_at", Wire.time(e.updatedAt()));
        return o;
    }

    private static ObjectNode secret(SigningSecret s) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("secret", s.current());
        o.put("previous_secret", s.previous());
        o.put("previous_valid_until", Wire.time(s.previousUntil()));
        return o;
    }

    private static ObjectNode delivery(Delivery d, List<Delivery.Attempt> attempts) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", d.id());
        o.put("endpoint_id", d.target().equals(Delivery.JOB_TARGET) ? null : d.target());
        o.put("job_id", d.jobId().value());
        o.put("event_seq", d.seq());
        o.put("type", d.eventType());
        o.put("url", d.url());
        o.put("state", d.state().wireName());
        o.put("attempts", d.attempts());
        o.put("next_attempt_at", Wire.time(d.nextAttemptAt()));
        if (d.lastStatus() == null) {
            o.putNull("last_status");
        } else {
            o.put("last_status", d.lastStatus());
        }
        o.put("last_error", d.lastError());
        o.put("created_at", Wire.time(d.createdAt()));
        o.put("delivered_at", Wire.time(d.deliveredAt()));
        if (attempts != null) {
            o.set("payload", Json.tree(d.payload().getBytes(StandardCharsets.UTF_8)));
            var tries = o.putArray("tries");
            for (Delivery.Attempt a : attempts) {
                ObjectNode t = tries.addObject();
                t.put("attempt", a.attempt());
                t.put("at", Wire.time(a.at()));
                if (a.status() == null) {
                    t.putNull("status");
                } else {
                    t.put("status", a.status());
                }
                t.put("response", a.response());
                t.put("error", a.error());
                t.put("duration_ms", a.durationMs());
            }
        }
        return o;
    }
}
