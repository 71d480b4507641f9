package dev.spool.store;

import static dev.spool.testing.TestJobs.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spool.auth.ApiKey;
import dev.spool.auth.KeyStore;
import org.junit.jupiter.api.Test;

/** What every database's {@link KeyStore} must do. */
public abstract class KeyStoreContract extends StorageContract {
    // ---------------------------------------------------------------- keys

    @Test
    void keysAreFoundByPrefixListedAndRevoked() {
        ApiKey key = new ApiKey("key_1", TENANT, "ci", ApiKey.Role.TENANT, "abcdefghijkl", new byte[] {1, 2, 3}, T0, null);
        storage.keys().keyInsert(key);

        ApiKey found = storage.keys().keyByPrefix("abcdefghijkl").orElseThrow();
        assertThat(found.hash()).containsExactly(1, 2, 3);
        assertThat(found.revoked()).isFalse();
        assertThat(storage.keys().keyList(TENANT)).extracting(ApiKey::id).containsExactly("key_1");
        assertThat(storage.keys().keyList("other")).isEmpty();
        assertThat(storage.keys().keyCount()).isEqualTo(1);

        assertThat(storage.keys().keyRevoke("key_1", T0.plusSeconds(1))).isTrue();
        assertThat(storage.keys().keyRevoke("key_1", T0.plusSeconds(2))).isTrue();
        assertThat(storage.keys().keyByPrefix("abcdefghijkl").orElseThrow().revokedAt()).isEqualTo(T0.plusSeconds(1));
        assertThat(storage.keys().keyRevoke("key_missing", T0)).isFalse();
    }
}
