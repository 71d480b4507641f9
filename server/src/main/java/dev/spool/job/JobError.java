package dev.spool.job;

/** Why an attempt failed: a short machine code, a human message, and whether another try may help. */
public record JobError(String code, String message, boolean retryable) {
    public JobError {
        code = code == null || code.isBlank() ? "error" : code;
        message = message == null ? "" : message.length() > 4000 ? message.substring(0, 4000) : message;
    }
}
