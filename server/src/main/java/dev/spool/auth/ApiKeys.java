package dev.spool.auth;


import dev.spool.job.ErrorCode;
import dev.spool.job.NewJob;
import dev.spool.job.SpoolException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Makes, checks and revokes API keys. A key reads {@code spool_<prefix>_<secret>}: the prefix (12
 * characters) finds the stored row, the whole key's SHA-256 is compared in constant time. A key has
 * 60 bits of prefix and 160 bits of secret, so a plain hash is enough: there is nothing to brute-force.
 */
public final class ApiKeys {
    /** A key just made: the only time its secret text exists outside the caller's hands. */
    public record Created(ApiKey key, String secret) {}

    private static final Pattern FORMAT = Pattern.compile("spool_([a-z2-7]{12})_([a-z2-7]{32})");
    private static final char[] BASE32 = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
    private static final SpoolException UNAUTHENTICATED = new SpoolException(ErrorCode.UNAUTHENTICATED,
            "Send a valid API key as 'Authorization: Bearer <key>'.");

    /**
     * How long a key looked up stays trusted without reading it again. Reading the key on every
     * request cost as much as a job read itself; a revocation takes effect at once on the node that
     * made it, and within this time on the others.
     */
    static final java.time.Duration REMEMBERED = java.time.Duration.ofSeconds(2);
    private static final int REMEMBERED_MAX = 10_000;

    private record Remembered(ApiKey key, long until) {}

    private final KeyStore store;
    private final InstantSource clock;
    private final SecureRandom random = new SecureRandom();
    private final ConcurrentHashMap<String, Remembered> remembered = new ConcurrentHashMap<>();

    public ApiKeys(KeyStore store, InstantSource clock) {
        this.store = store;
        this.clock = clock;
    }

    /** The caller behind an {@code Authorization} header value; {@code UNAUTHENTICATED} if there is none. */
    public Caller authenticate(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw UNAUTHENTICATED;
        }
        String presented = authorization.substring(7).trim();
        Matcher m = FORMAT.matcher(presented);
        if (!m.matches()) {
            throw UNAUTHENTICATED;
        }
        ApiKey key = lookUp(m.group(1));
        if (!MessageDigest.isEqual(key.hash(), hash(presented)) || key.revoked()) {
            throw UNAUTHENTICATED;
        }
        return new Caller(key.id(), key.tenant(), key.role());
    }

    /** The stored key with {@code prefix}, remembered for {@link #REMEMBERED}; unknown prefixes are never remembered. */
    private ApiKey lookUp(String prefix) {
        long now = System.nanoTime();
        Remembered known = remembered.get(prefix);
        if (known != null && now - known.until() < 0) {
            return known.key();
        }
        ApiKey key = store.keyByPrefix(prefix).orElseThrow(() -> UNAUTHENTICATED);
        if (remembered.size() >= REMEMBERED_MAX) {
            remembered.clear();
        }
        remembered.put(prefix, new Remembered(key, now + REMEMBERED.toNanos()));
        return key;
    }

    public Created create(String tenant, String name, ApiKey.Role role) {
        return store(tenant, name, role, "spool_" + randomBase32(12) + "_" + randomBase32(32));
    }

    private Created store(String tenant, String name, ApiKey.Role role, String secret) {
        if (tenant == null || !NewJob.NAME.matcher(tenant).matches()) {
            throw SpoolException.invalid("tenant must be 1 to 64 letters, digits, '_', '.' or '-'");
        }
        if (name == null || name.isBlank() || name.length() > 100) {
            throw SpoolException.invalid("name must be 1 to 100 characters");
        }
        Matcher m = FORMAT.matcher(secret);
        if (!m.matches()) {
            throw SpoolException.invalid("an API key must look like spool_<12 base32 characters>_<32 base32 characters>");
        }
        ApiKey key = new ApiKey("key_" + randomBase32(16), tenant, name, role, m.group(1), hash(secret),
                clock.instant(), null);
        store.keyInsert(key);
        return new Created(key, secret);
    }

    /**
     * Makes sure an administrator can get in. With {@code configured} (from the environment), that
     * key is stored if it is not yet; otherwise, on a first start with no keys at all, a new admin
     * key is made. Returns the new key's secret only when one was made here, to be shown once.
     */
    public Optional<String> bootstrap(String configured) {
        if (configured != null && !configured.isEmpty()) {
            Matcher m = FORMAT.matcher(configured);
            if (!m.matches()) {
                throw new IllegalArgumentException("SPOOL_ADMIN_KEY must look like spool_<12 base32>_<32 base32>; "
                        + "use 'spool keys generate' to make one");
            }
            if (store.keyByPrefix(m.group(1)).isEmpty()) {
                store("default", "admin (from SPOOL_ADMIN_KEY)", ApiKey.Role.ADMIN, configured);
            }
            return Optional.empty();
        }
        if (store.keyCount() > 0) {
            return Optional.empty();
        }
        return Optional.of(create("default", "admin (first start)", ApiKey.Role.ADMIN).secret());
    }

    public List<ApiKey> list() {
        return store.keyList(null);
    }

    public void revoke(String id) {
        if (!store.keyRevoke(id, clock.instant())) {
            throw SpoolException.notFound("API key");
        }
        remembered.values().removeIf(r -> r.key().id().equals(id));
    }

    /** A fresh key's text, not stored anywhere: for SPOOL_ADMIN_KEY. */
    public static String generateSecret() {
        ApiKeys maker = new ApiKeys(null, InstantSource.system());
        return "spool_" + maker.randomBase32(12) + "_" + maker.randomBase32(32);
    }

    private String randomBase32(int length) {
        char[] out = new char[length];
        for (int i = 0; i < length; i++) {
            out[i] = BASE32[random.nextInt(32)];
        }
        return new String(out);
    }

    private static byte[] hash(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always present", e);
        }
    }
}
