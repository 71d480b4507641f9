package dev.spool.store;

import static dev.spool.store.Sql.JSON;
import static dev.spool.store.Sql.count;
import static dev.spool.store.Sql.instant;
import static dev.spool.store.Sql.json;
import static dev.spool.store.Sql.prepare;
import static dev.spool.store.Sql.update;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.spool.job.JobId;
import dev.spool.job.LogLine;
import dev.spool.job.Worker;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Workers in {@code workers}, log lines in {@code job_logs}.
 */
final class JdbcWorkers implements WorkerStore {
    private final JdbcStore store;

    JdbcWorkers(JdbcStore store) {
        this.store = store;
    }

    @Override
    public void workerSeen(String id, String name, String keyId, List<String> types, int freeSlots, Instant now) {
        store.write(c -> update(c, """
                INSERT INTO workers (id, name, key_id, types, first_seen, last_seen, free_slots) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, key_id = excluded.key_id,
                       types = excluded.types, last_seen = excluded.last_seen, free_slots = excluded.free_slots
                """, id, name, keyId, json(types), now, now, freeSlots));
    }

    @Override
    public List<Worker> workerList(Instant since) {
        return store.read(c -> {
            List<Worker> workers = new ArrayList<>();
            try (PreparedStatement ps = prepare(c, """
                    SELECT w.id, w.name, w.key_id, w.types, w.first_seen, w.last_seen, w.free_slots,
                           (SELECT count(*) FROM jobs j WHERE j.status = 'running' AND j.worker_id = w.id) AS in_hand
                    FROM workers w WHERE w.last_seen >= ? ORDER BY w.last_seen DESC, w.id
                    """, since);
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    workers.add(new Worker(rs.getString("id"), rs.getString("name"), rs.getString("key_id"),
                            List.of(JSON.readValue(rs.getString("types"), String[].class)), instant(rs, "first_seen"),
                            instant(rs, "last_seen"), rs.getInt("in_hand"), (Integer) rs.getObject("free_slots", Integer.class)));
                }
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("stored worker types are not JSON", e);
            }
            return workers;
        });
    }

    @Override
    public boolean jobLogAppend(JobId id, int attempt, List<String> lines, Instant now) {
        return store.write(c -> {
            if (count(c, "SELECT count(*) FROM jobs WHERE id = ? AND status = 'running' AND attempt = ?", id.value(), attempt) == 0) {
                return false;
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO job_logs (job_id, at, attempt, line) VALUES (?, ?, ?, ?)")) {
                for (String line : lines) {
                    ps.setString(1, id.value());
                    ps.setLong(2, now.toEpochMilli());
                    ps.setInt(3, attempt);
                    ps.setString(4, line);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return true;
        });
    }

    @Override
    public List<LogLine> jobLogs(String tenant, JobId id, long afterSeq, int limit) {
        return store.read(c -> {
            List<LogLine> lines = new ArrayList<>();
            try (PreparedStatement ps = prepare(c, """
                    SELECT l.seq, l.at, l.attempt, l.line FROM job_logs l JOIN jobs j ON j.id = l.job_id
                    WHERE l.job_id = ? AND j.tenant = ? AND l.seq > ? ORDER BY l.seq LIMIT ?
                    """, id.value(), tenant, afterSeq, limit);
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    lines.add(new LogLine(rs.getLong(1), instant(rs, 2), rs.getInt(3), rs.getString(4)));
                }
            }
            return lines;
        });
    }
}
