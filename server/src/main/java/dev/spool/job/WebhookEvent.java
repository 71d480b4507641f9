package dev.spool.job;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** The job events a webhook can subscribe to; each is the history entry of the same name. */
public enum WebhookEvent {
    STARTED, PROGRESS, SUCCEEDED, FAILED, CANCELLED;

    /** What a job's own webhook is sent when it names no events: the endings. */
    public static final Set<WebhookEvent> TERMINAL = Set.copyOf(EnumSet.of(SUCCEEDED, FAILED, CANCELLED));

    /** The name in subscriptions: {@code succeeded}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The {@code type} of the payload: {@code job.succeeded}. */
    public String type() {
        return "job." + wireName();
    }

    /** The webhook event a history entry is, if any ({@code submitted} or {@code retry_scheduled} are none). */
    public static Optional<WebhookEvent> ofEventKind(String kind) {
        for (WebhookEvent e : values()) {
            if (e.wireName().equals(kind)) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }

    /** Parses a subscription name, accepting {@code succeeded} and {@code job.succeeded}. */
    public static WebhookEvent parse(String name) {
        String n = name == null ? "" : name.startsWith("job.") ? name.substring(4) : name;
        return ofEventKind(n).orElseThrow(() -> SpoolException.invalid(
                "unknown webhook event '" + name + "'; events are started, progress, succeeded, failed and cancelled"));
    }
}
