package dev.spool.engine;

import dev.spool.job.ErrorCode;
import dev.spool.job.InputFile;
import dev.spool.job.SpoolException;
import java.io.InputStream;

/**
 * What a submit needs from outside the engine: a place for its input files, the guarded fetch of
 * its URL sources, and the check of its webhook URL. Server wires it to the artifact store, the
 * source fetcher and the webhook policy; the engine decides when each is used.
 */
public interface Intake {
    /** Stores an input file's bytes (an upload, or a text source) before the job exists. */
    InputFile store(String name, String contentType, InputStream content);

    /** Fetches a URL source through the sources policy; the caller reads the body once and closes it. */
    Fetched fetch(String url);

    /** A fetched source. */
    record Fetched(String contentType, InputStream body) {}

    /** Refuses, as {@code INVALID_REQUEST} naming {@code field}, a webhook URL that would never be called. */
    void checkWebhookUrl(String field, String url);

    /**
     * Admits {@code jobs} new jobs of {@code tenant}, submitted with {@code keyId}, whose input
     * files hold {@code inputBytes}, or refuses them: {@code RATE_LIMITED} past the submit rates,
     * {@code QUOTA_EXCEEDED} past the file quota. Called before anything of them is stored.
     */
    default void admit(String tenant, String keyId, int jobs, long inputBytes) {}

    /** For an engine that takes no files, no URL sources and no webhooks (some tests): each is refused. */
    Intake NONE = new Intake() {
        @Override
        public InputFile store(String name, String contentType, InputStream content) {
            throw new SpoolException(ErrorCode.INVALID_REQUEST, "This server takes no input files.");
        }

        @Override
        public Fetched fetch(String url) {
            throw new SpoolException(ErrorCode.INVALID_REQUEST, "This server fetches no sources.");
        }

        @Override
        public void checkWebhookUrl(String field, String url) {
            throw SpoolException.invalid(field + " is refused: this server sends no webhooks.");
        }
    };
}
