package dev.spool.job;

import java.time.Instant;

/** When a finished job was made, first started and ended, and how: what the console's overview charts. */
public record JobTiming(JobStatus status, Instant createdAt, Instant startedAt, Instant endedAt) {}
