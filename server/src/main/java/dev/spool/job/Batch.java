package dev.spool.job;

import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** Jobs submitted together, with the status of each member and counts per status. */
public record Batch(String id, String tenant, Instant createdAt, List<Member> members) {
    public record Member(JobId id, JobStatus status) {}

    public Map<JobStatus, Long> counts() {
        var counts = new EnumMap<JobStatus, Long>(JobStatus.class);
        for (JobStatus s : JobStatus.values()) {
            counts.put(s, 0L);
        }
        members.forEach(m -> counts.merge(m.status(), 1L, Long::sum));
        return counts;
    }
}
