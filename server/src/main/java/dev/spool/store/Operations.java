package dev.spool.store;

import static dev.spool.store.Sql.instant;
import static dev.spool.store.Sql.prepare;
import static dev.spool.store.Sql.update;

import dev.spool.job.QueueState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** An operator's view and levers: the queues with their counts and pauses, and the keys of repeatable calls. */
final class Operations {
    private Operations() {}

    static Map<String, Instant> paused(Connection c) throws SQLException {
        Map<String, Instant> paused = new TreeMap<>();
        try (PreparedStatement ps = prepare(c, "SELECT queue, paused_at FROM paused_queues"); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                paused.put(rs.getString(1), instant(rs, 2));
            }
        }
        return paused;
    }

    static List<QueueState> queueStates(Connection c, String tenant, Instant now) throws SQLException {
        Map<String, Instant> paused = paused(c);
        Map<String, QueueState> states = new TreeMap<>();
        try (PreparedStatement ps = prepare(c, """
                SELECT queue,
                       sum(CASE WHEN status = 'queued' THEN 1 ELSE 0 END),
                       sum(CASE WHEN status = 'running' THEN 1 ELSE 0 END),
                       min(CASE WHEN status = 'queued' AND run_at <= ? THEN run_at END)
                FROM jobs WHERE status IN ('queued', 'running')%s
                GROUP BY queue
                """.formatted(tenant == null ? "" : " AND tenant = ?"), tenant == null ? new Object[] {now} : new Object[] {now, tenant});
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                String queue = rs.getString(1);
                states.put(queue, new QueueState(queue, rs.getLong(2), rs.getLong(3), instant(rs, 4), paused.get(queue)));
            }
        }
        if (tenant == null) {
            paused.forEach((queue, at) -> states.putIfAbsent(queue, new QueueState(queue, 0, 0, null, at)));
        }
        return new ArrayList<>(states.values());
    }

    /**
     * Writes a call's key, with {@code answer} (null: it is about to run). Empty when this call may
     * go on: the key was new, or (with {@code staleBefore}) the call that wrote it, with the same
     * request, began before then and never answered, and is taken over. Else the call seen before.
     */
    static Optional<Store.CallSeen> begin(Connection c, Store.Call call, String answer, Instant now, Instant staleBefore)
            throws SQLException {
        for (int attempt = 0; attempt < 3; attempt++) {
            int written = update(c, """
                    INSERT INTO idempotent_calls (tenant, route, idem_key, fingerprint, answer, created_at, expires_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, route, idem_key) DO NOTHING
                    """, call.tenant(), call.route(), call.key(), call.fingerprint(), answer, now, call.expiresAt());
            if (written == 1) {
                return Optional.empty();
            }
            Store.CallSeen seen = null;
            try (PreparedStatement ps = prepare(c, """
                    SELECT fingerprint, answer, created_at FROM idempotent_calls WHERE tenant = ? AND route = ? AND idem_key = ?
                    """, call.tenant(), call.route(), call.key()); ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    seen = new Store.CallSeen(rs.getString(1), rs.getString(2), instant(rs, 3));
                }
            }
            if (seen == null) {
                continue; // forgotten in between: write it again
            }
            if (staleBefore != null && seen.answer() == null && seen.createdAt().isBefore(staleBefore)
                    && seen.fingerprint().equals(call.fingerprint())
                    && update(c, """
                            UPDATE idempotent_calls SET created_at = ?
                            WHERE tenant = ? AND route = ? AND idem_key = ? AND answer IS NULL AND created_at = ?
                            """, now, call.tenant(), call.route(), call.key(), seen.createdAt()) == 1) {
                return Optional.empty();
            }
            return Optional.of(seen);
        }
        throw new IllegalStateException("the key of call " + call.route() + " kept vanishing");
    }
}
