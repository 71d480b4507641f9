package dev.spool.wake;

import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A bell that loops wait on. A waiter reads {@link #rings()} before it looks for work, looks, and
 * then {@link #await}s with that count: a ring that came while it was looking ends the wait at
 * once, so no ring is lost between looking and waiting. Every waiter is woken by every ring.
 */
public final class WakeUp {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition rung = lock.newCondition();
    private long rings;

    /** Wakes every waiter, and ends at once the next wait of anyone who has not seen this ring. */
    public void ring() {
        lock.lock();
        try {
            rings++;
            rung.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** How many times the bell has rung: read it before looking for work, and pass it to {@link #await}. */
    public long rings() {
        lock.lock();
        try {
            return rings;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until the bell rings past {@code seen}, or {@code max} has passed. Returns whether it
     * rang. An interrupt ends the wait and is kept on the thread.
     */
    public boolean await(long seen, Duration max) {
        lock.lock();
        try {
            long left = max.toNanos();
            while (rings == seen && left > 0) {
                left = rung.awaitNanos(left);
            }
            return rings != seen;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lock.unlock();
        }
    }
}
