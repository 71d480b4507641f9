package dev.spool.client;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A tenant's rate limits and quotas; 0 is no limit. As what an admin sets for a tenant, a field
 * left null keeps the server's configuration.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Limits(Long requestsPerSecond, Long burst, Long submitsPerMinute, Long keyRequestsPerSecond, Long keyBurst,
                     Long keySubmitsPerMinute, Long maxQueued, Long maxRunning, Long maxFileBytes) {
    /** Nothing set: every field keeps the configuration's. */
    public static final Limits INHERIT = new Limits(null, null, null, null, null, null, null, null, null);

    public Limits withMaxQueued(long value) {
        return new Limits(requestsPerSecond, burst, submitsPerMinute, keyRequestsPerSecond, keyBurst, keySubmitsPerMinute,
                value, maxRunning, maxFileBytes);
    }

    public Limits withRequestsPerSecond(long value, long burst) {
        return new Limits(value, burst, submitsPerMinute, keyRequestsPerSecond, keyBurst, keySubmitsPerMinute, maxQueued,
                maxRunning, maxFileBytes);
    }

    public Limits withSubmitsPerMinute(long value) {
        return new Limits(requestsPerSecond, burst, value, keyRequestsPerSecond, keyBurst, keySubmitsPerMinute, maxQueued,
                maxRunning, maxFileBytes);
    }

    public Limits withMaxRunning(long value) {
        return new Limits(requestsPerSecond, burst, submitsPerMinute, keyRequestsPerSecond, keyBurst, keySubmitsPerMinute,
                maxQueued, value, maxFileBytes);
    }

    public Limits withMaxFileBytes(long value) {
        return new Limits(requestsPerSecond, burst, submitsPerMinute, keyRequestsPerSecond, keyBurst, keySubmitsPerMinute,
                maxQueued, maxRunning, value);
    }

    /**
     * A tenant's limits: {@code limits} in effect, {@code set} through the admin API, and (for
     * {@code GET /v1/limits}) what it {@code held} against them; null otherwise.
     */
    public record OfTenant(String tenantId, Limits limits, Limits set, Held held) {}

    public record Held(long queued, long running, long fileBytes) {}
}
