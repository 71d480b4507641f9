package dev.spool.store;

import static dev.spool.store.Sql.bind;
import static dev.spool.store.Sql.count;
import static dev.spool.store.Sql.prepare;
import static dev.spool.store.Sql.update;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spool.job.Job;
import dev.spool.job.WebhookEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Records job events and, in the same transaction, their webhook outbox rows; tells listeners
 * after the commit. One per store, used on the writer's lanes; what it knows of the transaction a
 * lane has open is kept per lane (per thread).
 */
final class EventRecorder {
    /** What one lane's open transaction, and the one it is committing, wrote. */
    private static final class Tx {
        boolean eventsWritten;
        boolean deliveriesWritten;
        boolean eventsCommitting;
        boolean deliveriesCommitting;
        /**
         * Whether each tenant has an enabled endpoint, as read in the open transaction, so that a
         * batch of events reads it once. Forgotten before every commit and whenever a write changes
         * endpoints.
         */
        final Map<String, Boolean> endpointsRead = new HashMap<>();
    }

    private final ThreadLocal<Tx> tx = ThreadLocal.withInitial(Tx::new);

    private final List<Runnable> eventListeners = new CopyOnWriteArrayList<>();
    private final List<Runnable> deliveryListeners = new CopyOnWriteArrayList<>();

    /**
     * @param recorded run inside a transaction that recorded events, just before it commits (to
     *     tell other nodes)
     */
    EventRecorder(GroupCommitWriter writer, SqlWork<?> recorded) {
        writer.beforeCommit(c -> {
            Tx t = tx.get();
            t.endpointsRead.clear(); // other writers may change them once this transaction ends
            t.eventsCommitting = t.eventsWritten;
            t.deliveriesCommitting = t.deliveriesWritten;
            t.eventsWritten = false;
            t.deliveriesWritten = false;
            if (t.eventsCommitting) {
                recorded.run(c);
            }
            return null;
        });
        writer.afterCommit(() -> {
            Tx t = tx.get();
            if (t.eventsCommitting) {
                eventListeners.forEach(Runnable::run);
            }
            if (t.deliveriesCommitting) {
                deliveryListeners.forEach(Runnable::run);
            }
            t.eventsCommitting = false;
            t.deliveriesCommitting = false;
        });
    }

    /** A job event to record, with the job as the event leaves it. */
    record EventRow(Job job, String kind, JsonNode data) {}

    private static final String INSERT_EVENT =
            "INSERT INTO job_events (job_id, at, kind, status, attempt, data) VALUES (?, ?, ?, ?, ?, ?)";

    void endpointsChanged() {
        tx.get().endpointsRead.clear();
    }

    /** The open transaction wrote webhook deliveries: the dispatchers are told after it commits. */
    void deliveriesWritten() {
        tx.get().deliveriesWritten = true;
    }

    void event(Connection c, Job job, String kind, Instant now, JsonNode data) throws SQLException {
        events(c, List.of(new EventRow(job, kind, data)), now);
    }

    /**
     * Records job events, in order, and in the same transaction an outbox row for each that someone
     * may receive as a webhook: a crash can lose neither without the other. Who receives it, and in
     * what shape, the webhook dispatcher decides when it expands the row. Events with no outbox row
     * go in as one batch; an event with one goes in alone, for the sequence number the row carries.
     */
    void events(Connection c, List<EventRow> rows, Instant now) throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        Tx t = tx.get();
        t.eventsWritten = true;
        try (PreparedStatement plain = c.prepareStatement(INSERT_EVENT)) {
            int batched = 0;
            for (EventRow row : rows) {
                Object[] args = {row.job().id().value(), now, row.kind(), row.job().status().wireName(),
                        row.job().attempt(), row.data()};
                var type = WebhookEvent.ofEventKind(row.kind());
                if (type.isEmpty() || !receivable(c, row.job())) {
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
                update(c, "INSERT INTO webhook_outbox (seq, tenant, job_id, event_type, at, job) VALUES (?, ?, ?, ?, ?, ?)",
                        seq, row.job().tenant(), row.job().id().value(), type.get().wireName(), now, JobRows.snapshot(row.job()));
                t.deliveriesWritten = true;
            }
            if (batched > 0) {
                plain.executeBatch();
            }
        }
    }

    /** Whether anyone may receive the job's events: it has its own webhook, or its tenant an enabled endpoint. */
    private boolean receivable(Connection c, Job job) throws SQLException {
        if (job.webhook() != null) {
            return true;
        }
        Map<String, Boolean> endpointsRead = tx.get().endpointsRead;
        Boolean any = endpointsRead.get(job.tenant());
        if (any == null) {
            any = count(c, "SELECT count(*) FROM webhook_endpoints WHERE tenant = ? AND disabled_at IS NULL", job.tenant()) > 0;
            endpointsRead.put(job.tenant(), any);
        }
        return any;
    }

    void afterEventsCommitted(Runnable listener) {
        eventListeners.add(listener);
    }

    void afterDeliveriesCommitted(Runnable listener) {
        deliveryListeners.add(listener);
    }
}
