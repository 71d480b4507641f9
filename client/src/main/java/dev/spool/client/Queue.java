package dev.spool.client;

import java.time.Instant;

/**
 * A queue as an operator sees it: jobs waiting (due or later) and running, how long the
 * longest-waiting due job has waited (null: none is due), and since when it is paused (null: it is not).
 */
public record Queue(String name, long queued, long running, Double oldestQueuedAgeSeconds, boolean paused, Instant pausedAt) {}
