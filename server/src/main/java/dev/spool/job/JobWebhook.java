package dev.spool.job;

import java.util.Set;

/**
 * A job's own webhook, given at submit: where to send which of its events, and in which format
 * ({@code native}, or a compatibility profile's).
 */
public record JobWebhook(String url, Set<WebhookEvent> events, String format) {
    public JobWebhook {
        if (url == null || url.isBlank() || url.length() > 2048) {
            throw SpoolException.invalid("webhook.url must be a URL of at most 2048 characters");
        }
        events = Set.copyOf(events == null || events.isEmpty() ? WebhookEvent.TERMINAL : events);
        format = format == null ? "native" : format;
    }

    public boolean wants(WebhookEvent event) {
        return events.contains(event);
    }
}
