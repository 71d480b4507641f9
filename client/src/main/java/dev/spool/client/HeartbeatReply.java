package dev.spool.client;

import java.time.Instant;

/** The answer to a heartbeat: stop the work when {@code cancelRequested} is true. */
public record HeartbeatReply(String status, boolean cancelRequested, Instant leaseExpiresAt) {}
