package dev.spool.limit;

import dev.spool.job.ErrorCode;
import dev.spool.job.SpoolException;
import dev.spool.job.Usage;
import java.util.List;

/**
 * Tenants' accounts: their usage as jobs ended, what they hold now against their quotas, and the
 * quota on the bytes of their jobs' files, checked before a file is kept.
 */
public final class Accounts {
    private final TenantStore store;
    private final LimitBook book;

    public Accounts(TenantStore store, LimitBook book) {
        this.store = store;
        this.book = book;
    }

    public LimitBook limits() {
        return book;
    }

    public List<Usage.Row> usage(Usage.Query query) {
        return store.usage(query);
    }

    public Usage.Held held(String tenant) {
        return store.held(tenant);
    }

    /**
     * Refuses, as {@code QUOTA_EXCEEDED}, {@code adding} more bytes of files for {@code tenant}
     * past its quota. Checked before each file is kept (and for a submit's inputs, before its job
     * is stored): files kept concurrently may pass the quota by at most their own size.
     */
    public void checkFileBytes(String tenant, long adding) {
        long quota = book.maxFileBytes(tenant);
        if (quota <= 0 || adding <= 0) {
            return;
        }
        long kept = store.fileBytes(tenant);
        if (kept + adding > quota) {
            throw new SpoolException(ErrorCode.QUOTA_EXCEEDED, "This tenant may keep at most " + quota
                    + " bytes of files (limits.max_file_bytes); it keeps " + kept + " and this would add " + adding
                    + ". Delete jobs, or wait for their retention to end.");
        }
    }
}
