package dev.spool.job;

import com.fasterxml.uuid.Generators;
import com.fasterxml.uuid.impl.TimeBasedEpochGenerator;
import java.util.Optional;
import java.util.UUID;

/**
 * A job's id: a UUIDv7 in its canonical lower-case text form. Ids sort by creation time, which is
 * what the list cursor relies on. Every seed vendor's id format (UUIDs, opaque strings) fits it.
 */
public record JobId(String value) implements Comparable<JobId> {
    // Monotonic within one millisecond, so ids made in a burst still sort in creation order.
    private static final TimeBasedEpochGenerator GENERATOR = Generators.timeBasedEpochGenerator();

    public JobId {
        if (!canonical(value)) {
            throw new IllegalArgumentException("not a canonical UUID: " + value);
        }
    }

    /** Whether {@code text} reads 8-4-4-4-12 lower-case hex digits: checked for every id read, so by hand. */
    private static boolean canonical(String text) {
        if (text == null || text.length() != 36) {
            return false;
        }
        for (int i = 0; i < 36; i++) {
            char ch = text.charAt(i);
            boolean ok = i == 8 || i == 13 || i == 18 || i == 23 ? ch == '-' : ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'f';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    public static JobId generate() {
        return new JobId(GENERATOR.generate().toString());
    }

    /** Parses any UUID text (any case); anything else is empty, which callers answer as not found. */
    public static Optional<JobId> parse(String text) {
        if (text == null || text.length() != 36) {
            return Optional.empty();
        }
        try {
            return Optional.of(new JobId(UUID.fromString(text).toString()));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    @Override
    public int compareTo(JobId other) {
        return value.compareTo(other.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
