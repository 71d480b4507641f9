package dev.spool.store;

import dev.spool.testing.TestJobs;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every seam's contract starts from: a fresh database of one kind, opened before each test
 * and closed after it. Each seam has its own abstract suite (jobs, keys, webhooks, files, workers);
 * {@link SqliteStoreTest} and {@link PostgresStoreTest} run every suite, each saying only how its
 * database is opened.
 */
public abstract class StorageContract {
    protected static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

    /** How one kind of database is opened for a contract. */
    protected interface Database {
        /** A fresh, empty database. */
        Storage open(Path dir);

        /** Closes {@code storage} and opens the same database again. */
        Storage reopen(Storage storage);

        /**
         * More openings of the same database, as other nodes would open it; none where the
         * database allows only one process (SQLite). The caller closes them.
         */
        default List<Storage> otherNodes(int count) {
            return List.of();
        }
    }

    @TempDir
    Path dir;

    protected Storage storage;
    /** {@code storage.jobs()}: most contracts are about jobs. */
    protected Store store;
    protected TestJobs jobs;
    private Database database;

    /** The kind of database this run of the contract is on. */
    protected abstract Database database();

    @BeforeEach
    void setUp() {
        database = database();
        use(database.open(dir));
    }

    @AfterEach
    void tearDown() {
        storage.close();
    }

    /** Closes the database and opens it again, as a restart would. */
    protected void reopen() {
        use(database.reopen(storage));
    }

    protected List<Storage> otherNodes(int count) {
        return database.otherNodes(count);
    }

    private void use(Storage opened) {
        storage = opened;
        store = opened.jobs();
        jobs = new TestJobs(store);
    }
}
