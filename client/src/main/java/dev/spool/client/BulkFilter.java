package dev.spool.client;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Which jobs a bulk cancel, retry or delete acts on: the list's filters (at least one, or {@link
 * #everyJob}); {@code dryRun} only counts them. Build one with {@link #none} and the {@code with*} methods.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BulkFilter(List<String> status, String type, String queue, String batchId, Map<String, String> metadata,
                         Instant createdAfter, Instant createdBefore, Boolean all, Boolean dryRun) {
    /** No filter yet: add one, or the server refuses the call. */
    public static BulkFilter none() {
        return new BulkFilter(null, null, null, null, null, null, null, null, null);
    }

    /** Every job of the tenant that the action applies to. */
    public static BulkFilter everyJob() {
        return new BulkFilter(null, null, null, null, null, null, null, true, null);
    }

    public BulkFilter withStatus(String... statuses) {
        return new BulkFilter(List.of(statuses), type, queue, batchId, metadata, createdAfter, createdBefore, all, dryRun);
    }

    public BulkFilter withType(String type) {
        return new BulkFilter(status, type, queue, batchId, metadata, createdAfter, createdBefore, all, dryRun);
    }

    public BulkFilter withQueue(String queue) {
        return new BulkFilter(status, type, queue, batchId, metadata, createdAfter, createdBefore, all, dryRun);
    }

    public BulkFilter withBatchId(String batchId) {
        return new BulkFilter(status, type, queue, batchId, metadata, createdAfter, createdBefore, all, dryRun);
    }

    public BulkFilter withMetadata(Map<String, String> metadata) {
        return new BulkFilter(status, type, queue, batchId, metadata, createdAfter, createdBefore, all, dryRun);
    }

    public BulkFilter withCreated(Instant after, Instant before) {
        return new BulkFilter(status, type, queue, batchId, metadata, after, before, all, dryRun);
    }

    /** Only count the jobs the action would touch. */
    public BulkFilter asDryRun() {
        return new BulkFilter(status, type, queue, batchId, metadata, createdAfter, createdBefore, all, true);
    }
}
