package dev.spool.client;

import java.time.Instant;

/** One line of a job's log: its sequence number, when it was written, by which attempt. */
public record LogLine(long seq, Instant at, int attempt, String line) {}
