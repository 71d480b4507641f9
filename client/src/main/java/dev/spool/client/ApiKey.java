package dev.spool.client;

import java.time.Instant;

/**
 * An API key as listed: never its secret. {@code key} is set only in the answer that created it.
 *
 * @param role {@code admin} or {@code tenant}
 */
public record ApiKey(String id, String prefix, String tenant, String name, String role, Instant createdAt,
                     Instant revokedAt, String key) {}
