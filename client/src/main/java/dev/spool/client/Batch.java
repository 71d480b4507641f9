package dev.spool.client;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Jobs submitted together: counts per status, whether all have ended, and each member's status. */
public record Batch(String id, Instant createdAt, int total, Map<String, Long> counts, boolean done, List<Member> jobs) {
    public record Member(String id, String status) {}
}
