package dev.spool.auth;


import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * API keys: stored hashed, looked up by their public prefix, revoked but never deleted.
 */
public interface KeyStore {
    void keyInsert(ApiKey key);

    Optional<ApiKey> keyByPrefix(String prefix);

    /** The keys of one tenant, or of every tenant when {@code tenant} is null, oldest first. */
    List<ApiKey> keyList(String tenant);

    /** Revokes a key; false when there is no such key. Revoking twice keeps the first time. */
    boolean keyRevoke(String id, Instant now);

    long keyCount();
}
