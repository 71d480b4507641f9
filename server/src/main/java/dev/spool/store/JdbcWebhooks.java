package dev.spool.store;

import static dev.spool.store.Sql.filter;
import static dev.spool.store.Sql.instant;
import static dev.spool.store.Sql.json;
import static dev.spool.store.Sql.prepare;
import static dev.spool.store.Sql.read;
import static dev.spool.store.Sql.update;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spool.job.JobId;
import dev.spool.job.Page;
import dev.spool.job.WebhookEvent;
import dev.spool.webhook.Delivery;
import dev.spool.webhook.OutboxEvent;
import dev.spool.webhook.SigningSecret;
import dev.spool.webhook.WebhookEndpoint;
import dev.spool.webhook.WebhookStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Endpoints, signing secrets, deliveries and their tries. The deliveries are written by {@link
 * EventRecorder} with the events they carry; here they are leased, tried, listed and pruned.
 */
final class JdbcWebhooks implements WebhookStore {
    private final JdbcStore store;
    private final EventRecorder recorder;

    JdbcWebhooks(JdbcStore store, EventRecorder recorder) {
        this.store = store;
        this.recorder = recorder;
    }

    @Override
    public List<OutboxEvent> outboxNext(int limit) {
        return store.read(c -> {
            List<OutboxEvent> events = new ArrayList<>();
            try (PreparedStatement ps = prepare(c, "SELECT seq, event_type, at, job FROM webhook_outbox ORDER BY seq LIMIT ?", limit);
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    events.add(new OutboxEvent(rs.getLong(1), WebhookEvent.parse(rs.getString(2)), instant(rs, 3),
                            JobRows.fromSnapshot(rs.getString(4))));
                }
            }
            return events;
        });
    }

    @Override
    public int outboxExpand(List<Expansion> expansions, Instant now) {
        if (expansions.isEmpty()) {
            return 0;
        }
        return store.write(c -> {
            int expanded = 0;
            for (Expansion x : expansions) {
                OutboxEvent e = x.event();
                if (update(c, "DELETE FROM webhook_outbox WHERE seq = ?", e.seq()) == 0) {
                    continue; // another node expanded it first
                }
                expanded++;
                for (Planned d : x.deliveries()) {
                    update(c, """
                            INSERT INTO webhook_deliveries (id, tenant, target, job_id, seq, event_type, url, format, payload,
                                                            auth_header, state, attempts, next_attempt_at, created_at, updated_at,
                                                            traceparent)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)
                            """, "msg_" + JobId.generate().value().replace("-", ""), e.job().tenant(), d.target(),
                            e.job().id().value(), e.seq(), e.type().type(), d.url(), d.format(), d.payload(), d.authorization(),
                            now, now, now, e.job().traceparent());
                    recorder.deliveriesWritten();
                }
            }
            return expanded;
        });
    }

    @Override
    public void afterDeliveriesCommitted(Runnable listener) {
        recorder.afterDeliveriesCommitted(listener);
    }

    @Override
    public void webhookInsert(WebhookEndpoint e, String secret) {
        store.write(c -> {
            recorder.endpointsChanged();
            update(c, """
                    INSERT INTO webhook_endpoints (id, tenant, url, events, description, format, disabled_at,
                                                   disabled_reason, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, e.id(), e.tenant(), e.url(), eventsJson(e.events()), e.description(), e.format(), e.disabledAt(),
                    e.disabledReason(), e.createdAt(), e.updatedAt());
            return update(c, "INSERT INTO signing_secrets (owner, secret) VALUES (?, ?)", e.id(), secret);
        });
    }

    @Override
    public Optional<WebhookEndpoint> webhookGet(String tenant, String id) {
        return store.read(c -> endpoints(c, "SELECT * FROM webhook_endpoints WHERE id = ? AND tenant = ?", id, tenant)
                .stream().findFirst());
    }

    @Override
    public List<WebhookEndpoint> webhookList(String tenant) {
        return store.read(c -> endpoints(c, "SELECT * FROM webhook_endpoints WHERE tenant = ? ORDER BY created_at, id", tenant));
    }

    @Override
    public Optional<WebhookEndpoint> webhookUpdate(WebhookEndpoint e) {
        return store.write(c -> {
            recorder.endpointsChanged();
            recorder.deliveriesWritten(); // an endpoint enabled again makes its pending deliveries due
            int changed = update(c, """
                    UPDATE webhook_endpoints SET url = ?, events = ?, description = ?, disabled_at = ?, disabled_reason = ?,
                           updated_at = ?
                    WHERE id = ? AND tenant = ?
                    """, e.url(), eventsJson(e.events()), e.description(), e.disabledAt(), e.disabledReason(),
                    e.updatedAt(), e.id(), e.tenant());
            if (changed == 0) {
                return Optional.empty();
            }
            update(c, "UPDATE webhook_deliveries SET url = ? WHERE target = ? AND state = 'pending'", e.url(), e.id());
            return endpoints(c, "SELECT * FROM webhook_endpoints WHERE id = ?", e.id()).stream().findFirst();
        });
    }

    @Override
    public boolean webhookDelete(String tenant, String id, Instant now) {
        return store.write(c -> {
            recorder.endpointsChanged();
            if (update(c, "DELETE FROM webhook_endpoints WHERE id = ? AND tenant = ?", id, tenant) == 0) {
                return false;
            }
            update(c, "DELETE FROM signing_secrets WHERE owner = ?", id);
            update(c, """
                    UPDATE webhook_deliveries SET state = 'failed', last_error = 'the endpoint was deleted',
                           lease_until = NULL, updated_at = ?
                    WHERE target = ? AND state = 'pending'
                    """, now, id);
            return true;
        });
    }

    private static List<WebhookEndpoint> endpoints(Connection c, String sql, Object... args) throws SQLException {
        List<WebhookEndpoint> out = new ArrayList<>();
        try (PreparedStatement ps = prepare(c, sql, args); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new WebhookEndpoint(rs.getString("id"), rs.getString("tenant"), rs.getString("url"),
                        subscribed(rs.getString("events")), rs.getString("description"), rs.getString("format"),
                        instant(rs, "disabled_at"), rs.getString("disabled_reason"), instant(rs, "created_at"),
                        instant(rs, "updated_at")));
            }
        }
        return out;
    }

    private static String eventsJson(Set<WebhookEvent> events) {
        return json(events.stream().map(WebhookEvent::wireName).sorted().toList());
    }

    /** The events an endpoint row subscribes to, from their stored JSON. */
    private static Set<WebhookEvent> subscribed(String text) {
        Set<WebhookEvent> events = EnumSet.noneOf(WebhookEvent.class);
        read(text, JsonNode.class).forEach(e -> events.add(WebhookEvent.parse(e.asText())));
        return events;
    }

    @Override
    public SigningSecret signingSecret(String owner, Supplier<String> create) {
        // Read on every delivery try; written once per owner, by whichever node asks first.
        Optional<SigningSecret> stored = store.read(c -> signing(c, owner));
        if (stored.isPresent()) {
            return stored.get();
        }
        return store.write(c -> {
            update(c, "INSERT INTO signing_secrets (owner, secret) VALUES (?, ?) ON CONFLICT (owner) DO NOTHING",
                    owner, create.get());
            return signing(c, owner).orElseThrow();
        });
    }

    @Override
    public SigningSecret signingRotate(String owner, String secret, Supplier<String> create,
                                                     Instant previousUntil) {
        return store.write(c -> {
            update(c, "INSERT INTO signing_secrets (owner, secret) VALUES (?, ?) ON CONFLICT (owner) DO NOTHING",
                    owner, create.get());
            update(c, "UPDATE signing_secrets SET previous = secret, previous_until = ?, secret = ? WHERE owner = ?",
                    previousUntil, secret, owner);
            return signing(c, owner).orElseThrow();
        });
    }

    private static Optional<SigningSecret> signing(Connection c, String owner) throws SQLException {
        try (PreparedStatement ps = prepare(c, "SELECT secret, previous, previous_until FROM signing_secrets WHERE owner = ?", owner);
             ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(new SigningSecret(rs.getString(1), rs.getString(2), instant(rs, 3)))
                    : Optional.empty();
        }
    }

    @Override
    public List<Delivery> deliveryClaim(Instant now, Duration lease, int limit) {
        if (limit <= 0) {
            return List.of();
        }
        String pick = """
                SELECT d.id FROM webhook_deliveries d LEFT JOIN webhook_endpoints e ON e.id = d.target
                WHERE d.state = 'pending' AND d.next_attempt_at <= ? AND (d.lease_until IS NULL OR d.lease_until < ?)
                  AND (d.target = 'job' OR (e.id IS NOT NULL AND e.disabled_at IS NULL))
                  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
                                  WHERE p.job_id = d.job_id AND p.target = d.target AND p.state = 'pending' AND p.seq < d.seq)
                ORDER BY d.next_attempt_at, d.seq LIMIT ?""" + store.lockPicked("d");
        return store.write(c -> deliveries(c, "UPDATE webhook_deliveries SET lease_until = ? WHERE id IN (" + pick + ") RETURNING *",
                now.plus(lease), now, now, limit));
    }

    @Override
    public void deliveryTried(Delivery d, Delivery.Tried tried, Instant retryAt, Instant now) {
        String error = tried.error();
        store.write(c -> {
            String state = tried.delivered() ? "delivered" : tried.gone() || retryAt == null ? "failed" : "pending";
            String lastError = tried.gone() ? "the receiver answered 410 Gone" : error;
            Optional<Delivery> updated = deliveries(c, """
                    UPDATE webhook_deliveries SET state = ?, attempts = attempts + 1, lease_until = NULL,
                           next_attempt_at = ?, last_status = ?, last_error = ?, updated_at = ?,
                           delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END
                    WHERE id = ? AND state = 'pending'
                    RETURNING *
                    """, state, state.equals("pending") ? retryAt : null, tried.status() == 0 ? null : tried.status(),
                    lastError, now, state, now, d.id()).stream().findFirst();
            if (updated.isEmpty()) {
                return null; // replayed or given up meanwhile: this try changes nothing
            }
            update(c, """
                    INSERT INTO webhook_attempts (delivery_id, attempt, at, status, response, error, duration_ms)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, d.id(), updated.get().attempts(), now, tried.status() == 0 ? null : tried.status(),
                    tried.response(), error, tried.durationMs());
            if (tried.gone()) {
                if (d.target().equals(Delivery.JOB_TARGET)) {
                    update(c, """
                            UPDATE webhook_deliveries SET state = 'failed', last_error = 'the receiver answered 410 Gone',
                                   lease_until = NULL, updated_at = ?
                            WHERE job_id = ? AND target = ? AND state = 'pending'
                            """, now, d.jobId().value(), Delivery.JOB_TARGET);
                } else {
                    recorder.endpointsChanged();
                    update(c, """
                            UPDATE webhook_endpoints SET disabled_at = ?, disabled_reason = ?, updated_at = ?
                            WHERE id = ? AND disabled_at IS NULL
                            """, now, "the receiver answered 410 Gone", now, d.target());
                }
            }
            return null;
        });
    }

    @Override
    public Map<String, Long> deliveryOutcomes(String tenant, Instant since) {
        return store.read(c -> {
            Map<String, Long> counts = new TreeMap<>();
            try (PreparedStatement ps = prepare(c, """
                    SELECT state, count(*) FROM webhook_deliveries
                    WHERE updated_at >= ? AND state <> 'pending' AND tenant = ? GROUP BY state
                    """, since, tenant); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    counts.put(rs.getString(1), rs.getLong(2));
                }
            }
            return counts;
        });
    }

    @Override
    public Page<Delivery> deliveryList(String tenant, String target, JobId job, String before, int limit) {
        StringBuilder sql = new StringBuilder("SELECT * FROM webhook_deliveries WHERE tenant = ?");
        List<Object> args = new ArrayList<>(List.of(tenant));
        filter(sql, args, " AND target = ?", target);
        filter(sql, args, " AND job_id = ?", job == null ? null : job.value());
        filter(sql, args, " AND id < ?", before);
        sql.append(" ORDER BY id DESC LIMIT ?");
        args.add(limit + 1);
        List<Delivery> rows = store.read(c -> deliveries(c, sql.toString(), args.toArray()));
        boolean more = rows.size() > limit;
        return new Page<>(more ? rows.subList(0, limit) : rows, more);
    }

    @Override
    public Optional<Delivery> deliveryGet(String tenant, String id) {
        return store.read(c -> deliveries(c, "SELECT * FROM webhook_deliveries WHERE id = ? AND tenant = ?", id, tenant)
                .stream().findFirst());
    }

    @Override
    public List<Delivery.Attempt> deliveryAttempts(String deliveryId) {
        return store.read(c -> {
            List<Delivery.Attempt> out = new ArrayList<>();
            try (PreparedStatement ps = prepare(c,
                    "SELECT * FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt", deliveryId);
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    int status = rs.getInt("status");
                    Integer code = rs.wasNull() ? null : status;
                    out.add(new Delivery.Attempt(deliveryId, rs.getInt("attempt"), instant(rs, "at"), code,
                            rs.getString("response"), rs.getString("error"), rs.getLong("duration_ms")));
                }
            }
            return out;
        });
    }

    @Override
    public Optional<Delivery> deliveryReplay(String tenant, String id, Instant now) {
        return store.write(c -> {
            recorder.deliveriesWritten(); // due now: the dispatchers are told at the commit
            return deliveries(c, """
                    UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = ?, lease_until = NULL, updated_at = ?
                    WHERE id = ? AND tenant = ?
                    RETURNING *
                    """, now, now, id, tenant).stream().findFirst();
        });
    }

    @Override
    public int deliveryPrune(Instant before, int limit) {
        return store.write(c -> {
            List<String> ids = new ArrayList<>();
            try (PreparedStatement ps = prepare(c, """
                    SELECT id FROM webhook_deliveries WHERE state <> 'pending' AND updated_at < ? ORDER BY updated_at LIMIT ?
                    """, before, limit);
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
            for (String id : ids) {
                update(c, "DELETE FROM webhook_attempts WHERE delivery_id = ?", id);
                update(c, "DELETE FROM webhook_deliveries WHERE id = ?", id);
            }
            return ids.size();
        });
    }

    private static List<Delivery> deliveries(Connection c, String sql, Object... args) throws SQLException {
        List<Delivery> out = new ArrayList<>();
        try (PreparedStatement ps = prepare(c, sql, args); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                int status = rs.getInt("last_status");
                Integer lastStatus = rs.wasNull() ? null : status;
                out.add(new Delivery(rs.getString("id"), rs.getString("tenant"), rs.getString("target"),
                        new JobId(rs.getString("job_id")), rs.getLong("seq"), rs.getString("event_type"),
                        rs.getString("url"), rs.getString("format"), rs.getString("payload"), rs.getString("auth_header"),
                        Delivery.State.valueOf(rs.getString("state").toUpperCase(Locale.ROOT)),
                        rs.getInt("attempts"), instant(rs, "next_attempt_at"), lastStatus, rs.getString("last_error"),
                        instant(rs, "created_at"), instant(rs, "delivered_at"), rs.getString("traceparent")));
            }
        }
        return out;
    }

    @Override
    public Backlog backlog() {
        return store.read(c -> {
            try (PreparedStatement ps = prepare(c, """
                    SELECT (SELECT count(*) FROM webhook_outbox), (SELECT min(at) FROM webhook_outbox),
                           (SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'),
                           (SELECT min(created_at) FROM webhook_deliveries WHERE state = 'pending'),
                           (SELECT count(*) FROM webhook_endpoints WHERE disabled_at IS NOT NULL),
                           (SELECT min(disabled_at) FROM webhook_endpoints WHERE disabled_at IS NOT NULL)
                    """);
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new Backlog(rs.getLong(1), instant(rs, 2), rs.getLong(3), instant(rs, 4), rs.getLong(5), instant(rs, 6));
            }
        });
    }
}
