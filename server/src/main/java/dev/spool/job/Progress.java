package dev.spool.job;

/** How far a running job has come, as its executor last reported: a fraction in [0, 1] and a message. */
public record Progress(Double fraction, String message) {
    public static final Progress NONE = new Progress(null, null);

    public Progress {
        if (fraction != null && (fraction.isNaN() || fraction < 0 || fraction > 1)) {
            throw SpoolException.invalid("progress.fraction must be between 0 and 1");
        }
        if (message != null && message.length() > 1000) {
            throw SpoolException.invalid("progress.message is longer than 1000 characters");
        }
    }
}
