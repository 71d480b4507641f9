package dev.spool.client;

import java.time.Instant;

/** A job's file: an input sent with it, or an output an executor made; {@code url} downloads it without a key until {@code expiresAt}. */
public record Artifact(String name, String kind, String contentType, long size, String sha256, String url, Instant expiresAt,
                       Instant createdAt) {}
