package dev.spool.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Copies an embedded installation (jobs, their history, batches, idempotency keys, API keys,
 * webhook endpoints and deliveries) into
 * a PostgreSQL database, so that growing from one machine to several is not a manual export. The
 * two schemas have the same tables and columns, so rows are copied as they are. The target must be
 * empty; the whole copy is one transaction, so it is all there or not at all.
 */
public final class DataCopy {
    private static final List<String> TABLES = List.of("api_keys", "batches", "jobs", "job_events", "idempotency_keys", "workers", "job_logs", "artifacts", "secrets",
            "webhook_endpoints", "signing_secrets", "webhook_outbox", "webhook_deliveries", "webhook_attempts", "usage",
            "tenant_limits", "paused_queues", "idempotent_calls", "schedules"); // tenant_queued is counted again by its triggers as the jobs go in
    private static final int BATCH = 500;

    private DataCopy() {}

    /** @return rows copied per table */
    public static Map<String, Long> sqliteToPostgres(Path sqliteFile, PostgresStore.Settings target) {
        if (!Files.isRegularFile(sqliteFile)) {
            throw new IllegalArgumentException("no SQLite database at " + sqliteFile + " (it is spool.db in the data folder)");
        }
        // Opening both runs their migrations, so both schemas are current. Opening the SQLite file
        // also fails while a Spool server still uses it, which is what we want: stop it first.
        try (SqliteStore source = SqliteStore.open(sqliteFile, 1, 1); PostgresStore sink = PostgresStore.open(target)) {
            return source.read(from -> {
                try (Connection to = sink.connect()) {
                    to.setAutoCommit(false);
                    try {
                        Map<String, Long> copied = copyAll(from, to);
                        to.commit();
                        return copied;
                    } catch (SQLException | RuntimeException e) {
                        to.rollback();
                        throw e;
                    }
                }
            });
        }
    }

    private static Map<String, Long> copyAll(Connection from, Connection to) throws SQLException {
        for (String table : TABLES) {
            long existing = Sql.count(to, "SELECT count(*) FROM " + table);
            if (existing > 0) {
                throw new IllegalStateException("the target database already holds " + existing + " rows in "
                        + table + "; migrate-data copies into an empty database only");
            }
        }
        Map<String, Long> copied = new LinkedHashMap<>();
        for (String table : TABLES) {
            copied.put(table, copyTable(from, to, table));
        }
        // New history entries must continue after the copied ones.
        try (Statement s = to.createStatement()) {
            for (String table : List.of("job_events", "job_logs")) {
                s.execute("SELECT setval(pg_get_serial_sequence('" + table + "', 'seq'), COALESCE(max(seq), 0) + 1, false) FROM " + table);
            }
        }
        return copied;
    }

    private static long copyTable(Connection from, Connection to, String table) throws SQLException {
        long rows = 0;
        try (Statement select = from.createStatement(); ResultSet rs = select.executeQuery("SELECT * FROM " + table)) {
            ResultSetMetaData meta = rs.getMetaData();
            List<String> columns = new ArrayList<>();
            for (int i = 1; i <= meta.getColumnCount(); i++) {
                columns.add(meta.getColumnName(i));
            }
            String insert = "INSERT INTO " + table + " (" + String.join(", ", columns) + ") VALUES ("
                    + String.join(", ", Collections.nCopies(columns.size(), "?")) + ")";
            try (PreparedStatement ps = to.prepareStatement(insert)) {
                while (rs.next()) {
                    for (int i = 1; i <= columns.size(); i++) {
                        ps.setObject(i, rs.getObject(i));
                    }
                    ps.addBatch();
                    if (++rows % BATCH == 0) {
                        ps.executeBatch();
                    }
                }
                ps.executeBatch();
            }
        }
        return rows;
    }
}
