package dev.spool.store;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class SqliteStoreTest extends StoreContract {
    @TempDir
    Path dir;

    @Override
    protected Store open() {
        return SqliteStore.open(dir.resolve("spool.db"), 64, 2);
    }

    @Override
    protected Store reopen(Store store) {
        store.close();
        return open();
    }
}
