package dev.spool.store;

import static dev.spool.store.JobRows.jobEvent;
import static dev.spool.store.Sql.count;
import static dev.spool.store.Sql.filter;
import static dev.spool.store.Sql.prepare;

import dev.spool.job.FeedEvent;
import dev.spool.job.JobId;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code job_events} table read in commit order, across jobs.
 */
final class JdbcEventLog implements EventLog {
    private final JdbcStore store;
    private final EventRecorder recorder;

    JdbcEventLog(JdbcStore store, EventRecorder recorder) {
        this.store = store;
        this.recorder = recorder;
    }

    @Override
    public void afterEventsCommitted(Runnable listener) {
        recorder.afterEventsCommitted(listener);
    }

    @Override
    public void onEvents(Runnable wakeUp) {
        store.onEvents(wakeUp);
    }

    @Override
    public List<FeedEvent> eventsBetween(long after, long upTo, String tenant, JobId job, int limit) {
        StringBuilder sql = new StringBuilder("""
                SELECT e.seq, e.job_id, e.at, e.kind, e.status, e.attempt, e.data, j.tenant, j.type, j.queue, j.batch_id
                FROM job_events e JOIN jobs j ON j.id = e.job_id
                WHERE e.seq > ? AND e.seq <= ?""");
        List<Object> args = new ArrayList<>(List.of(after, upTo));
        filter(sql, args, " AND j.tenant = ?", tenant);
        filter(sql, args, " AND e.job_id = ?", job == null ? null : job.value());
        sql.append(" ORDER BY e.seq LIMIT ?");
        args.add(limit);
        return store.read(c -> {
            List<FeedEvent> events = new ArrayList<>();
            try (PreparedStatement ps = prepare(c, sql.toString(), args.toArray()); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    events.add(new FeedEvent(jobEvent(rs), rs.getString(8), rs.getString(9), rs.getString(10),
                            rs.getString(11)));
                }
            }
            return events;
        });
    }

    @Override
    public long eventsLast() {
        return store.read(c -> count(c, "SELECT COALESCE(max(seq), 0) FROM job_events"));
    }

    @Override
    public EventSpan eventsAfter(long after) {
        return store.read(c -> {
            try (PreparedStatement ps = prepare(c, "SELECT count(*), COALESCE(max(seq), ?) FROM job_events WHERE seq > ?",
                    after, after);
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new EventSpan(rs.getLong(1), rs.getLong(2));
            }
        });
    }
}
