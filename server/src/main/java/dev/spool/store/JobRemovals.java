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

    /** Deletes those of {@code ids} that are the tenant's and not running, in one transaction; returns how many. */
    int delete(String tenant, List<JobId> ids, Instant now) {
        if (ids.isEmpty()) {
            return 0;
        }
        return store.write(c -> {
            List<Object> args = new ArrayList<>(List.of(tenant));
            ids.forEach(id -> args.add(id.value()));
            List<String> deleted = new ArrayList<>();
            long queued = 0;
            try (PreparedStatement ps = prepare(c, "DELETE FROM jobs WHERE tenant = ? AND status <> 'running' AND id IN ("
                    + placeholders(ids.size()) + ") RETURNING id, status", args.toArray()); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    deleted.add(rs.getString(1));
                    queued += rs.getString(2).equals("queued") ? 1 : 0;
                }
            }
            if (queued > 0) {
                QueuedCounts.add(c, tenant, -queued);
            }
            forget(c, deleted, now);
            return deleted.size();
        });
    }

    /** Removes what belongs to deleted jobs; their files' bytes become orphan candidates. */
    private void forget(Connection c, List<String> ids, Instant now) throws SQLException {
        if (ids.isEmpty()) {
            return;
        }
        String in = placeholders(ids.size());
        Object[] these = ids.toArray();
        update(c, "DELETE FROM job_events WHERE job_id IN (" + in + ")", these);
        update(c, "DELETE FROM job_logs WHERE job_id IN (" + in + ")", these);
        List<Object> args = new ArrayList<>(List.of(now));
        args.addAll(ids);
        update(c, """
                INSERT INTO orphan_blobs (sha256, since)
                SELECT DISTINCT sha256, ? FROM artifacts WHERE job_id IN (%s)
                ON CONFLICT (sha256) DO NOTHING
                """.formatted(in), args.toArray());
        update(c, "DELETE FROM artifacts WHERE job_id IN (" + in + ")", these);
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
            }
            forget(c, ids, now);
            return ids.size();
        });
    }
}
