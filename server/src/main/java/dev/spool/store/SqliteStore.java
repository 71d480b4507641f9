package dev.spool.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.SQLException;
import java.time.Duration;
import org.flywaydb.core.Flyway;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * The embedded store: one SQLite file in WAL mode with {@code synchronous=FULL}, so that a commit
 * is on disk before it is acknowledged. All writes go through one {@link GroupCommitWriter}; reads
 * use a small pool of their own connections, which WAL lets run beside the writer.
 */
public final class SqliteStore extends JdbcStore {
    private final Path file;
    private final FileLock lock;

    /** Prepared statements kept per connection: more than the distinct texts of the hot paths. */
    private static final int STATEMENTS_KEPT = 256;

    private SqliteStore(Path file, FileLock lock, GroupCommitWriter writer, HikariDataSource readers,
            Reachability reachability) {
        super(writer, readers, reachability);
        this.file = file;
        this.lock = lock;
    }

    /** Opens (creating if needed) and migrates {@code file}. */
    public static SqliteStore open(Path file, int maxBatch, int readConnections) {
        return open(file, maxBatch, readConnections, Duration.ofSeconds(30));
    }

    /** @param maxWait longest a caller waits for its write to be committed before it is told to retry */
    public static SqliteStore open(Path file, int maxBatch, int readConnections, Duration maxWait) {
        FileLock lock = null;
        try {
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            lock = lockFor(file);
            String url = "jdbc:sqlite:" + file.toAbsolutePath();

            SQLiteConfig writeConfig = baseConfig();
            writeConfig.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
            Flyway.configure()
                    .dataSource(dataSource(url, baseConfig()))
                    .locations("classpath:db/migration/sqlite")
                    .load()
                    .migrate();

            HikariConfig pool = new HikariConfig();
            pool.setPoolName("spool-sqlite-read");
            pool.setDataSource(new CachingDataSource(baseConfig(), url));
            pool.setMaximumPoolSize(readConnections);
            pool.setMinimumIdle(1);
            pool.setAutoCommit(true);
            pool.setConnectionTimeout(maxWait.toMillis());
            HikariDataSource readers = new HikariDataSource(pool);
            Reachability reachability = new Reachability("SQLite database (reads)");
            // Last, after the migration: the writer's transactions take the file's write lock.
            return new SqliteStore(file, lock, new GroupCommitWriter(
                    () -> StatementCache.wrap(writeConfig.createConnection(url), STATEMENTS_KEPT), maxBatch, maxWait,
                    new Reachability("SQLite database (writes)")), readers, reachability);
        } catch (IOException e) {
            release(lock);
            throw new UncheckedIOException("cannot create the data folder for " + file, e);
        } catch (SQLException | org.flywaydb.core.api.FlywayException e) {
            release(lock);
            String why = String.valueOf(e.getMessage()).contains("SQLITE_BUSY")
                    ? "it is in use by another process (is another Spool running on this data folder?)"
                    : e.getMessage();
            throw new IllegalStateException("cannot open SQLite database " + file.toAbsolutePath() + ": " + why, e);
        } catch (RuntimeException e) {
            release(lock);
            throw e;
        }
    }

    /**
     * Holds {@code <file>.lock} for as long as the store is open, so that a second server on the same
     * data folder, in this process or another, is refused at once rather than when its first write
     * happens to meet the first server's. A separate file: a lock taken on the database file itself
     * would be dropped by SQLite's own closing of it (POSIX locks belong to the process).
     */
    private static FileLock lockFor(Path file) throws IOException {
        Path lockFile = file.resolveSibling(file.getFileName() + ".lock");
        FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            channel.close();
            throw new IllegalStateException("cannot open SQLite database " + file.toAbsolutePath()
                    + ": it is in use by another process (is another Spool running on this data folder?)");
        }
        return lock;
    }

    private static void release(FileLock lock) {
        if (lock == null) {
            return;
        }
        try {
            lock.channel().close(); // closing the channel releases the lock
        } catch (IOException e) {
            // nothing held is left: the channel is gone either way
        }
    }

    /** Closes the store, then lets go of the data folder. */
    @Override
    public void close() {
        try {
            super.close();
        } finally {
            release(lock);
        }
    }

    private static SQLiteConfig baseConfig() {
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        config.setBusyTimeout(3_000); // one writer per file: busy means another process holds it
        config.enforceForeignKeys(true);
        return config;
    }

    private static SQLiteDataSource dataSource(String url, SQLiteConfig config) {
        SQLiteDataSource ds = new SQLiteDataSource(config);
        ds.setUrl(url);
        return ds;
    }

    /** Hands the read pool connections that keep their prepared statements. */
    private static final class CachingDataSource extends SQLiteDataSource {
        CachingDataSource(SQLiteConfig config, String url) {
            super(config);
            setUrl(url);
        }

        @Override
        public java.sql.Connection getConnection() throws SQLException {
            return StatementCache.wrap(super.getConnection(), STATEMENTS_KEPT);
        }
    }

    @Override
    public String describe() {
        return "sqlite:" + file.toAbsolutePath().normalize();
    }
}
