package dev.spool.job;

import java.time.Instant;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A file that goes with a job: an {@code input} uploaded with it, or an {@code output} its executor
 * uploaded. The bytes are in the artifact store under {@code sha256}; this names and describes them.
 */
public record Artifact(JobId jobId, Kind kind, String name, int attempt, String contentType, long size, String sha256,
                       Instant createdAt) {
    public enum Kind {
        INPUT, OUTPUT;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Plain file names: no path separators, no control characters, nothing that climbs out of a folder. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.\\- ]{0,199}");

    public static String checkName(String name) {
        if (name == null || !NAME.matcher(name).matches() || name.contains("..") || name.endsWith(" ") || name.endsWith(".")) {
            throw SpoolException.invalid("An artifact name is 1 to 200 letters, digits, '_', '-', '.' or spaces, "
                    + "starts with a letter, digit or '_', and has no '..': not '" + name + "'.");
        }
        return name;
    }
}
