package dev.spool.engine;

import dev.spool.job.FeedEvent;
import dev.spool.job.SpoolException;
import dev.spool.store.EventLog;
import dev.spool.wake.WakeUp;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Job events as they are committed, for live subscribers (event streams, {@code Prefer: wait}).
 * One reader per node follows the events table in sequence order and hands each event to the
 * subscribers whose filter takes it; it is woken by this node's commits and by other nodes'
 * notifications, and looks on its own now and then as well.
 *
 * <p>Sequence numbers can commit out of order when several nodes write (a transaction that took
 * number 50 may commit after one that took 51), so the reader publishes past a hole only once the
 * hole has stayed open for {@link #HOLE_WAIT}: long enough for any transaction in flight to commit
 * (holes that never fill are rolled-back or deleted events). Subscribers therefore see events in
 * sequence order, each once, and a subscriber that resumes from an event id misses nothing.
 */
public final class EventFeed implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EventFeed.class);
    static final Duration HOLE_WAIT = Duration.ofSeconds(2);
    /** How often the reader looks again while a hole is open. */
    private static final Duration HOLE_LOOK = Duration.ofMillis(20);
    private static final int READ_BATCH = 1000;
    private static final int QUEUE_SIZE = 10_000;
    /** Put in every queue at shutdown, so that waiting subscribers return at once. */
    private static final FeedEvent CLOSED = new FeedEvent(null, null, null, null, null);

    /** A subscription ended by the feed: the server is stopping, or the subscriber fell too far behind. */
    public static final class CutOff extends RuntimeException {
        CutOff(String why) {
            super(why);
        }
    }

    /**
     * One subscriber's events, from {@link #from()} on (earlier ones are for it to read from the
     * store). When it falls {@value #QUEUE_SIZE} events behind it is cut off: {@link #next} then
     * throws {@link CutOff}, and the subscriber resumes from its last event id.
     */
    public final class Subscription implements AutoCloseable {
        private final Predicate<FeedEvent> filter;
        private final BlockingQueue<FeedEvent> queue = new ArrayBlockingQueue<>(QUEUE_SIZE);
        private final long from;
        private volatile boolean overflowed;

        private Subscription(Predicate<FeedEvent> filter, long from) {
            this.filter = filter;
            this.from = from;
        }

        /** The last sequence number already published when the subscription began. */
        public long from() {
            return from;
        }

        /** The next event, or null after {@code wait}; throws {@link CutOff} when the subscription ended. */
        public FeedEvent next(Duration wait) throws InterruptedException {
            if (!running) {
                throw new CutOff("the server is shutting down");
            }
            FeedEvent e = queue.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
            if (e == CLOSED) {
                throw new CutOff("the server is shutting down");
            }
            if (e == null && overflowed) {
                throw new CutOff("the subscriber fell too far behind");
            }
            return e;
        }

        private void offer(FeedEvent e) {
            if (!overflowed && filter.test(e) && !queue.offer(e)) {
                overflowed = true;
            }
        }

        @Override
        public void close() {
            subscribers.remove(this);
        }
    }

    private final EventLog store;
    private final Duration poll;
    private final List<Subscription> subscribers = new CopyOnWriteArrayList<>();
    /** Held while publishing and while subscribing, so that a subscriber misses nothing after it joined. */
    private final ReentrantLock lock = new ReentrantLock();
    /** Rung by commits here and by other nodes' notifications. */
    private final WakeUp bell = new WakeUp();
    private volatile long published;
    private volatile boolean running = true;
    private final Thread reader;

    /** @param poll how often the reader looks without being woken */
    public EventFeed(EventLog store, Duration poll) {
        this.store = store;
        this.poll = poll;
        this.published = store.eventsLast();
        store.afterEventsCommitted(this::wake);
        store.onEvents(this::wake);
        this.reader = Thread.ofPlatform().name("spool-event-feed").daemon().start(this::run);
    }

    /** Subscribes to the events that {@code filter} takes, from the next one published. */
    public Subscription subscribe(Predicate<FeedEvent> filter) {
        // Registering under the reader's lock fixes 'from': every later event reaches the queue.
        lock.lock();
        try {
            if (subscribers.isEmpty()) {
                catchUp(); // unwatched, the reader looks only now and then
            }
            Subscription s = new Subscription(filter, published);
            subscribers.add(s);
            bell.ring(); // the reader reads for it from now on
            return s;
        } finally {
            lock.unlock();
        }
    }

    private void wake() {
        bell.ring();
    }

    /**
     * With nobody subscribed there is nobody to hand events to: the reader moves past the new ones
     * by counting them instead of reading them, as long as they leave no hole (then it reads as
     * usual, and waits for the hole), and only every {@code poll}, not after every commit. Done
     * under the lock, so nobody subscribes in between. Returns whether it moved on.
     */
    private boolean skippedUnwatched() {
        lock.lock();
        try {
            return subscribers.isEmpty() && catchUp();
        } finally {
            lock.unlock();
        }
    }

    /** Moves past the events committed since the last published one, if they leave no hole; under the lock. */
    private boolean catchUp() {
        try {
            EventLog.EventSpan span = store.eventsAfter(published);
            if (span.count() != span.last() - published) {
                return false;
            }
            published = span.last();
            return true;
        } catch (RuntimeException e) {
            return false; // the reader reads them as usual
        }
    }

    private void run() {
        long holeSince = 0; // System.nanoTime() when the current hole was first seen; 0: none
        long nextSkip = 0; // System.nanoTime() before which an unwatched reader does not look
        while (running && !Thread.currentThread().isInterrupted()) {
            boolean holeOpen = false;
            long seen = bell.rings(); // a ring from here on ends the wait below at once
            try {
                long now = System.nanoTime();
                if (subscribers.isEmpty() && now - nextSkip < 0) {
                    bell.await(seen, Duration.ofNanos(nextSkip - now)); // a commit or a subscriber rings
                    continue;
                }
                if (skippedUnwatched()) {
                    holeSince = 0; // whatever hole was seen is behind us now
                    nextSkip = System.nanoTime() + poll.toNanos();
                    continue;
                }
                List<FeedEvent> events = store.eventsBetween(published, Long.MAX_VALUE, null, null, READ_BATCH);
                lock.lock();
                try {
                    for (FeedEvent e : events) {
                        long seq = e.event().seq();
                        if (seq != published + 1) {
                            if (holeSince == 0) {
                                holeSince = System.nanoTime();
                            }
                            if (System.nanoTime() - holeSince < HOLE_WAIT.toNanos()) {
                                holeOpen = true;
                                break;
                            }
                        }
                        holeSince = 0;
                        published = seq;
                        for (Subscription s : subscribers) {
                            s.offer(e);
                        }
                    }
                    if (!holeOpen) {
                        holeSince = 0;
                    }
                } finally {
                    lock.unlock();
                }
                if (events.size() == READ_BATCH && !holeOpen) {
                    continue;
                }
                bell.await(seen, holeOpen ? HOLE_LOOK : poll);
            } catch (RuntimeException e) {
                if (!SpoolException.unavailable(e)) {
                    log.warn("reading job events failed; trying again", e);
                }
                try {
                    Thread.sleep(poll.toMillis());
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }

    @Override
    public void close() {
        running = false;
        subscribers.forEach(s -> {
            s.queue.clear();
            s.queue.offer(CLOSED);
        });
        wake();
        try {
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
