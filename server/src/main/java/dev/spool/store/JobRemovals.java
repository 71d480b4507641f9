package dev.spool.store;

import static dev.spool.store.Sql.placeholders;
import static dev.spool.store.Sql.prepare;
import static dev.spool.store.Sql.update;

import dev.spool.job.JobId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Removing jobs: one at a tenant's request, or the finished ones past their retention. What
 * belongs to a removed job goes with it; its files' bytes become orphan candidates.
 */
final class JobRemovals {
    private final JdbcStore store;

    JobRemovals(JdbcStore store) {
        this.store = store;
    }

    boolean delete(String tenant, JobId id, Instant now) {
        return store.write(c -> {
            String status = null;
            try (PreparedStatement ps = prepare(c, "DELETE FROM jobs WHERE id = ? AND tenant = ? AND status <> 'running' RETURNING status",
                    id.value(), tenant); ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    status = rs.getString(1);
                }
            }
            if (status == null) {
                return false;
            }
            if (status.equals("queued")) {
                QueuedCounts.add(c, tenant, -1);
            }
            forget(c, id.value(), now);
            return true;
        });
    }

    /** Removes what belongs to a deleted job; its files' bytes become orphan candidates. */
    private void forget(Connection c, String id, Instant now) throws SQLException {
        update(c, "DELETE FROM job_events WHERE job_id = ?", id);
        update(c, "DELETE FROM job_logs WHERE job_id = ?", id);
        update(c, """
                INSERT INTO orphan_blobs (sha256, since)
                SELECT DISTINCT sha256, ? FROM artifacts WHERE job_id = ?
                ON CONFLICT (sha256) DO NOTHING
                """, now, id);
        update(c, "DELETE FROM artifacts WHERE job_id = ?", id);
    }

    int pruneFinished(Store.Prune prune, Instant now) {
        String type = prune.type();
        Set<String> exceptTypes = prune.exceptTypes();
        return store.write(c -> {
            StringBuilder sql = new StringBuilder(
                    "SELECT id FROM jobs WHERE status IN ('succeeded', 'failed', 'cancelled') AND ended_at < ?");
            List<Object> args = new ArrayList<>(List.of(prune.endedBefore()));
            if (type != null) {
                sql.append(" AND type = ?");
                args.add(type);
            } else if (!exceptTypes.isEmpty()) {
                sql.append(" AND type NOT IN (").append(placeholders(exceptTypes.size())).append(')');
                args.addAll(exceptTypes.stream().sorted().toList());
            }
            sql.append(" ORDER BY ended_at LIMIT ?");
            args.add(prune.limit());
            List<String> ids = new ArrayList<>();
            try (PreparedStatement ps = prepare(c, sql.toString(), args.toArray()); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
            for (String id : ids) {
                update(c, "DELETE FROM jobs WHERE id = ?", id);
                forget(c, id, now);
            }
            return ids.size();
        });
    }
}
