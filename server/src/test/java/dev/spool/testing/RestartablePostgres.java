package dev.spool.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A real PostgreSQL of a test's own, on a fixed port and data folder, that the test can stop (an
 * outage: every connection drops, new ones are refused) and start again with its data intact.
 * {@link Postgres} is the shared one for tests that never take it away.
 */
public final class RestartablePostgres implements AutoCloseable {
    private final Path dir;
    private final int port;
    private EmbeddedPostgres server;

    private final int maxConnections;

    /** Picks a free port; the database is started with {@link #start()}. */
    public RestartablePostgres(Path dir) {
        this(dir, 300);
    }

    public RestartablePostgres(Path dir, int maxConnections) {
        this.dir = dir;
        this.port = freePort();
        this.maxConnections = maxConnections;
    }

    public static int freePort() {
        try (ServerSocket free = new ServerSocket(0)) {
            return free.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public synchronized RestartablePostgres start() {
        if (server == null) {
            try {
                server = EmbeddedPostgres.builder()
                        .setPort(port)
                        .setDataDirectory(dir)
                        .setCleanDataDirectory(false)
                        .setServerConfig("max_connections", Integer.toString(maxConnections))
                        .setServerConfig("fsync", "on")
                        .start();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start PostgreSQL on port " + port, e);
            }
        }
        return this;
    }

    /** Stops the server (a fast shutdown: open connections are cut); its data stays for {@link #start()}. */
    public synchronized void stop() {
        if (server != null) {
            try {
                server.close();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot stop PostgreSQL", e);
            }
            server = null;
        }
    }

    /**
     * Freezes the server (SIGSTOP to the postmaster and every backend): connections stay open and
     * connects are accepted by the kernel, but nothing answers, as with a hung host or a cut network.
     */
    public synchronized void freeze() {
        signalAll("STOP");
    }

    /** Lets a frozen server run on. */
    public synchronized void thaw() {
        signalAll("CONT");
    }

    private void signalAll(String signal) {
        try {
            String pid = java.nio.file.Files.readAllLines(dir.resolve("postmaster.pid")).getFirst().trim();
            new ProcessBuilder("pkill", "-" + signal, "-P", pid).inheritIO().start().waitFor();
            new ProcessBuilder("kill", "-" + signal, pid).inheritIO().start().waitFor();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Creates database {@code name} (the server must be running) and returns its JDBC URL. */
    public String newDatabase(String name) {
        try (Connection c = server.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + name, e);
        }
        return url(name);
    }

    /** A new superuser connection to database {@code name}. */
    public Connection connect(String name) throws SQLException {
        return server.getDatabase("postgres", name).getConnection();
    }

    /** The JDBC URL of database {@code name}, whether or not the server is running now. */
    public String url(String name) {
        return "jdbc:postgresql://localhost:" + port + "/" + name + "?user=postgres";
    }

    /** Runs {@code sql} as the superuser on database {@code name} (the server must be running). */
    public void execute(String name, String sql) {
        try (Connection c = server.getDatabase("postgres", name).getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot run " + sql, e);
        }
    }

    public int port() {
        return port;
    }

    @Override
    public void close() {
        stop();
    }
}
