package dev.spool.store;

import static dev.spool.store.Sql.JSON;
import static dev.spool.store.Sql.bind;
import static dev.spool.store.Sql.prepare;
import static dev.spool.store.Sql.update;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spool.job.Artifact;
import dev.spool.job.Delivery;
import dev.spool.job.Job;
import dev.spool.job.JobId;
import dev.spool.job.JobWebhook;
import dev.spool.job.Payloads;
import dev.spool.job.WebhookEndpoint;
import dev.spool.job.WebhookEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * Records job events and, in the same transaction, a delivery for every webhook receiver
 * subscribed to each (the outbox); tells listeners after the commit. One per store, used on the
 * writer's thread only, except for the listeners.
 */
final class EventRecorder {
    private volatile Payloads payloads = EventRecorder::minimalPayload;

    /** Whether the writer's open transaction recorded events, and webhook deliveries; writer's thread only. */
    private boolean eventsWritten;
    private boolean deliveriesWritten;

    /** The same for the transaction being committed; writer's thread only. */
    private boolean eventsCommitting;
    private boolean deliveriesCommitting;

    private final List<Runnable> eventListeners = new CopyOnWriteArrayList<>();
    private final List<Runnable> deliveryListeners = new CopyOnWriteArrayList<>();

    /**
     * @param recorded run inside a transaction that recorded events, just before it commits (to
     *     tell other nodes)
     */
    EventRecorder(GroupCommitWriter writer, SqlWork<?> recorded) {
        writer.beforeCommit(c -> {
            endpointsChanged(); // other nodes may change them once this transaction ends
            eventsCommitting = eventsWritten;
            deliveriesCommitting = deliveriesWritten;
            eventsWritten = false;
            deliveriesWritten = false;
            if (eventsCommitting) {
                recorded.run(c);
            }
            return null;
        });
        writer.afterCommit(() -> {
            if (eventsCommitting) {
                eventListeners.forEach(Runnable::run);
            }
            if (deliveriesCommitting) {
                deliveryListeners.forEach(Runnable::run);
            }
            eventsCommitting = false;
            deliveriesCommitting = false;
        });
    }

    /** A job event to record, with the job as the event leaves it. */
    record EventRow(Job job, String kind, JsonNode data) {}

    /** Where one event is delivered: the job's own webhook, or an endpoint. */
    record Target(String id, String url, String format, String authorization) {}

    /** An enabled webhook endpoint, as {@link #targets} matches events against it. */
    record Endpoint(String id, String url, Set<WebhookEvent> events, String format) {}

    private static final String INSERT_EVENT =
            "INSERT INTO job_events (job_id, at, kind, status, attempt, data) VALUES (?, ?, ?, ?, ?, ?)";

    /**
     * Each tenant's enabled endpoints as read in the writer's open transaction, so that a batch of
     * events reads them once. Forgotten before every commit and whenever a write changes endpoints;
     * writer's thread only.
     */
    private final Map<String, List<Endpoint>> endpointsRead = new HashMap<>();

    void endpointsChanged() {
        endpointsRead.clear();
    }

    void event(Connection c, Job job, String kind, Instant now, JsonNode data) throws SQLException {
        events(c, List.of(new EventRow(job, kind, data)), now);
    }

    /**
     * Records job events, in order, and in the same transaction a delivery for every receiver
     * subscribed to each (the outbox): a crash can lose neither without the other. Events nobody
     * receives go in as one batch; an event with receivers goes in alone, for the sequence number
     * its deliveries carry.
     */
    void events(Connection c, List<EventRow> rows, Instant now) throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        eventsWritten = true;
        try (PreparedStatement plain = c.prepareStatement(INSERT_EVENT)) {
            int batched = 0;
            for (EventRow row : rows) {
                Object[] args = {row.job().id().value(), now, row.kind(), row.job().status().wireName(),
                        row.job().attempt(), row.data()};
                var type = WebhookEvent.ofEventKind(row.kind());
                List<Target> targets = type.isEmpty() ? List.of() : targets(c, row.job(), type.get());
                if (targets.isEmpty()) {
                    bind(plain, args);
                    plain.addBatch();
                    batched++;
                    continue;
                }
                if (batched > 0) {
                    plain.executeBatch();
                    batched = 0;
                }
                long seq;
                try (PreparedStatement ps = prepare(c, INSERT_EVENT + " RETURNING seq", args);
                     ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    seq = rs.getLong(1);
                }
                for (Target t : targets) {
                    outbox(c, row.job(), type.get(), seq, t.id(), t.url(), t.format(), t.authorization(), now);
                }
            }
            if (batched > 0) {
                plain.executeBatch();
            }
        }
    }

    /** The receivers of {@code type} for {@code job}: its own webhook first, then the tenant's endpoints by id. */
    List<Target> targets(Connection c, Job job, WebhookEvent type) throws SQLException {
        List<Target> targets = new ArrayList<>(1);
        JobWebhook own = job.webhook();
        if (own != null && own.wants(type)) {
            targets.add(new Target(Delivery.JOB_TARGET, own.url(), own.format(), own.authorization()));
        }
        List<Endpoint> endpoints = endpointsRead.get(job.tenant());
        if (endpoints == null) {
            endpoints = new ArrayList<>();
            try (PreparedStatement ps = prepare(c,
                    "SELECT id, url, events, format FROM webhook_endpoints WHERE tenant = ? AND disabled_at IS NULL ORDER BY id",
                    job.tenant());
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    endpoints.add(new Endpoint(rs.getString(1), rs.getString(2), JdbcWebhooks.subscribed(rs.getString(3)), rs.getString(4)));
                }
            }
            endpointsRead.put(job.tenant(), endpoints);
        }
        for (Endpoint e : endpoints) {
            if (e.events().contains(type) && WebhookEndpoint.receives(e.format(), job)) {
                targets.add(new Target(e.id(), e.url(), e.format(), null));
            }
        }
        return targets;
    }

    void outbox(Connection c, Job job, WebhookEvent type, long seq, String target, String url, String format,
                        String authorization, Instant now) throws SQLException {
        Supplier<List<Artifact>> outputs = () -> {
            try {
                return JdbcFiles.artifacts(c, "SELECT * FROM artifacts WHERE job_id = ? AND kind = 'output' ORDER BY name", job.id().value());
            } catch (SQLException e) {
                throw new IllegalStateException("reading the job's output files failed: " + e.getMessage(), e);
            }
        };
        update(c, """
                INSERT INTO webhook_deliveries (id, tenant, target, job_id, seq, event_type, url, format, payload, auth_header,
                                                state, attempts, next_attempt_at, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)
                """, "msg_" + JobId.generate().value().replace("-", ""), job.tenant(), target, job.id().value(), seq,
                type.type(), url, format, payloads.render(format, job, type, now, outputs), authorization, now, now, now);
        deliveriesWritten = true;
    }

    void renderPayloadsWith(Payloads payloads) {
        this.payloads = payloads;
    }

    private static String minimalPayload(String format, Job job, WebhookEvent type, Instant at,
                                         Supplier<List<Artifact>> outputs) {
        var o = JSON.createObjectNode().put("type", type.type()).put("timestamp", at.toString());
        o.putObject("data").put("id", job.id().value()).put("status", job.status().wireName());
        return o.toString();
    }

    void afterEventsCommitted(Runnable listener) {
        eventListeners.add(listener);
    }

    void afterDeliveriesCommitted(Runnable listener) {
        deliveryListeners.add(listener);
    }
}
