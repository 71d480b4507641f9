package dev.spool.store;

import static dev.spool.store.Sql.update;

import dev.spool.job.Job;
import dev.spool.job.Price;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Usage, written as jobs end: in the transaction that ends them, each ended job adds to its
 * tenant's row of the day it ended (by type, queue, key and currency) its outcome, and the run
 * time, units and cost it has not yet been billed for. The statement that ends an attempt adds its
 * run time and units to the job's {@code unbilled_*} as well; the cost billed so far is {@code
 * billed_micros}. A job retried by hand starts again from what was billed ({@link #rebill}), so
 * it adds only the difference when it ends again, and the usage table sums exactly what the jobs
 * show. Costs are kept in millionths of the currency, the scale {@link Price#cost} computes at.
 */
final class UsageLedger {
    /** What the statements that end jobs return after the job's columns, to {@link #read} with it. */
    static final String BILLED_COLUMNS = "unbilled_run_ms, unbilled_units, billed_micros";

    /** A job as a statement ended it, with what it has not been billed for, and the cost it was billed so far. */
    record Ended(Job job, long unbilledRunMs, long unbilledUnits, long billedMicros) {}

    /** Rows of different lanes go to different shards of a usage row, so lanes never wait for one row's lock. */
    private static final int SHARDS = 16;

    /** The shard of the lane (the writer's thread) this runs on. */
    static int shard() {
        return (int) Math.floorMod(Thread.currentThread().threadId(), (long) SHARDS);
    }

    private record Row(String tenant, String day, String type, String queue, String keyId, String currency, int shard)
            implements Comparable<Row> {
        @Override
        public int compareTo(Row o) {
            return java.util.Comparator.comparing(Row::tenant).thenComparing(Row::day).thenComparing(Row::type)
                    .thenComparing(Row::queue).thenComparing(Row::keyId).thenComparing(Row::currency)
                    .thenComparingInt(Row::shard).compare(this, o);
        }
    }

    private static final class Sums {
        long succeeded, failed, cancelled, runMs, units, micros;
    }

    private UsageLedger() {}

    /** A job and what it was billed, read from a row of {@link JobRows#JOB_COLUMNS} then {@link #BILLED_COLUMNS}. */
    static Ended read(ResultSet rs) throws SQLException {
        int at = JobRows.JOB_COLUMN_NAMES.size();
        return new Ended(JobRows.job(rs), rs.getLong(at + 1), rs.getLong(at + 2), rs.getLong(at + 3));
    }

    static List<Ended> selectEnded(Connection c, String sql, Object... args) throws SQLException {
        List<Ended> ended = new java.util.ArrayList<>();
        try (PreparedStatement ps = Sql.prepare(c, sql, args); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                ended.add(read(rs));
            }
        }
        return ended;
    }

    /** Bills the jobs among {@code ended} that are now finished; the others are billed when they finish. */
    static void bill(Connection c, List<Ended> ended, Function<String, Price> prices) throws SQLException {
        Map<Row, Sums> rows = new TreeMap<>(); // sorted: concurrent transactions lock rows in one order
        int shard = shard();
        for (Ended e : ended) {
            Job job = e.job();
            if (!job.status().isTerminal()) {
                continue;
            }
            Price price = prices.apply(job.type());
            long micros = micros(price.cost(job.attempt(), job.runMs(), job.units()));
            Instant endedAt = job.endedAt() == null ? job.updatedAt() : job.endedAt();
            Row row = new Row(job.tenant(), endedAt.atOffset(ZoneOffset.UTC).toLocalDate().toString(), job.type(),
                    job.queue(), job.keyId() == null ? "" : job.keyId(), price.currency(), shard);
            Sums sums = rows.computeIfAbsent(row, r -> new Sums());
            switch (job.status()) {
                case SUCCEEDED -> sums.succeeded++;
                case FAILED -> sums.failed++;
                default -> sums.cancelled++;
            }
            sums.runMs += e.unbilledRunMs();
            sums.units += e.unbilledUnits();
            sums.micros += micros - e.billedMicros();
        }
        if (rows.isEmpty()) {
            return;
        }
        String upsert = """
                INSERT INTO usage (tenant, day, type, queue, key_id, currency, shard, succeeded, failed, cancelled,
                                   run_ms, units, cost_micros)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (tenant, day, type, queue, key_id, currency, shard) DO UPDATE SET
                    succeeded = usage.succeeded + excluded.succeeded, failed = usage.failed + excluded.failed,
                    cancelled = usage.cancelled + excluded.cancelled, run_ms = usage.run_ms + excluded.run_ms,
                    units = usage.units + excluded.units, cost_micros = usage.cost_micros + excluded.cost_micros
                """;
        if (rows.size() == 1) {
            var only = rows.entrySet().iterator().next();
            update(c, upsert, values(only.getKey(), only.getValue()));
            return;
        }
        try (PreparedStatement ps = c.prepareStatement(upsert)) {
            for (var r : rows.entrySet()) {
                Sql.bind(ps, values(r.getKey(), r.getValue()));
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /**
     * Jobs that ended and are queued again by hand ({@code jobs}, as the retry left them) start
     * again from what they were billed: nothing unbilled, their cost so far billed. One batch.
     */
    static void rebill(Connection c, List<Job> jobs, Function<String, Price> prices) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE jobs SET unbilled_run_ms = 0, unbilled_units = 0, billed_micros = ? WHERE id = ?")) {
            for (Job job : jobs) {
                Sql.bind(ps, micros(prices.apply(job.type()).cost(job.attempt(), job.runMs(), job.units())), job.id().value());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static Object[] values(Row r, Sums s) {
        return new Object[] {r.tenant(), r.day(), r.type(), r.queue(), r.keyId(), r.currency(), r.shard(), s.succeeded,
                s.failed, s.cancelled, s.runMs, s.units, s.micros};
    }

    /** An amount in millionths of its currency, exactly (costs are computed at that scale). */
    static long micros(BigDecimal amount) {
        return amount.movePointRight(6).setScale(0, java.math.RoundingMode.HALF_UP).longValueExact();
    }
}
