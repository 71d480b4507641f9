package dev.spool.limit;

import dev.spool.auth.ApiKey;
import dev.spool.auth.Caller;
import dev.spool.job.ErrorCode;
import dev.spool.job.SpoolException;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.distributed.jdbc.PrimaryKeyMapper;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.distributed.proxy.optimization.DelayParameters;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import io.github.bucket4j.postgresql.Bucket4jPostgreSQL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rate limits of requests and submits, per tenant and per API key, as token buckets (Bucket4j):
 * in this process where one process has the database, and in the database where several nodes
 * share it, so that a limit holds for the whole deployment. A shared bucket is not read on every
 * request: each node consumes from its copy and brings the database's up to date when it has
 * taken {@link #unsynced} tokens or {@link #SYNC_EVERY} has passed, so the limit costs no database
 * round trip per request, and the deployment as a whole may pass a limit by at most that many
 * tokens per node at a time (then owes them: the shared bucket goes below zero and refills
 * first). Each node takes a shared bucket's tokens a block at a time ({@link Lease}), so even the
 * local part of a shared bucket runs once a block, not once a request. Over a limit the caller
 * is refused with {@code RATE_LIMITED}, {@code Retry-After} and the {@code RateLimit-Policy} and
 * {@code RateLimit} headers of the IETF draft; within it, the answer carries the same headers.
 */
public final class RateLimiter {
    private static final Logger log = LoggerFactory.getLogger(RateLimiter.class);
    /** Longest a node consumes from a shared bucket without telling the database. */
    static final Duration SYNC_EVERY = Duration.ofMillis(100);
    private static final int BUCKETS_MAX = 20_000;

    private final LimitBook book;
    private final ProxyManager<String> shared;
    private final Map<String, Tokens> buckets = new ConcurrentHashMap<>();
    private final AtomicLong lastFailureLog = new AtomicLong(System.nanoTime() - TimeUnit.MINUTES.toNanos(2));

    /** @param sharedBuckets the database's connections, where several nodes share the limits; empty: in this process */
    public RateLimiter(LimitBook book, Optional<DataSource> sharedBuckets) {
        this.book = book;
        this.shared = sharedBuckets.map(ds -> Bucket4jPostgreSQL.selectForUpdateBasedBuilder(ds)
                .primaryKeyMapper(PrimaryKeyMapper.STRING)
                .table("rate_buckets").idColumn("id").stateColumn("state")
                .build()).orElse(null);
    }

    /** The most tokens of a shared bucket one node takes before it tells the database: a twentieth of the rate, at least one. */
    static long unsynced(long rate) {
        return Math.max(1, rate / 20);
    }

    /** One bucket's answer to one request: which policy, its quota and window, and what the bucket said. */
    private record Taken(String policy, long quota, long windowSeconds, ConsumptionProbe probe) {}

    /**
     * Charges one request of {@code caller} to its tenant's and its key's request rates. Returns
     * the rate-limit headers for the answer (none when no rate applies); throws {@code
     * RATE_LIMITED} when either is spent. Worker keys serve every tenant and are not limited.
     */
    public Map<String, String> admitRequest(Caller caller) {
        if (caller.role() == ApiKey.Role.WORKER || !book.anyRates()) {
            return Map.of();
        }
        Limits l = book.effective(caller.tenant());
        List<Taken> taken = new ArrayList<>(2);
        take(taken, "tenant", "requests:t:" + caller.tenant(), Limits.value(l.requestsPerSecond()), Limits.value(l.burst()),
                Duration.ofSeconds(1), 1);
        take(taken, "key", "requests:k:" + caller.keyId(), Limits.value(l.keyRequestsPerSecond()), Limits.value(l.keyBurst()),
                Duration.ofSeconds(1), 1);
        return answer(taken, "requests per second");
    }

    /**
     * Charges {@code jobs} submitted jobs to the tenant's and the key's submit rates; throws
     * {@code RATE_LIMITED} when either would pass its limit (and charges neither then only if the
     * first refused).
     */
    public void admitSubmits(String tenant, String keyId, int jobs) {
        if (!book.anyRates()) {
            return;
        }
        Limits l = book.effective(tenant);
        long perTenant = Limits.value(l.submitsPerMinute());
        long perKey = Limits.value(l.keySubmitsPerMinute());
        for (long limit : new long[] {perTenant, perKey}) {
            if (limit > 0 && jobs > limit) {
                throw SpoolException.invalid("These " + jobs + " jobs are more than may be submitted in a minute (" + limit
                        + "); send them in smaller batches.");
            }
        }
        List<Taken> taken = new ArrayList<>(2);
        take(taken, "tenant-submits", "submits:t:" + tenant, perTenant, perTenant, Duration.ofMinutes(1), jobs);
        if (keyId != null) {
            take(taken, "key-submits", "submits:k:" + keyId, perKey, perKey, Duration.ofMinutes(1), jobs);
        }
        answer(taken, "jobs submitted per minute");
    }

    /** Takes {@code tokens} from the bucket of {@code scope} when {@code rate} is set; adds what it found to {@code taken}. */
    private void take(List<Taken> taken, String policy, String scope, long rate, long burst, Duration window, long tokens) {
        if (rate <= 0) {
            return;
        }
        long capacity = burst > 0 ? burst : rate;
        ConsumptionProbe probe;
        try {
            probe = bucket(scope + ":" + rate + "/" + capacity + "/" + window.toSeconds(), rate, capacity, window)
                    .take(tokens);
        } catch (RuntimeException e) {
            // The shared buckets' database cannot be reached: the request is let through (it meets
            // the same outage on its own way), and the failure logged at most once a minute.
            long last = lastFailureLog.get();
            if (System.nanoTime() - last > TimeUnit.MINUTES.toNanos(1) && lastFailureLog.compareAndSet(last, System.nanoTime())) {
                log.warn("rate limits are not enforced while their database cannot be reached: {}", e.getMessage());
            }
            return;
        }
        taken.add(new Taken(policy, rate, window.toSeconds(), probe));
    }

    /** Where a limit's tokens come from: a bucket of this process, or a lease on a shared one. */
    @FunctionalInterface
    private interface Tokens {
        ConsumptionProbe take(long tokens);
    }

    private Tokens bucket(String key, long rate, long capacity, Duration window) {
        Tokens known = buckets.get(key);
        if (known != null) {
            return known;
        }
        if (buckets.size() >= BUCKETS_MAX) {
            buckets.clear(); // a bucket dropped here starts full again (locally) or from the database's state (shared)
        }
        Bandwidth limit = Bandwidth.builder().capacity(capacity).refillGreedy(rate, window).build();
        return buckets.computeIfAbsent(key, k -> {
            if (shared == null) {
                Bucket local = Bucket.builder().addLimit(limit).build();
                return local::tryConsumeAndReturnRemaining;
            }
            return new Lease(shared.builder()
                    .withOptimization(Optimizations.delaying(new DelayParameters(unsynced(rate), SYNC_EVERY)))
                    .build(k, () -> BucketConfiguration.builder().addLimit(limit).build()), unsynced(rate));
        });
    }

    /**
     * Tokens of a shared bucket taken a block at a time ({@link #unsynced} of the rate), and handed
     * to this node's requests from memory: a call into the distributed bucket costs as much as a
     * request's own work, so it is made once a block, not once a request. Leased tokens are
     * consumed in the shared bucket when leased, so a lease can only make the deployment pass the
     * limit less, by at most a block per node left unused; refused is what the shared bucket cannot
     * give even exactly.
     */
    private static final class Lease implements Tokens {
        private final Bucket shared;
        private final long block;
        private final AtomicLong left = new AtomicLong();
        /** What the shared bucket had left, and when it would be full, at the last lease: for the headers. */
        private volatile long sharedRemaining;
        private volatile long resetNanos;

        Lease(Bucket shared, long block) {
            this.shared = shared;
            this.block = block;
        }

        @Override
        public ConsumptionProbe take(long tokens) {
            for (long l = left.get(); l >= tokens; l = left.get()) {
                if (left.compareAndSet(l, l - tokens)) {
                    return ConsumptionProbe.consumed(l - tokens + sharedRemaining, resetNanos);
                }
            }
            synchronized (this) {
                long l = left.get();
                if (l >= tokens) {
                    left.addAndGet(-tokens);
                    return ConsumptionProbe.consumed(l - tokens + sharedRemaining, resetNanos);
                }
                long need = tokens - l;
                ConsumptionProbe leased = shared.tryConsumeAndReturnRemaining(need + block);
                long got = need + block;
                if (!leased.isConsumed()) {
                    leased = shared.tryConsumeAndReturnRemaining(need);
                    got = need;
                    if (!leased.isConsumed()) {
                        return leased;
                    }
                }
                sharedRemaining = leased.getRemainingTokens();
                resetNanos = leased.getNanosToWaitForReset();
                left.addAndGet(got - tokens);
                return ConsumptionProbe.consumed(left.get() + sharedRemaining, resetNanos);
            }
        }
    }

    /** The headers of {@code taken}; throws {@code RATE_LIMITED} with them when any bucket refused. */
    private static Map<String, String> answer(List<Taken> taken, String what) {
        if (taken.isEmpty()) {
            return Map.of();
        }
        Taken tightest = null;
        StringBuilder policies = new StringBuilder();
        for (Taken t : taken) {
            if (!policies.isEmpty()) {
                policies.append(", ");
            }
            policies.append('"').append(t.policy()).append("\";q=").append(t.quota()).append(";w=").append(t.windowSeconds());
            if (tightest == null || !t.probe().isConsumed() && tightest.probe().isConsumed()
                    || t.probe().isConsumed() == tightest.probe().isConsumed()
                    && t.probe().getRemainingTokens() < tightest.probe().getRemainingTokens()) {
                tightest = t;
            }
        }
        ConsumptionProbe probe = tightest.probe();
        long reset = seconds(probe.isConsumed() ? probe.getNanosToWaitForReset() : probe.getNanosToWaitForRefill());
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("RateLimit-Policy", policies.toString());
        headers.put("RateLimit", "\"" + tightest.policy() + "\";r=" + Math.max(0, probe.getRemainingTokens()) + ";t=" + reset);
        if (!probe.isConsumed()) {
            headers.put("Retry-After", String.valueOf(Math.max(1, reset)));
            throw new SpoolException(ErrorCode.RATE_LIMITED, "Over the limit of " + tightest.quota() + " " + what + " ("
                    + tightest.policy() + "); retry after " + Math.max(1, reset) + " s.", headers);
        }
        return headers;
    }

    private static long seconds(long nanos) {
        return (nanos + 999_999_999L) / 1_000_000_000L;
    }
}
