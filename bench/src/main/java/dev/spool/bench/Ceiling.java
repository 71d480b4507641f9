package dev.spool.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * What the database itself can do: plain JDBC, one connection, the least SQL a job's life needs —
 * insert it, claim it (pick the oldest queued job and mark it running), complete it — each step its
 * own durable commit. Per job, that is three commits a job; batched, each step moves {@code batch}
 * jobs in one statement and one commit.
 */
final class Ceiling {
    private Ceiling() {}

    /** Runs {@code jobs} jobs through their life, {@code batch} at a time; returns jobs per second. */
    static double run(Db.Instance db, boolean postgres, int jobs, int batch) throws SQLException {
        try (Connection c = db.connect()) {
            try (Statement s = c.createStatement()) {
                s.execute("""
                        CREATE TABLE ceiling_jobs (
                            id BIGINT PRIMARY KEY, type TEXT NOT NULL, status TEXT NOT NULL, input TEXT NOT NULL,
                            worker TEXT, result TEXT, created_at BIGINT NOT NULL, started_at BIGINT, ended_at BIGINT)""");
                s.execute("CREATE INDEX ceiling_claim ON ceiling_jobs (type, id) WHERE status = 'queued'");
            }
            c.setAutoCommit(false);
            String claim = "UPDATE ceiling_jobs SET status = 'running', worker = 'w', started_at = ? WHERE id IN "
                    + "(SELECT id FROM ceiling_jobs WHERE status = 'queued' AND type = 'echo' ORDER BY id LIMIT ?"
                    + (postgres ? " FOR UPDATE SKIP LOCKED" : "") + ") RETURNING id";
            long start = System.nanoTime();
            long nextId = 1;
            for (int done = 0; done < jobs; done += batch) {
                int n = Math.min(batch, jobs - done);
                try (PreparedStatement insert = c.prepareStatement(
                        "INSERT INTO ceiling_jobs (id, type, status, input, created_at) VALUES (?, 'echo', 'queued', '{}', ?)")) {
                    for (int i = 0; i < n; i++) {
                        insert.setLong(1, nextId++);
                        insert.setLong(2, System.currentTimeMillis());
                        insert.addBatch();
                    }
                    insert.executeBatch();
                }
                c.commit();
                List<Long> claimed = new ArrayList<>(n);
                try (PreparedStatement ps = c.prepareStatement(claim)) {
                    ps.setLong(1, System.currentTimeMillis());
                    ps.setInt(2, n);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            claimed.add(rs.getLong(1));
                        }
                    }
                }
                c.commit();
                try (PreparedStatement complete = c.prepareStatement(
                        "UPDATE ceiling_jobs SET status = 'succeeded', result = '{}', worker = NULL, ended_at = ? WHERE id = ?")) {
                    for (long id : claimed) {
                        complete.setLong(1, System.currentTimeMillis());
                        complete.setLong(2, id);
                        complete.addBatch();
                    }
                    complete.executeBatch();
                }
                c.commit();
                if (claimed.size() != n) {
                    throw new IllegalStateException("claimed " + claimed.size() + " of " + n);
                }
            }
            return jobs / ((System.nanoTime() - start) / 1e9);
        }
    }
}
