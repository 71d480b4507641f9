package dev.spool.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spool.job.ErrorCode;
import dev.spool.job.SpoolException;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;

/**
 * RFC 9457 problem details. Every error answer Spool gives is one of these, with {@code type}
 * {@code urn:spool:problem:<code>} and the code again as the {@code code} member.
 */
public final class Problems {
    static final String MEDIA_TYPE = "application/problem+json";

    private Problems() {}

    /** The one mapping from error code to HTTP status and title. */
    static Status status(ErrorCode code) {
        return switch (code) {
            case INVALID_JSON, INVALID_REQUEST, INVALID_CURSOR -> Status.BAD_REQUEST_400;
            case UNAUTHENTICATED -> Status.UNAUTHORIZED_401;
            case FORBIDDEN -> Status.FORBIDDEN_403;
            case NOT_FOUND -> Status.NOT_FOUND_404;
            case INVALID_STATE, STALE_ATTEMPT -> Status.CONFLICT_409;
            case PAYLOAD_TOO_LARGE -> Status.REQUEST_ENTITY_TOO_LARGE_413;
            case RANGE_NOT_SATISFIABLE -> Status.REQUESTED_RANGE_NOT_SATISFIABLE_416;
            case UNSUPPORTED_MEDIA_TYPE -> Status.UNSUPPORTED_MEDIA_TYPE_415;
            case INVALID_INPUT, UNKNOWN_TYPE, IDEMPOTENCY_MISMATCH -> Status.UNPROCESSABLE_CONTENT_422;
            case RATE_LIMITED, QUOTA_EXCEEDED -> Status.TOO_MANY_REQUESTS_429;
            case UNAVAILABLE -> Status.SERVICE_UNAVAILABLE_503;
            case INTERNAL -> Status.INTERNAL_SERVER_ERROR_500;
        };
    }

    static String title(ErrorCode code) {
        return switch (code) {
            case INVALID_JSON -> "The body is not valid JSON";
            case INVALID_REQUEST -> "The request is not valid";
            case INVALID_INPUT -> "The input does not match the job type's schema";
            case UNKNOWN_TYPE -> "Unknown job type";
            case INVALID_CURSOR -> "Invalid cursor";
            case UNAUTHENTICATED -> "Missing or invalid API key";
            case FORBIDDEN -> "Not allowed for this API key";
            case NOT_FOUND -> "Not found";
            case INVALID_STATE -> "Not possible in the job's current status";
            case STALE_ATTEMPT -> "Stale attempt";
            case IDEMPOTENCY_MISMATCH -> "Idempotency key reused with a different request";
            case PAYLOAD_TOO_LARGE -> "Request body too large";
            case RANGE_NOT_SATISFIABLE -> "Range not satisfiable";
            case UNSUPPORTED_MEDIA_TYPE -> "Unsupported content type";
            case RATE_LIMITED -> "Rate limit exceeded";
            case QUOTA_EXCEEDED -> "Quota exceeded";
            case UNAVAILABLE -> "Service unavailable";
            case INTERNAL -> "Internal error";
        };
    }

    static byte[] body(ErrorCode code, String detail) {
        return Json.bytes(problem(code, detail));
    }

    /** A problem's fields, as a body and as the answer to one refused item of a batch call. */
    static ObjectNode problem(ErrorCode code, String detail) {
        ObjectNode problem = Json.MAPPER.createObjectNode();
        problem.put("type", "urn:spool:problem:" + code.wireName());
        problem.put("title", title(code));
        problem.put("status", status(code).code());
        problem.put("detail", detail);
        problem.put("code", code.wireName());
        return problem;
    }

    /** How long a client should wait before retrying a 503: the database or the server will be back soon, or not at all. */
    private static final String RETRY_AFTER_SECONDS = "1";

    /** Tells the client when to try again; every {@code UNAVAILABLE} answer, native or a profile's, has it. */
    public static void retryAfter(ServerResponse res) {
        res.header(HeaderNames.RETRY_AFTER, RETRY_AFTER_SECONDS);
    }

    static void send(ServerResponse res, SpoolException e) {
        e.headers().forEach((name, value) -> res.header(HeaderNames.create(name), value));
        send(res, e.code(), e.getMessage());
    }

    static void send(ServerResponse res, ErrorCode code, String detail) {
        res.status(status(code));
        res.header(HeaderNames.CONTENT_TYPE, MEDIA_TYPE);
        if (code == ErrorCode.UNAUTHENTICATED) {
            res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer");
        }
        if (code == ErrorCode.UNAVAILABLE) {
            retryAfter(res);
        }
        res.send(body(code, detail));
    }
}
