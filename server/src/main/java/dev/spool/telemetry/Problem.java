package dev.spool.telemetry;

import java.time.Instant;

/**
 * Something that needs a human, for {@code GET /v1/admin/problems}: its kind, what it is about
 * (a type, an endpoint, a worker, a node), how many (jobs, rows, seconds…, as {@code detail} says)
 * and since when it has been so.
 */
public record Problem(String kind, String subject, long count, Instant since, String detail) {}
