package dev.spool.webhook;

import dev.spool.job.Job;
import dev.spool.job.SpoolException;
import dev.spool.job.WebhookEvent;
import java.time.Instant;
import java.util.Set;

/**
 * A tenant's webhook endpoint: every event of the tenant's jobs of the subscribed kinds goes to
 * {@code url}. Disabled endpoints (by their owner, or by a 410 answer) get no new deliveries and
 * send none of their pending ones until enabled again.
 */
public record WebhookEndpoint(
        String id,
        String tenant,
        String url,
        Set<WebhookEvent> events,
        String description,
        String format,
        Instant disabledAt,
        String disabledReason,
        Instant createdAt,
        Instant updatedAt) {

    public WebhookEndpoint {
        events = Set.copyOf(events);
        if (events.isEmpty()) {
            throw SpoolException.invalid("events must name at least one of started, progress, succeeded, failed, cancelled");
        }
        if (url == null || url.isBlank() || url.length() > 2048) {
            throw SpoolException.invalid("url must be a URL of at most 2048 characters");
        }
        if (description != null && description.length() > 200) {
            throw SpoolException.invalid("description is longer than 200 characters");
        }
    }

    public boolean enabled() {
        return disabledAt == null;
    }

    /**
     * Whether this endpoint hears of {@code job} at all: a native endpoint of every job of its
     * tenant, an endpoint in a profile's format (Daily's account webhooks) only of the jobs
     * submitted through that profile.
     */
    public static boolean receives(String format, Job job) {
        return "native".equals(format) || format.equals(job.metadata().get(COMPAT_METADATA));
    }

    /** The metadata key that names the compatibility profile a job was submitted through. */
    public static final String COMPAT_METADATA = "spool.compat";
}
