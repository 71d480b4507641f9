package dev.spool.store;

import dev.spool.artifact.FileStore;
import dev.spool.auth.KeyStore;
import dev.spool.job.Price;
import dev.spool.limit.Quotas;
import dev.spool.limit.TenantStore;
import dev.spool.webhook.WebhookStore;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.function.Function;

/**
 * One opened database and its seams, one per area: the job's life ({@link Store}), API keys,
 * webhooks, files, workers and logs, and the event log. They share one writer (every write of
 * every seam goes through the same group commit) and one pool of read connections.
 */
public sealed interface Storage extends AutoCloseable permits JdbcStore {

    Store jobs();

    KeyStore keys();

    WebhookStore webhooks();

    FileStore files();

    WorkerStore workers();

    EventLog events();

    /** Tenants' limits set through the admin API, their usage, and what they hold now. */
    TenantStore tenants();

    /** Cron schedules. */
    ScheduleStore schedules();

    /**
     * The rules the store applies inside its transactions: tenants' quotas on submits and claims,
     * and the prices by job type that a job's usage is billed at when it ends.
     */
    void useRules(Quotas quotas, Function<String, Price> prices);

    /** A short description for logs: the kind of database and where it is, without secrets. */
    String describe();

    /**
     * Whether the database answers: what the last call found, and when that was a failure, a
     * fresh question. While it does not, every call throws {@code UNAVAILABLE}.
     */
    boolean reachable();

    /** The database's own clock now: a node whose clock is far from it is a problem (leases, schedules). */
    Instant databaseNow();

    /** Records the writer's transactions and the read pool's connections into {@code registry}. */
    void meterInto(MeterRegistry registry);

    /** Finishes the writes already handed in, then closes the connections. */
    @Override
    void close();
}
