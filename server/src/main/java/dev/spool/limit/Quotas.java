package dev.spool.limit;

/**
 * The quotas a tenant's jobs are held to, enforced inside the transactions that submit and
 * claim (0: none). Every node must answer the same for a tenant, within the time a change
 * takes to reach it.
 */
public interface Quotas {
    Quotas NONE = new Quotas() {
        @Override
        public long maxQueued(String tenant) {
            return 0;
        }

        @Override
        public long maxRunning(String tenant) {
            return 0;
        }

        @Override
        public boolean capsRunning() {
            return false;
        }
    };

    /** The most jobs the tenant may have queued at once; a submit past it is refused as {@code QUOTA_EXCEEDED}. */
    long maxQueued(String tenant);

    /** The most jobs of the tenant that may run at once; claims leave the rest queued. */
    long maxRunning(String tenant);

    /** Whether any tenant may have a {@link #maxRunning} cap; when none can, claims skip looking. */
    boolean capsRunning();
}
