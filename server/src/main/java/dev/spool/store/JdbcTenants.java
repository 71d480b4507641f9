package dev.spool.store;

import static dev.spool.store.Sql.count;
import static dev.spool.store.Sql.prepare;
import static dev.spool.store.Sql.update;

import dev.spool.job.Usage;
import dev.spool.limit.TenantStore;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import javax.sql.DataSource;

/** Tenants' limits in {@code tenant_limits}, their usage in {@code usage} (see {@link UsageLedger}). */
final class JdbcTenants implements TenantStore {
    private final JdbcStore store;

    JdbcTenants(JdbcStore store) {
        this.store = store;
    }

    @Override
    public Map<String, String> limitsAll() {
        return store.read(c -> {
            Map<String, String> all = new TreeMap<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT tenant, limits FROM tenant_limits"); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    all.put(rs.getString(1), rs.getString(2));
                }
            }
            return all;
        });
    }

    @Override
    public void limitsPut(String tenant, String limits, Instant now) {
        store.write(c -> update(c, """
                INSERT INTO tenant_limits (tenant, limits, updated_at) VALUES (?, ?, ?)
                ON CONFLICT (tenant) DO UPDATE SET limits = excluded.limits, updated_at = excluded.updated_at
                """, tenant, limits, now));
    }

    @Override
    public boolean limitsDelete(String tenant) {
        return store.write(c -> update(c, "DELETE FROM tenant_limits WHERE tenant = ?", tenant) > 0);
    }

    @Override
    public Usage.Held held(String tenant) {
        return store.read(c -> new Usage.Held(
                count(c, QueuedCounts.SUM, tenant),
                count(c, "SELECT count(*) FROM jobs WHERE status = 'running' AND tenant = ?", tenant),
                count(c, FILE_BYTES, tenant)));
    }

    private static final String FILE_BYTES =
            "SELECT COALESCE(sum(a.size), 0) FROM artifacts a JOIN jobs j ON j.id = a.job_id WHERE j.tenant = ?";

    @Override
    public long fileBytes(String tenant) {
        return store.read(c -> count(c, FILE_BYTES, tenant));
    }

    @Override
    public List<Usage.Row> usage(Usage.Query q) {
        EnumSet<Usage.Group> groups = q.groups().isEmpty() ? EnumSet.noneOf(Usage.Group.class) : EnumSet.copyOf(q.groups());
        List<String> by = new ArrayList<>();
        for (Usage.Group g : groups) {
            by.add(column(g));
        }
        by.add("currency");
        StringBuilder select = new StringBuilder("SELECT ");
        for (Usage.Group g : Usage.Group.values()) {
            select.append(groups.contains(g) ? column(g) : "NULL").append(", ");
        }
        select.append("currency, sum(succeeded), sum(failed), sum(cancelled), sum(run_ms), sum(units), sum(cost_micros)")
                .append(" FROM usage WHERE day >= ? AND day <= ?");
        List<Object> args = new ArrayList<>(List.of(q.from().toString(), q.to().toString()));
        if (q.tenant() != null) {
            select.append(" AND tenant = ?");
            args.add(q.tenant());
        }
        String columns = String.join(", ", by);
        select.append(" GROUP BY ").append(columns).append(" ORDER BY ").append(columns);
        return store.read(c -> {
            List<Usage.Row> rows = new ArrayList<>();
            try (PreparedStatement ps = prepare(c, select.toString(), args.toArray()); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(new Usage.Row(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                            rs.getString(6), rs.getLong(7), rs.getLong(8), rs.getLong(9), rs.getLong(10), rs.getLong(11),
                            rs.getLong(12)));
                }
            }
            return rows;
        });
    }

    private static String column(Usage.Group g) {
        return g == Usage.Group.KEY ? "key_id" : g.wireName();
    }

    @Override
    public Optional<DataSource> sharedBuckets() {
        return store.sharedBuckets();
    }
}
