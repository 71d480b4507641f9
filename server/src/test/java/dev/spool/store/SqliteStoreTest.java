package dev.spool.store;

import java.nio.file.Path;
import org.junit.jupiter.api.Nested;

/** Every seam's contract on the embedded SQLite. */
class SqliteStoreTest {
    /** A file in the test's folder; reopening opens the same file. */
    static final class OnSqlite implements StorageContract.Database {
        private Path file;

        @Override
        public Storage open(Path dir) {
            file = dir.resolve("spool.db");
            return SqliteStore.open(file, 64, 2);
        }

        @Override
        public Storage reopen(Storage storage) {
            storage.close();
            return SqliteStore.open(file, 64, 2);
        }
    }

    @Nested
    class Jobs extends JobStoreContract {
        @Override
        protected Database database() {
            return new OnSqlite();
        }
    }

    @Nested
    class Keys extends KeyStoreContract {
        @Override
        protected Database database() {
            return new OnSqlite();
        }
    }

    @Nested
    class Webhooks extends WebhookStoreContract {
        @Override
        protected Database database() {
            return new OnSqlite();
        }
    }

    @Nested
    class Files extends FileStoreContract {
        @Override
        protected Database database() {
            return new OnSqlite();
        }
    }

    @Nested
    class Workers extends WorkerStoreContract {
        @Override
        protected Database database() {
            return new OnSqlite();
        }
    }

    @Nested
    class Tenants extends TenantStoreContract {
        @Override
        protected Database database() {
            return new OnSqlite();
        }
    }

    @Nested
    class Operate extends OperateContract {
        @Override
        protected Database database() {
            return new OnSqlite();
        }
    }
}
