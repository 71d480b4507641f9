package dev.spool.job;

import java.time.Duration;

/**
 * Exponential backoff with jitter between attempts: the n-th retry waits base * 2^(n-1), capped, of
 * which the upper half is random ("equal jitter"), so that jobs that failed together do not come
 * back together. Pure: the caller passes the random draw.
 */
public record Backoff(Duration base, Duration cap) {
    public Backoff {
        if (base.isNegative() || base.isZero() || cap.compareTo(base) < 0) {
            throw new IllegalArgumentException("backoff needs 0 < base <= cap");
        }
    }

    /**
     * @param attempt the attempt that just failed, from 1
     * @param jitter  a draw in [0, 1)
     */
    public Duration delay(int attempt, double jitter) {
        long baseMs = base.toMillis();
        int shift = Math.min(Math.max(attempt - 1, 0), 40);
        long exp = baseMs > (cap.toMillis() >> shift) ? cap.toMillis() : Math.min(cap.toMillis(), baseMs << shift);
        long half = exp / 2;
        return Duration.ofMillis(half + (long) (half * jitter));
    }
}
