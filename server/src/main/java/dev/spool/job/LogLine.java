package dev.spool.job;

import java.time.Instant;

/** One line a worker appended to a job's log during an attempt. */
public record LogLine(long seq, Instant at, int attempt, String line) {}
