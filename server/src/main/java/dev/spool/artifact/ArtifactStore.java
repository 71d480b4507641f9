package dev.spool.artifact;

import java.io.IOException;
import java.io.InputStream;

/** Bytes by SHA-256. Implementations are safe to share between threads and between nodes. */
public interface ArtifactStore {
    /** Bytes stored: their SHA-256 (lower-case hex) and length. */
    record Blob(String sha256, long size) {}

    /**
     * Streams {@code content} in, hashing it on the way; refuses with {@code PAYLOAD_TOO_LARGE} as
     * soon as it passes {@code maxBytes}, keeping nothing. Storing bytes already there keeps one
     * copy and marks it as stored now.
     */
    Blob put(InputStream content, long maxBytes) throws IOException;

    /** The bytes from {@code offset} on; the caller closes the stream. */
    InputStream open(String sha256, long offset) throws IOException;

    /**
     * Forgets the bytes, unless they were stored (or stored again) at or after {@code storedBefore}:
     * an upload of the same bytes racing the delete keeps them. No error if they are not there.
     */
    void delete(String sha256, java.time.Instant storedBefore) throws IOException;

    /** A short description for logs. */
    String describe();
}
