package dev.spool.job;

import java.util.regex.Pattern;

/** The rule for the name of a job's file (an input or an output): a plain name, never a path. */
public final class FileName {
    /** Plain file names: no path separators, no control characters, nothing that climbs out of a folder. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.\\- ]{0,199}");

    private FileName() {}

    /** {@code name} when it is a plain file name; else INVALID_REQUEST saying what a name may be. */
    public static String check(String name) {
        if (name == null || !NAME.matcher(name).matches() || name.contains("..") || name.endsWith(" ") || name.endsWith(".")) {
            throw SpoolException.invalid("An artifact name is 1 to 200 letters, digits, '_', '-', '.' or spaces, "
                    + "starts with a letter, digit or '_', and has no '..': not '" + name + "'.");
        }
        return name;
    }
}
