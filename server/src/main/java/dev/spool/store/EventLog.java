package dev.spool.store;

import dev.spool.job.FeedEvent;
import dev.spool.job.JobId;
import java.util.List;

/**
 * The job events of every tenant in the order they were committed (their {@code seq}): what the
 * live feeds read. The events themselves are written by the {@link Store} with each transition.
 */
public sealed interface EventLog permits JdbcEventLog {
    /**
     * Events with {@code after < seq <= upTo}, oldest first, at most {@code limit}; only {@code
     * tenant}'s when it is not null, only {@code job}'s when that is not null.
     */
    List<FeedEvent> eventsBetween(long after, long upTo, String tenant, JobId job, int limit);

    /** The highest event sequence number committed so far (0 when there is none). */
    long eventsLast();

    /** How many events are committed with a sequence number above some point, and the highest of them. */
    record EventSpan(long count, long last) {}

    /** The events committed with {@code seq > after}, counted; {@code last} is {@code after} when there are none. */
    EventSpan eventsAfter(long after);

    /** Calls {@code listener} after every commit of this store's writes that recorded job events: it must only signal, never block. */
    void afterEventsCommitted(Runnable listener);

    /**
     * Calls {@code wakeUp} when another process recorded job events. Best effort, like {@link
     * #onClaimable}: whoever waits for events also looks now and then.
     */
    void onEvents(Runnable wakeUp);
}
