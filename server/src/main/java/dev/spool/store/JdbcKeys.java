package dev.spool.store;

import static dev.spool.store.Sql.count;
import static dev.spool.store.Sql.instant;
import static dev.spool.store.Sql.prepare;
import static dev.spool.store.Sql.update;

import dev.spool.auth.ApiKey;
import dev.spool.auth.KeyStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * API keys in the {@code api_keys} table.
 */
final class JdbcKeys implements KeyStore {
    private final JdbcStore store;

    JdbcKeys(JdbcStore store) {
        this.store = store;
    }

    @Override
    public void keyInsert(ApiKey key) {
        store.write(c -> update(c, """
                INSERT INTO api_keys (id, tenant, name, role, prefix, hash, created_at, revoked_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, key.id(), key.tenant(), key.name(), key.role().wireName(), key.prefix(), key.hash(),
                key.createdAt(), key.revokedAt()));
    }

    @Override
    public Optional<ApiKey> keyByPrefix(String prefix) {
        return store.read(c -> keys(c, "SELECT * FROM api_keys WHERE prefix = ?", prefix).stream().findFirst());
    }

    @Override
    public List<ApiKey> keyList(String tenant) {
        return store.read(c -> tenant == null
                ? keys(c, "SELECT * FROM api_keys ORDER BY created_at, id")
                : keys(c, "SELECT * FROM api_keys WHERE tenant = ? ORDER BY created_at, id", tenant));
    }

    @Override
    public boolean keyRevoke(String id, Instant now) {
        return store.write(c -> {
            update(c, "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", now, id);
            return count(c, "SELECT count(*) FROM api_keys WHERE id = ?", id) > 0;
        });
    }

    @Override
    public long keyCount() {
        return store.read(c -> count(c, "SELECT count(*) FROM api_keys"));
    }

    private List<ApiKey> keys(Connection c, String sql, Object... args) throws SQLException {
        List<ApiKey> keys = new ArrayList<>();
        try (PreparedStatement ps = prepare(c, sql, args); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                keys.add(new ApiKey(rs.getString("id"), rs.getString("tenant"), rs.getString("name"),
                        ApiKey.Role.valueOf(rs.getString("role").toUpperCase(Locale.ROOT)),
                        rs.getString("prefix"), rs.getBytes("hash"), instant(rs, "created_at"),
                        instant(rs, "revoked_at")));
            }
        }
        return keys;
    }
}
