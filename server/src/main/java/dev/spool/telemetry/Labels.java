package dev.spool.telemetry;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * One label's values, bounded: each Prometheus label value is a time series of its own, so a value
 * that comes from outside (a queue a submit names, an error code a worker reports) is taken as it
 * is only while fewer than {@code max} distinct values were seen and it looks like a name;
 * everything else is {@value #OTHER}. Types are declared, so their label is bounded by the file.
 */
public final class Labels {
    public static final String OTHER = "other";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.:-]{1,64}");

    private final int max;
    private final Set<String> seen = ConcurrentHashMap.newKeySet();

    public Labels(int max) {
        this.max = max;
    }

    /** {@code value} when it may be a label value, else {@value #OTHER}. */
    public String of(String value) {
        if (value == null || value.isEmpty()) {
            return "none";
        }
        if (seen.contains(value)) {
            return value;
        }
        if (seen.size() >= max || !NAME.matcher(value).matches()) {
            return OTHER;
        }
        seen.add(value);
        return value;
    }
}
