package dev.spool.limit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every tenant's limits: the configuration's defaults, its per-tenant overrides, and over those
 * the overrides an operator set through the admin API, which every node reads from the database
 * at most every {@link #REFRESH} (a change is seen at once on the node that made it). A node
 * that cannot read them keeps what it read last.
 */
public final class LimitBook implements Quotas {
    private static final Logger log = LoggerFactory.getLogger(LimitBook.class);
    static final Duration REFRESH = Duration.ofSeconds(2);
    static final ObjectMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private final Limits defaults;
    private final Map<String, Limits> configured;
    private final TenantStore store;

    /** The overrides as read, and what they mean for every tenant (kept, not worked out on every request). */
    private record Snapshot(Map<String, Limits> stored, long until, boolean capsRunning, boolean anyRates,
                            Map<String, Limits> effective) {}

    /** The most tenants whose effective limits a snapshot remembers. */
    private static final int REMEMBERED = 100_000;

    private volatile Snapshot snapshot;
    private final AtomicBoolean refreshing = new AtomicBoolean();

    /**
     * @param defaults   every tenant's limits, every field set (0: none)
     * @param configured the configuration's per-tenant overrides (null fields keep the defaults)
     */
    public LimitBook(Limits defaults, Map<String, Limits> configured, TenantStore store) {
        this.defaults = defaults;
        this.configured = Map.copyOf(configured);
        this.store = store;
        this.snapshot = read(new Snapshot(Map.of(), 0, false, false, Map.of()));
    }

    /** The limits that apply to {@code tenant} now (worked out once per tenant and snapshot). */
    public Limits effective(String tenant) {
        Snapshot s = current();
        Limits known = s.effective().get(tenant);
        if (known != null) {
            return known;
        }
        Limits base = configured.getOrDefault(tenant, Limits.INHERIT).over(defaults);
        Limits set = s.stored().get(tenant);
        Limits worked = set == null ? base : set.over(base);
        if (s.effective().size() >= REMEMBERED) {
            s.effective().clear();
        }
        s.effective().put(tenant, worked);
        return worked;
    }

    /** What an operator set for {@code tenant} through the admin API; fields it left unset are null. */
    public Limits set(String tenant) {
        return current().stored().getOrDefault(tenant, Limits.INHERIT);
    }

    /** Sets {@code tenant}'s overrides (null fields keep the configuration's), replacing what was set. */
    public void put(String tenant, Limits limits, Instant now) {
        try {
            store.limitsPut(tenant, JSON.writeValueAsString(limits), now);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        reload();
    }

    /** Removes {@code tenant}'s overrides; false when it had none. */
    public boolean delete(String tenant) {
        boolean had = store.limitsDelete(tenant);
        reload();
        return had;
    }

    @Override
    public long maxQueued(String tenant) {
        return Limits.value(effective(tenant).maxQueued());
    }

    @Override
    public long maxRunning(String tenant) {
        return Limits.value(effective(tenant).maxRunning());
    }

    public long maxFileBytes(String tenant) {
        return Limits.value(effective(tenant).maxFileBytes());
    }

    @Override
    public boolean capsRunning() {
        return current().capsRunning();
    }

    /** The overrides as last read; when they are due, the first caller reads them again and the others go on with these. */
    private Snapshot current() {
        Snapshot s = snapshot;
        if (System.nanoTime() - s.until() >= 0 && refreshing.compareAndSet(false, true)) {
            try {
                s = read(snapshot);
            } finally {
                refreshing.set(false);
            }
        }
        return s;
    }

    private void reload() {
        read(snapshot);
    }

    /** Reads the stored overrides; on failure keeps {@code last} and tries again after {@link #REFRESH}. */
    private Snapshot read(Snapshot last) {
        Map<String, Limits> stored = last.stored();
        try {
            Map<String, Limits> fresh = new HashMap<>();
            for (var e : store.limitsAll().entrySet()) {
                try {
                    fresh.put(e.getKey(), JSON.readValue(e.getValue(), Limits.class));
                } catch (JsonProcessingException bad) {
                    log.warn("the stored limits of tenant {} do not parse; they are ignored: {}", e.getKey(), bad.getOriginalMessage());
                }
            }
            stored = Map.copyOf(fresh);
        } catch (RuntimeException e) {
            log.debug("cannot read tenants' limits; keeping the last read: {}", e.getMessage());
        }
        Snapshot next = new Snapshot(stored, System.nanoTime() + REFRESH.toNanos(), capsRunning(stored), anyRates(stored),
                new ConcurrentHashMap<>());
        snapshot = next;
        return next;
    }

    private boolean capsRunning(Map<String, Limits> stored) {
        return Limits.positive(defaults.maxRunning())
                || configured.values().stream().anyMatch(l -> Limits.positive(l.maxRunning()))
                || stored.values().stream().anyMatch(l -> Limits.positive(l.maxRunning()));
    }

    /** Whether any tenant can have a request or submit rate limit (none: the limiter is skipped). */
    public boolean anyRates() {
        return current().anyRates();
    }

    private boolean anyRates(Map<String, Limits> stored) {
        return defaults.limitsRates() || configured.values().stream().anyMatch(Limits::limitsRates)
                || stored.values().stream().anyMatch(Limits::limitsRates);
    }
}
