package dev.spool.webhook;

import dev.spool.job.JobId;
import java.time.Instant;
import java.util.Locale;

/**
 * One event on its way to one receiver: the outbox row written in the same transaction as the
 * event. Its {@code id} is the {@code webhook-id} of every try, and its {@code payload} is fixed
 * when it is written, so every try sends the same bytes.
 *
 * @param target the endpoint's id, or {@link #JOB_TARGET} for the job's own webhook
 * @param seq    the job event's sequence number: deliveries of one job to one target go in its order
 * @param authorization the {@code Authorization} header to send, when the job's submitter gave one
 */
public record Delivery(
        String id,
        String tenant,
        String target,
        JobId jobId,
        long seq,
        String eventType,
        String url,
        String format,
        String payload,
        String authorization,
        State state,
        int attempts,
        Instant nextAttemptAt,
        Integer lastStatus,
        String lastError,
        Instant createdAt,
        Instant deliveredAt,
        String traceparent) {

    public static final String JOB_TARGET = "job";

    public enum State {
        PENDING, DELIVERED, FAILED;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** One try of a delivery, as the delivery log shows it. */
    public record Attempt(String deliveryId, int attempt, Instant at, Integer status, String response, String error,
                          long durationMs) {}

    /** The outcome of a try, for the store to record. */
    public record Tried(int status, String response, String error, long durationMs) {
        public boolean delivered() {
            return status >= 200 && status < 300;
        }

        /** 410 Gone: the receiver asks never to be called again. */
        public boolean gone() {
            return status == 410;
        }
    }
}
