package dev.spool.job;

import java.time.Instant;

/**
 * A queue as an operator sees it: jobs queued (due or not) and running, the earliest due queued
 * job's run_at (null: none is due), and since when it is paused (null: it is not).
 */
public record QueueState(String queue, long queued, long running, Instant oldestDue, Instant pausedAt) {}
