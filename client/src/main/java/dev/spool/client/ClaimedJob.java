package dev.spool.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A job a worker claimed: running at {@code attempt}, which every report of it must carry, with a
 * lease kept by a heartbeat at least every {@code heartbeatIntervalMs}. {@code traceparent} is the
 * job's W3C trace context when it has one (null otherwise): start the worker's spans under it.
 */
public record ClaimedJob(String id, String type, String queue, String tenant, int attempt, JsonNode input,
                         Map<String, String> metadata, int timeoutSeconds, Instant leaseExpiresAt, long heartbeatIntervalMs,
                         List<InputFile> inputs, String traceparent) {
    /** A file uploaded with the job; {@code url} fetches it without an API key until it expires. */
    public record InputFile(String name, String contentType, long size, String sha256, String url) {}
}
