package dev.spool.job;

import java.time.Instant;

/**
 * A cron schedule of one tenant: at each tick of {@code cron} in {@code timezone}, the job that
 * {@code job} (a submit body, JSON) describes is submitted with the key of the one who made it.
 *
 * @param overlap   {@code allow}, or {@code skip}: no job for a tick while the last one is queued or running
 * @param missed    what ticks that no node fired in time (all were down) become: {@code run_once}, one job
 *                  for the latest of them, or {@code skip}, none
 * @param nextRunAt the next tick to fire; null while paused
 */
public record Schedule(String id, String tenant, String keyId, String name, String cron, String timezone, String job,
                       String overlap, String missed, boolean paused, Instant nextRunAt, Instant lastRunAt,
                       String lastJobId, Instant createdAt, Instant updatedAt) {}
