package dev.spool.client;

/**
 * What became of one item of a batch call: the answer (a {@link HeartbeatReply}, or the job's
 * status after a report), or the item's own refusal (stale attempt, job gone).
 */
public record BatchAnswer<T>(String id, T value, SpoolApiException error) {
    /** The value, or the item's refusal thrown. */
    public T orThrow() {
        if (error != null) {
            throw error;
        }
        return value;
    }
}
