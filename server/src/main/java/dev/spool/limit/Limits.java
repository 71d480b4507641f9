package dev.spool.limit;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.spool.job.SpoolException;

/**
 * A tenant's rate limits and quotas. As the configuration's defaults every field is set (0: no
 * limit); as a tenant's override, a field left null keeps the default.
 *
 * @param requestsPerSecond    the tenant's API requests per second, all its keys together
 * @param burst                requests the tenant may send at once above that rate (0: one second's worth)
 * @param submitsPerMinute     jobs the tenant may submit per minute (a batch counts each job)
 * @param keyRequestsPerSecond each API key's requests per second
 * @param keyBurst             each key's burst (0: one second's worth)
 * @param keySubmitsPerMinute  jobs each key may submit per minute
 * @param maxQueued            the most jobs the tenant may have queued at once
 * @param maxRunning           the most of its jobs that may run at once
 * @param maxFileBytes         the most bytes of files (inputs and outputs) its jobs may keep
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Limits(Long requestsPerSecond, Long burst, Long submitsPerMinute, Long keyRequestsPerSecond, Long keyBurst,
                     Long keySubmitsPerMinute, Long maxQueued, Long maxRunning, Long maxFileBytes) {
    public static final Limits NONE = new Limits(0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L);
    public static final Limits INHERIT = new Limits(null, null, null, null, null, null, null, null, null);

    public Limits {
        for (Long value : new Long[] {requestsPerSecond, burst, submitsPerMinute, keyRequestsPerSecond, keyBurst,
                keySubmitsPerMinute, maxQueued, maxRunning, maxFileBytes}) {
            if (value != null && value < 0) {
                throw SpoolException.invalid("limits cannot be negative (0 means no limit)");
            }
        }
    }

    /** These limits, with every field left null taken from {@code defaults}. */
    public Limits over(Limits defaults) {
        return new Limits(or(requestsPerSecond, defaults.requestsPerSecond), or(burst, defaults.burst),
                or(submitsPerMinute, defaults.submitsPerMinute), or(keyRequestsPerSecond, defaults.keyRequestsPerSecond),
                or(keyBurst, defaults.keyBurst), or(keySubmitsPerMinute, defaults.keySubmitsPerMinute),
                or(maxQueued, defaults.maxQueued), or(maxRunning, defaults.maxRunning), or(maxFileBytes, defaults.maxFileBytes));
    }

    private static Long or(Long value, Long fallback) {
        return value != null ? value : fallback;
    }

    /** Whether any request or submit rate is limited. */
    public boolean limitsRates() {
        return positive(requestsPerSecond) || positive(submitsPerMinute) || positive(keyRequestsPerSecond)
                || positive(keySubmitsPerMinute);
    }

    static boolean positive(Long value) {
        return value != null && value > 0;
    }

    static long value(Long value) {
        return value == null ? 0 : value;
    }
}
