package dev.spool.client;

import java.time.Instant;
import java.util.List;

/** An external worker as the server last saw it (admin keys): the jobs it holds, and the slots it had free at its last claim. */
public record Worker(String id, String name, String keyId, List<String> types, Instant firstSeen, Instant lastSeen,
                     int jobsInHand, Integer freeSlots) {}
