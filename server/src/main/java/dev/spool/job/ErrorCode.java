package dev.spool.job;

import java.util.Locale;

/**
 * The closed set of errors Spool reports. Each maps to one HTTP status in one exhaustive switch in
 * the HTTP layer; the wire name is the lower-case enum name.
 */
public enum ErrorCode {
    /** The body is not well-formed JSON. */
    INVALID_JSON,
    /** The request is well-formed but a field is missing, unknown, of the wrong type or out of range. */
    INVALID_REQUEST,
    /** The job's input does not satisfy its type's input schema. */
    INVALID_INPUT,
    /** The job type is not declared. */
    UNKNOWN_TYPE,
    /** A list cursor that this server did not issue. */
    INVALID_CURSOR,
    /** No API key, or one that is unknown or revoked. */
    UNAUTHENTICATED,
    /** A valid key whose role does not allow this call. */
    FORBIDDEN,
    /** No such resource for this tenant (also: it exists, but belongs to another tenant). */
    NOT_FOUND,
    /** The job is not in a status that allows this action. */
    INVALID_STATE,
    /** A worker report for an attempt that is no longer the job's current one. */
    STALE_ATTEMPT,
    /** The same idempotency key was used with a different request body. */
    IDEMPOTENCY_MISMATCH,
    /** The body is larger than the configured limit. */
    PAYLOAD_TOO_LARGE,
    /** A Range header no part of the file satisfies. */
    RANGE_NOT_SATISFIABLE,
    /** The content type is not one this route accepts. */
    UNSUPPORTED_MEDIA_TYPE,
    /** The caller sent more requests or submits than its rate limit allows; {@code Retry-After} says when to try again. */
    RATE_LIMITED,
    /** The tenant is at a quota (jobs queued at once, file bytes kept); it frees up as its work finishes. */
    QUOTA_EXCEEDED,
    /** The server is shutting down or not ready. */
    UNAVAILABLE,
    /** A bug or an unexpected failure; details are in the server log, never in the answer. */
    INTERNAL;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
