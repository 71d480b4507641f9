package dev.spool.job;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.random.RandomGenerator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * When a webhook delivery is tried again: after each failed try, the next delay of the list (with
 * up to 10% jitter either way, so that receivers coming back are not hit by every retry at once);
 * once the list is spent, never. The default spans about three days.
 */
public record RetrySchedule(List<Duration> delays) {
    public static final String DEFAULT = "5s,30s,2m,10m,30m,1h,3h,6h,12h,24h,24h";
    private static final Pattern DELAY = Pattern.compile("(\\d{1,9})(ms|s|m|h|d)");

    public RetrySchedule {
        delays = List.copyOf(delays);
    }

    /** Parses {@code 5s,30s,2m,...}: each delay a whole number of ms, s, m, h or d. */
    public static RetrySchedule parse(String text) {
        List<Duration> delays = new ArrayList<>();
        for (String part : text.split(",")) {
            Matcher m = DELAY.matcher(part.trim());
            if (!m.matches()) {
                throw new IllegalArgumentException("webhooks.retry_schedule must list delays such as 5s,30s,2m,1h,1d; '"
                        + part.trim() + "' is not one");
            }
            long n = Long.parseLong(m.group(1));
            delays.add(switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            });
        }
        return new RetrySchedule(delays);
    }

    /** The wait after the {@code tries}-th failed try (1 for the first), or empty when it was the last. */
    public Optional<Duration> after(int tries, RandomGenerator random) {
        if (tries < 1 || tries > delays.size()) {
            return Optional.empty();
        }
        long ms = delays.get(tries - 1).toMillis();
        long jitter = ms / 10;
        return Optional.of(Duration.ofMillis(ms - jitter + (jitter == 0 ? 0 : random.nextLong(2 * jitter + 1))));
    }

    /** How long the whole schedule lasts, without jitter. */
    public Duration total() {
        return delays.stream().reduce(Duration.ZERO, Duration::plus);
    }
}
