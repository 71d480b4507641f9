package dev.spool.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatementCacheTest {
    @TempDir
    Path dir;
    Connection raw;
    Connection c;

    @BeforeEach
    void open() throws SQLException {
        raw = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("t.db"));
        try (Statement s = raw.createStatement()) {
            s.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)");
        }
        c = StatementCache.wrap(raw, 2);
    }

    @AfterEach
    void close() throws SQLException {
        c.close();
    }

    @Test
    void aClosedStatementIsHandedOutAgainForTheSameTextWithItsParametersCleared() throws SQLException {
        PreparedStatement first = c.prepareStatement("INSERT INTO t (k, v) VALUES (?, ?)");
        first.setInt(1, 1);
        first.setString(2, "one");
        first.executeUpdate();
        first.close();
        assertThat(first.isClosed()).isTrue();
        assertThatThrownBy(first::executeUpdate).isInstanceOf(SQLException.class).hasMessageContaining("closed");

        PreparedStatement again = c.prepareStatement("INSERT INTO t (k, v) VALUES (?, ?)");
        assertThat(again).isSameAs(first);
        assertThat(again.isClosed()).isFalse();
        again.setInt(1, 2); // the second parameter was cleared: it goes in as NULL, not as "one"
        again.executeUpdate();
        again.close();
        assertThat(values()).isEqualTo("one,null");
    }

    @Test
    void aTextStillInUseGetsAStatementOfItsOwn() throws SQLException {
        insert(1, "a");
        insert(2, "b");
        StringBuilder seen = new StringBuilder();
        try (PreparedStatement outer = c.prepareStatement("SELECT v FROM t WHERE k >= ? ORDER BY k")) {
            outer.setInt(1, 1);
            try (ResultSet rs = outer.executeQuery()) {
                while (rs.next()) {
                    try (PreparedStatement inner = c.prepareStatement("SELECT v FROM t WHERE k >= ? ORDER BY k")) {
                        assertThat(inner).isNotSameAs(outer);
                        inner.setInt(1, 2);
                        try (ResultSet in = inner.executeQuery()) {
                            in.next();
                            seen.append(rs.getString(1)).append(in.getString(1));
                        }
                    }
                }
            }
        }
        assertThat(seen).hasToString("abbb");
    }

    @Test
    void theLeastRecentlyUsedTextIsClosedToMakeRoom() throws SQLException {
        PreparedStatement a = c.prepareStatement("SELECT 1");
        a.close();
        PreparedStatement two = c.prepareStatement("SELECT 2");
        two.close();
        c.prepareStatement("SELECT 1").close(); // used again: "SELECT 2" is now the eldest
        c.prepareStatement("SELECT 3").close(); // capacity 2: "SELECT 2" goes
        PreparedStatement one = c.prepareStatement("SELECT 1");
        assertThat(one).isSameAs(a);
        one.close();
        assertThat(c.prepareStatement("SELECT 2")).isNotSameAs(two);
    }

    @Test
    void closingTheConnectionClosesItsStatements() throws SQLException {
        PreparedStatement kept = c.prepareStatement("SELECT 1");
        kept.close();
        c.close();
        assertThat(raw.isClosed()).isTrue();
        assertThat(c.isClosed()).isTrue();
    }

    private void insert(int k, String v) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO t (k, v) VALUES (?, ?)")) {
            ps.setInt(1, k);
            ps.setString(2, v);
            ps.executeUpdate();
        }
    }

    private String values() throws SQLException {
        StringBuilder out = new StringBuilder();
        try (Statement s = raw.createStatement(); ResultSet rs = s.executeQuery("SELECT v FROM t ORDER BY k")) {
            while (rs.next()) {
                out.append(out.isEmpty() ? "" : ",").append(rs.getString(1));
            }
        }
        return out.toString();
    }
}
