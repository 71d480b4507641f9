package dev.spool.limit;

import dev.spool.job.Usage;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * What the store keeps per tenant beside its jobs: limits an operator set through the admin API
 * (as the JSON the limits service writes), usage as jobs ended, and what the tenant holds now.
 */
public interface TenantStore {
    /** Every tenant's limits set through the admin API, by tenant. */
    Map<String, String> limitsAll();

    void limitsPut(String tenant, String limits, Instant now);

    /** False when the tenant had none set. */
    boolean limitsDelete(String tenant);

    /** What {@code tenant} holds now; counts, exact. */
    Usage.Held held(String tenant);

    /** The bytes of every file (inputs and outputs) of the tenant's jobs. */
    long fileBytes(String tenant);

    List<Usage.Row> usage(Usage.Query query);

    /**
     * The database's connections for rate-limit buckets that every node shares (a table Bucket4j
     * keeps): present where several nodes share the database, empty where one process has it.
     */
    Optional<DataSource> sharedBuckets();
}
