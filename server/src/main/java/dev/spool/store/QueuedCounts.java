package dev.spool.store;

import static dev.spool.store.Sql.update;

import dev.spool.job.Job;
import dev.spool.job.JobStatus;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * Each tenant's queued jobs, as a count kept in {@code tenant_queued} by the statements that move
 * jobs in and out of the queue: one row change per tenant per statement, in its transaction, on
 * the shard of the writer's lane. A quota on queued jobs reads it in constant time (the sum of the
 * tenant's shards) instead of counting the jobs.
 */
final class QueuedCounts {
    private QueuedCounts() {}

    /** Adds {@code delta} to the count of each tenant; tenants in name order, so that lanes lock rows in one order. */
    static void add(Connection c, Map<String, Long> delta) throws SQLException {
        int shard = UsageLedger.shard();
        for (var e : new TreeMap<>(delta).entrySet()) {
            if (e.getValue() != 0) {
                update(c, """
                        INSERT INTO tenant_queued (tenant, shard, queued) VALUES (?, ?, ?)
                        ON CONFLICT (tenant, shard) DO UPDATE SET queued = tenant_queued.queued + excluded.queued
                        """, e.getKey(), shard, e.getValue());
            }
        }
    }

    static void add(Connection c, String tenant, long delta) throws SQLException {
        add(c, Map.of(tenant, delta));
    }

    /** Each tenant's jobs among {@code jobs} that are {@code status} now, counted {@code sign} each. */
    static Map<String, Long> of(Collection<Job> jobs, JobStatus status, long sign) {
        Map<String, Long> delta = new TreeMap<>();
        for (Job job : jobs) {
            if (job.status() == status) {
                delta.merge(job.tenant(), sign, Long::sum);
            }
        }
        return delta;
    }

    static final String SUM = "SELECT COALESCE(sum(queued), 0) FROM tenant_queued WHERE tenant = ?";

    /** Adds to a tenant's reserved row, the one that submits under a quota lock and count in; returns it. */
    static final String RESERVE = """
            INSERT INTO tenant_queued (tenant, shard, queued) VALUES (?, -1, ?)
            ON CONFLICT (tenant, shard) DO UPDATE SET queued = tenant_queued.queued + excluded.queued
            RETURNING queued""";

    /** The rest of a tenant's count. */
    static final String OTHER_SHARDS = "SELECT COALESCE(sum(queued), 0) FROM tenant_queued WHERE tenant = ? AND shard <> -1";
}
