package dev.spool.job;

import java.util.Map;

/** The one exception type Spool raises for an expected failure; {@link ErrorCode} says which. */
public final class SpoolException extends RuntimeException {
    private final ErrorCode code;
    private final Map<String, String> headers;

    public SpoolException(ErrorCode code, String detail) {
        this(code, detail, Map.of());
    }

    /** @param headers what the answer carries besides its body, such as {@code Retry-After} */
    public SpoolException(ErrorCode code, String detail, Map<String, String> headers) {
        super(detail, null, false, false);
        this.code = code;
        this.headers = Map.copyOf(headers);
    }

    public SpoolException(ErrorCode code, String detail, Throwable cause) {
        super(detail, cause, false, false);
        this.code = code;
        this.headers = Map.of();
    }

    public ErrorCode code() {
        return code;
    }

    /** Headers the answer carries besides its body (a rate limit's {@code Retry-After} and state), in any shape it is given. */
    public Map<String, String> headers() {
        return headers;
    }

    /**
     * True when {@code e} is the store's word that the database cannot be reached right now. The
     * store logs an outage once; background loops that meet it retry quietly.
     */
    public static boolean unavailable(Throwable e) {
        return e instanceof SpoolException s && s.code() == ErrorCode.UNAVAILABLE;
    }

    public static SpoolException invalid(String detail) {
        return new SpoolException(ErrorCode.INVALID_REQUEST, detail);
    }

    public static SpoolException notFound(String what) {
        return new SpoolException(ErrorCode.NOT_FOUND, "No " + what + " with this id.");
    }
}
