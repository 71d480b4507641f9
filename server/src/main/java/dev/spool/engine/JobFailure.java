package dev.spool.engine;

import dev.spool.job.JobError;

/** Thrown by a handler for a failure it understands; {@code retryable} says whether to try again. */
public final class JobFailure extends Exception {
    private final JobError error;

    public JobFailure(String code, String message, boolean retryable) {
        super(message, null, false, false);
        this.error = new JobError(code, message, retryable);
    }

    public JobError error() {
        return error;
    }
}
