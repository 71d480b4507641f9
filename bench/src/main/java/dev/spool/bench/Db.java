package dev.spool.bench;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import org.sqlite.SQLiteConfig;

/**
 * One database engine under test. Each scenario round gets a {@link Instance} of its own (a new
 * SQLite file, or a new database on the one embedded PostgreSQL), with the durability Spool uses:
 * SQLite in WAL mode with {@code synchronous=FULL}, PostgreSQL with {@code fsync} and
 * {@code synchronous_commit} on.
 */
abstract sealed class Db implements AutoCloseable {
    /** Opens a connection to one database. */
    @FunctionalInterface
    interface Connector {
        Connection connect() throws SQLException;
    }

    /**
     * One fresh database: how a Spool node reaches it ({@code database}, the {@code storage.database}
     * setting, empty for SQLite in the node's data folder), and connections for the bench's own reads.
     */
    record Instance(String database, Path dataDir, Connector connector) {
        Connection connect() throws SQLException {
            return connector.connect();
        }
    }

    final Path work;
    private final AtomicInteger count = new AtomicInteger();

    Db(Path work) {
        this.work = work;
    }

    abstract String name();

    abstract Instance fresh() throws Exception;

    int next() {
        return count.incrementAndGet();
    }

    @Override
    public void close() throws Exception {}

    static final class Sqlite extends Db {
        Sqlite(Path work) {
            super(work);
        }

        @Override
        String name() {
            return "SQLite";
        }

        @Override
        Instance fresh() throws IOException {
            Path dir = Files.createDirectories(work.resolve("sqlite-" + next()));
            return new Instance("", dir, () -> connection(dir.resolve("spool.db")));
        }

        /** A connection with Spool's settings: WAL, synchronous=FULL. */
        static Connection connection(Path file) throws SQLException {
            SQLiteConfig config = new SQLiteConfig();
            config.setJournalMode(SQLiteConfig.JournalMode.WAL);
            config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
            config.setBusyTimeout(10_000);
            return config.createConnection("jdbc:sqlite:" + file.toAbsolutePath());
        }
    }

    static final class Postgres extends Db {
        private final EmbeddedPostgres server;

        Postgres(Path work) throws IOException {
            super(work);
            this.server = EmbeddedPostgres.builder()
                    .setDataDirectory(Files.createDirectories(work.resolve("postgres")))
                    .setCleanDataDirectory(true)
                    .setServerConfig("fsync", "on")
                    .setServerConfig("synchronous_commit", "on")
                    .setServerConfig("full_page_writes", "on")
                    .setServerConfig("max_connections", "200")
                    .start();
        }

        @Override
        String name() {
            return "PostgreSQL";
        }

        @Override
        Instance fresh() throws Exception {
            String name = "bench_" + next();
            try (Connection c = server.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE " + name);
            }
            String url = server.getJdbcUrl("postgres", name);
            return new Instance(url, Files.createDirectories(work.resolve("pg-node-" + name)),
                    () -> DriverManager.getConnection(url));
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
