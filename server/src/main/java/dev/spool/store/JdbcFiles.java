package dev.spool.store;

import static dev.spool.store.Sql.count;
import static dev.spool.store.Sql.instant;
import static dev.spool.store.Sql.placeholders;
import static dev.spool.store.Sql.prepare;
import static dev.spool.store.Sql.update;

import dev.spool.artifact.Artifact;
import dev.spool.artifact.FileStore;
import dev.spool.job.ErrorCode;
import dev.spool.job.Job;
import dev.spool.job.JobId;
import dev.spool.job.SpoolException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * File records in {@code artifacts}, orphaned bytes in {@code orphan_blobs}, shared secrets in {@code secrets}.
 */
final class JdbcFiles implements FileStore {
    private final JdbcStore store;

    JdbcFiles(JdbcStore store) {
        this.store = store;
    }

    @Override
    public List<String> blobOrphansDue(Instant orphanedBefore, int limit) {
        return store.write(c -> {
            // A blob referenced again (the same bytes uploaded since) is an orphan no more.
            update(c, "DELETE FROM orphan_blobs WHERE sha256 IN (SELECT sha256 FROM artifacts)");
            List<String> due = new ArrayList<>();
            try (PreparedStatement ps = prepare(c, "SELECT sha256 FROM orphan_blobs WHERE since < ? ORDER BY since LIMIT ?",
                    orphanedBefore, limit);
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    due.add(rs.getString(1));
                }
            }
            return due;
        });
    }

    @Override
    public void blobOrphanAdd(String sha256, Instant now) {
        store.write(c -> update(c, "INSERT INTO orphan_blobs (sha256, since) VALUES (?, ?) ON CONFLICT (sha256) DO NOTHING", sha256, now));
    }

    @Override
    public void blobOrphanForget(String sha256) {
        store.write(c -> update(c, "DELETE FROM orphan_blobs WHERE sha256 = ? AND sha256 NOT IN (SELECT sha256 FROM artifacts)", sha256));
    }

    @Override
    public boolean artifactAdd(Artifact a, int maxCount, long maxBytes) {
        return store.write(c -> {
            if (count(c, "SELECT count(*) FROM jobs WHERE id = ? AND status = 'running' AND attempt = ?",
                    a.jobId().value(), a.attempt()) == 0) {
                return false;
            }
            long others = count(c, "SELECT count(*) FROM artifacts WHERE job_id = ? AND NOT (kind = ? AND name = ?)",
                    a.jobId().value(), a.kind().wireName(), a.name());
            long othersBytes = count(c, "SELECT COALESCE(sum(size), 0) FROM artifacts WHERE job_id = ? AND NOT (kind = ? AND name = ?)",
                    a.jobId().value(), a.kind().wireName(), a.name());
            if (others + 1 > maxCount || othersBytes + a.size() > maxBytes) {
                throw new SpoolException(ErrorCode.PAYLOAD_TOO_LARGE, "A job may have at most " + maxCount
                        + " files of " + maxBytes + " bytes in all; this one would pass that.");
            }
            update(c, "DELETE FROM artifacts WHERE job_id = ? AND kind = ? AND name = ?", a.jobId().value(), a.kind().wireName(), a.name());
            update(c, """
                    INSERT INTO artifacts (job_id, kind, name, attempt, content_type, size, sha256, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, a.jobId().value(), a.kind().wireName(), a.name(), a.attempt(), a.contentType(), a.size(),
                    a.sha256(), a.createdAt());
            return true;
        });
    }

    @Override
    public List<Artifact> artifactList(String tenant, JobId id) {
        return store.read(c -> artifacts(c, """
                SELECT a.* FROM artifacts a JOIN jobs j ON j.id = a.job_id
                WHERE a.job_id = ? AND j.tenant = ? ORDER BY a.kind, a.name
                """, id.value(), tenant));
    }

    @Override
    public List<Artifact> artifactInputs(Collection<JobId> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        return store.read(c -> artifacts(c, "SELECT * FROM artifacts WHERE kind = 'input' AND job_id IN ("
                + placeholders(ids.size()) + ") ORDER BY job_id, name", ids.stream().map(JobId::value).toArray()));
    }

    @Override
    public Optional<Artifact> artifactGetAny(JobId id, String name) {
        return store.read(c -> artifacts(c, "SELECT * FROM artifacts WHERE job_id = ? AND name = ? ORDER BY kind DESC",
                id.value(), name).stream().findFirst());
    }

    private static List<Artifact> artifacts(Connection c, String sql, Object... args) throws SQLException {
        List<Artifact> out = new ArrayList<>();
        try (PreparedStatement ps = prepare(c, sql, args); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new Artifact(new JobId(rs.getString("job_id")),
                        Artifact.Kind.valueOf(rs.getString("kind").toUpperCase(Locale.ROOT)),
                        rs.getString("name"), rs.getInt("attempt"), rs.getString("content_type"), rs.getLong("size"),
                        rs.getString("sha256"), instant(rs, "created_at")));
            }
        }
        return out;
    }

    @Override
    public byte[] secret(String name, Supplier<byte[]> create) {
        return store.write(c -> {
            update(c, "INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", name, create.get());
            try (PreparedStatement ps = prepare(c, "SELECT value FROM secrets WHERE name = ?", name);
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBytes(1);
            }
        });
    }

    @Override
    public Optional<Job> job(JobId id) {
        return store.jobGetAny(id);
    }
}
