package dev.spool.client;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The end of one attempt, for {@link SpoolClient#reports}: succeeded with a result, failed with an
 * error, or released (handed back unspent).
 */
public record WorkerReport(String id, int attempt, String outcome, JsonNode result, long units, String errorCode,
                           String errorMessage, boolean retryable) {
    public static WorkerReport succeeded(String id, int attempt, JsonNode result, long units) {
        return new WorkerReport(id, attempt, "succeeded", result, units, null, null, false);
    }

    public static WorkerReport failed(String id, int attempt, String code, String message, boolean retryable) {
        return new WorkerReport(id, attempt, "failed", null, 0, code, message, retryable);
    }

    public static WorkerReport released(String id, int attempt) {
        return new WorkerReport(id, attempt, "released", null, 0, null, null, false);
    }
}
