package dev.spool.job;

/** The one exception type Spool raises for an expected failure; {@link ErrorCode} says which. */
public final class SpoolException extends RuntimeException {
    private final ErrorCode code;

    public SpoolException(ErrorCode code, String detail) {
        super(detail, null, false, false);
        this.code = code;
    }

    public SpoolException(ErrorCode code, String detail, Throwable cause) {
        super(detail, cause, false, false);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
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
