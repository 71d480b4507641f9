package dev.spool.store;

import static dev.spool.store.JobRows.JOB_COLUMNS;
import static dev.spool.store.JobRows.selectMany;
import static dev.spool.store.JobRows.selectOne;
import static dev.spool.store.Sql.filter;
import static dev.spool.store.Sql.instant;
import static dev.spool.store.Sql.parse;
import static dev.spool.store.Sql.placeholders;
import static dev.spool.store.Sql.prepare;

import dev.spool.job.Batch;
import dev.spool.job.Job;
import dev.spool.job.JobEvent;
import dev.spool.job.JobId;
import dev.spool.job.JobQuery;
import dev.spool.job.JobStatus;
import dev.spool.job.JobTiming;
import dev.spool.job.Page;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/** Reading jobs: one, many, a tenant's filtered pages, a job's history, a batch. */
final class JobQueries {
    private final JdbcStore store;

    JobQueries(JdbcStore store) {
        this.store = store;
    }

    Optional<Job> get(String tenant, JobId id) {
        return store.read(c -> selectOne(c, "SELECT " + JOB_COLUMNS + " FROM jobs WHERE id = ? AND tenant = ?", id.value(), tenant));
    }

    Optional<Job> getAny(JobId id) {
        return store.read(c -> selectOne(c, "SELECT " + JOB_COLUMNS + " FROM jobs WHERE id = ?", id.value()));
    }

    Page<Job> list(JobQuery q) {
        List<Object> args = new ArrayList<>();
        String sql = "SELECT " + JOB_COLUMNS + " FROM jobs WHERE " + where(q, args) + " ORDER BY id DESC LIMIT ?";
        args.add(q.limit() + 1);
        List<Job> rows = store.read(c -> selectMany(c, sql, args.toArray()));
        boolean more = rows.size() > q.limit();
        return new Page<>(more ? rows.subList(0, q.limit()) : rows, more);
    }

    /** The ids of the page {@link #list} would return (without the one past it), newest first. */
    List<JobId> ids(JobQuery q) {
        List<Object> args = new ArrayList<>();
        String sql = "SELECT id FROM jobs WHERE " + where(q, args) + " ORDER BY id DESC LIMIT ?";
        args.add(q.limit());
        return store.read(c -> {
            List<JobId> ids = new ArrayList<>();
            try (PreparedStatement ps = prepare(c, sql, args.toArray()); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(new JobId(rs.getString(1)));
                }
            }
            return ids;
        });
    }

    /** How many jobs the query's filters match (its cursor included, its limit not). */
    long count(JobQuery q) {
        List<Object> args = new ArrayList<>();
        String sql = "SELECT count(*) FROM jobs WHERE " + where(q, args);
        return store.read(c -> Sql.count(c, sql, args.toArray()));
    }

    List<JobTiming> timings(String tenant, Instant since, int limit) {
        return store.read(c -> {
            List<JobTiming> out = new ArrayList<>();
            try (PreparedStatement ps = prepare(c, """
                    SELECT status, created_at, started_at, ended_at FROM jobs
                    WHERE tenant = ? AND status IN ('succeeded', 'failed', 'cancelled') AND ended_at >= ?
                    ORDER BY ended_at DESC LIMIT ?
                    """, tenant, since, limit); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new JobTiming(JobStatus.fromWire(rs.getString(1)).orElseThrow(), instant(rs, 2), instant(rs, 3),
                            instant(rs, 4)));
                }
            }
            return out;
        });
    }

    /** The query's filters as a WHERE condition; its arguments are appended to {@code args}. */
    private String where(JobQuery q, List<Object> args) {
        StringBuilder sql = new StringBuilder("tenant = ?");
        args.add(q.tenant());
        if (!q.statuses().isEmpty()) {
            sql.append(" AND status IN (").append(placeholders(q.statuses().size())).append(')');
            q.statuses().stream().map(JobStatus::wireName).sorted().forEach(args::add);
        }
        filter(sql, args, " AND type = ?", q.type());
        filter(sql, args, " AND queue = ?", q.queue());
        filter(sql, args, " AND batch_id = ?", q.batchId());
        filter(sql, args, " AND created_at > ?", q.createdAfter());
        filter(sql, args, " AND created_at < ?", q.createdBefore());
        filter(sql, args, " AND id < ?", q.before() == null ? null : q.before().value());
        for (var entry : new TreeMap<>(q.metadata()).entrySet()) {
            sql.append(" AND ").append(store.metadataEquals());
            args.add(store.metadataPath(entry.getKey()));
            args.add(entry.getValue());
        }
        return sql.toString();
    }

    List<JobEvent> events(String tenant, JobId id) {
        return store.read(c -> {
            List<JobEvent> events = new ArrayList<>();
            try (PreparedStatement ps = prepare(c, """
                    SELECT e.seq, e.job_id, e.at, e.kind, e.status, e.attempt, e.data
                    FROM job_events e JOIN jobs j ON j.id = e.job_id
                    WHERE e.job_id = ? AND j.tenant = ? ORDER BY e.seq
                    """, id.value(), tenant);
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    events.add(new JobEvent(rs.getLong(1), new JobId(rs.getString(2)), instant(rs, 3), rs.getString(4),
                            JobStatus.fromWire(rs.getString(5)).orElseThrow(), rs.getInt(6), parse(rs.getString(7))));
                }
            }
            return events;
        });
    }

    Optional<Batch> batch(String tenant, String id) {
        return store.read(c -> {
            Instant createdAt;
            try (PreparedStatement ps = prepare(c, "SELECT created_at FROM batches WHERE id = ? AND tenant = ?", id, tenant);
                 ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                createdAt = instant(rs, 1);
            }
            List<Batch.Member> members = new ArrayList<>();
            try (PreparedStatement ps = prepare(c,
                    "SELECT id, status FROM jobs WHERE batch_id = ? AND tenant = ? ORDER BY id", id, tenant);
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    members.add(new Batch.Member(new JobId(rs.getString(1)),
                            JobStatus.fromWire(rs.getString(2)).orElseThrow()));
                }
            }
            return Optional.of(new Batch(id, tenant, createdAt, members));
        });
    }

    List<Job> getMany(Collection<JobId> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        return store.read(c -> selectMany(c, "SELECT " + JOB_COLUMNS + " FROM jobs WHERE id IN (" + placeholders(ids.size()) + ")",
                ids.stream().map(JobId::value).toArray()));
    }

    List<Job> listExpired(Instant now, int limit) {
        return store.read(c -> selectMany(c, """
                SELECT %s FROM jobs
                WHERE status = 'running' AND (lease_expires_at < ? OR attempt_started_at + timeout_seconds * 1000 < ?)
                ORDER BY lease_expires_at LIMIT ?
                """.formatted(JOB_COLUMNS), now, now, limit));
    }

    List<Store.QueueCount> queueCounts(Instant now) {
        return store.read(c -> {
            List<Store.QueueCount> counts = new ArrayList<>();
            try (PreparedStatement ps = prepare(c, """
                    SELECT queue, type,
                           sum(CASE WHEN status = 'queued' THEN 1 ELSE 0 END),
                           sum(CASE WHEN status = 'running' THEN 1 ELSE 0 END),
                           min(CASE WHEN status = 'queued' AND run_at <= ? THEN run_at END)
                    FROM jobs WHERE status IN ('queued', 'running')
                    GROUP BY queue, type
                    """, now);
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    counts.add(new Store.QueueCount(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4),
                            instant(rs, 5)));
                }
            }
            return counts;
        });
    }
}
