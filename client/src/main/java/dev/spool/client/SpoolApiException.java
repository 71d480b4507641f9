package dev.spool.client;

/**
 * An error answer from the server, as its RFC 9457 problem details.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc9457">RFC 9457</a>
 */
public final class SpoolApiException extends RuntimeException {
    private final int status;
    private final String code;
    private final String title;
    private final String detail;
    private volatile java.time.Duration retryAfter;

    public SpoolApiException(int status, String code, String title, String detail) {
        super(status + " " + code + ": " + (detail == null ? title : detail));
        this.status = status;
        this.code = code;
        this.title = title;
        this.detail = detail;
    }

    /** The HTTP status. */
    public int status() {
        return status;
    }

    /** The machine-readable error code, such as {@code not_found} or {@code invalid_input}. */
    public String code() {
        return code;
    }

    public String title() {
        return title;
    }

    public String detail() {
        return detail;
    }

    /**
     * How long the server asked to wait before trying again ({@code Retry-After}): set on {@code
     * 429 rate_limited} and {@code 503 unavailable} answers; empty otherwise.
     */
    public java.util.Optional<java.time.Duration> retryAfter() {
        return java.util.Optional.ofNullable(retryAfter);
    }

    void retryAfter(java.time.Duration wait) {
        this.retryAfter = wait;
    }
}
