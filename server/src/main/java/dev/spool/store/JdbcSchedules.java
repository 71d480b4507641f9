package dev.spool.store;

import static dev.spool.store.Sql.instant;
import static dev.spool.store.Sql.prepare;

import dev.spool.job.Schedule;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Cron schedules, in the {@code schedules} table. */
final class JdbcSchedules implements ScheduleStore {
    private static final String COLUMNS = "id, tenant, key_id, name, cron, timezone, job, overlap, missed, paused, "
            + "next_run_at, last_run_at, last_job_id, created_at, updated_at";

    private final JdbcStore store;

    JdbcSchedules(JdbcStore store) {
        this.store = store;
    }

    @Override
    public void insert(Schedule s) {
        store.write(c -> Sql.update(c, "INSERT INTO schedules (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                s.id(), s.tenant(), s.keyId(), s.name(), s.cron(), s.timezone(), s.job(), s.overlap(), s.missed(),
                s.paused() ? 1 : 0, s.nextRunAt(), s.lastRunAt(), s.lastJobId(), s.createdAt(), s.updatedAt()));
    }

    @Override
    public Optional<Schedule> get(String tenant, String id) {
        return store.read(c -> {
            List<Schedule> found = select(c, "SELECT " + COLUMNS + " FROM schedules WHERE id = ? AND tenant = ?", id, tenant);
            return found.stream().findFirst();
        });
    }

    @Override
    public List<Schedule> list(String tenant, String afterId, int limit) {
        return store.read(c -> afterId == null
                ? select(c, "SELECT " + COLUMNS + " FROM schedules WHERE tenant = ? ORDER BY id LIMIT ?", tenant, limit)
                : select(c, "SELECT " + COLUMNS + " FROM schedules WHERE tenant = ? AND id > ? ORDER BY id LIMIT ?",
                        tenant, afterId, limit));
    }

    @Override
    public boolean update(Schedule s) {
        return store.write(c -> Sql.update(c, """
                UPDATE schedules SET name = ?, cron = ?, timezone = ?, job = ?, overlap = ?, missed = ?, paused = ?,
                       next_run_at = ?, last_run_at = ?, last_job_id = ?, updated_at = ?
                WHERE id = ? AND tenant = ?
                """, s.name(), s.cron(), s.timezone(), s.job(), s.overlap(), s.missed(), s.paused() ? 1 : 0,
                s.nextRunAt(), s.lastRunAt(), s.lastJobId(), s.updatedAt(), s.id(), s.tenant()) == 1);
    }

    @Override
    public boolean delete(String tenant, String id) {
        return store.write(c -> Sql.update(c, "DELETE FROM schedules WHERE id = ? AND tenant = ?", id, tenant) == 1);
    }

    @Override
    public List<Schedule> due(Instant now, int limit) {
        return store.read(c -> select(c, "SELECT " + COLUMNS + " FROM schedules WHERE paused = 0 AND next_run_at <= ? "
                + "ORDER BY next_run_at LIMIT ?", now, limit));
    }

    @Override
    public boolean advance(String id, Instant expectedNext, Instant next, Instant lastRunAt, String lastJobId, Instant now) {
        return store.write(c -> Sql.update(c, """
                UPDATE schedules SET next_run_at = ?, last_run_at = COALESCE(?, last_run_at),
                       last_job_id = COALESCE(?, last_job_id), updated_at = ?
                WHERE id = ? AND next_run_at = ? AND paused = 0
                """, next, lastRunAt, lastJobId, now, id, expectedNext) == 1);
    }

    private static List<Schedule> select(Connection c, String sql, Object... args) throws SQLException {
        List<Schedule> out = new ArrayList<>();
        try (PreparedStatement ps = prepare(c, sql, args); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new Schedule(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                        rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9), rs.getInt(10) != 0,
                        instant(rs, 11), instant(rs, 12), rs.getString(13), instant(rs, 14), instant(rs, 15)));
            }
        }
        return out;
    }
}
