package dev.spool.client;

import java.time.Instant;
import java.util.List;

/** A tenant's webhook endpoint; {@code secret} (its signing secret) only in the answer that created it. */
public record WebhookEndpoint(String id, String url, List<String> events, String description, boolean enabled,
                              String disabledReason, Instant createdAt, Instant updatedAt, String secret) {}
