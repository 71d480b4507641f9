package dev.spool.auth;

import java.time.Instant;
import java.util.Locale;

/**
 * An API key as stored: only the public {@code prefix} and a SHA-256 {@code hash} of the whole key;
 * the secret itself is shown once, when the key is made, and never again.
 */
public record ApiKey(String id, String tenant, String name, Role role, String prefix, byte[] hash,
                     Instant createdAt, Instant revokedAt) {
    public enum Role {
        /** May use the jobs API of its tenant and manage API keys. */
        ADMIN,
        /** May use the jobs API of its tenant. */
        TENANT,
        /** May claim and report jobs of every tenant through /v1/worker; may not submit or read as a tenant. */
        WORKER;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public boolean revoked() {
        return revokedAt != null;
    }
}
