package dev.spool.job;

import java.util.Set;

/**
 * A job's own webhook, given at submit: where to send which of its events, in which format
 * ({@code native}, or a compatibility profile's), and the {@code Authorization} header value to
 * send with it, if the submitter asked for one (Hamsa's {@code webhookAuth}).
 */
public record JobWebhook(String url, Set<WebhookEvent> events, String format, String authorization) {
    public JobWebhook {
        if (url == null || url.isBlank() || url.length() > 2048) {
            throw SpoolException.invalid("webhook.url must be a URL of at most 2048 characters");
        }
        events = Set.copyOf(events == null || events.isEmpty() ? WebhookEvent.TERMINAL : events);
        format = format == null ? "native" : format;
        if (authorization != null && (authorization.length() > 1024 || authorization.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f))) {
            throw SpoolException.invalid("the webhook's authorization header must be at most 1024 characters with no control characters");
        }
    }

    public JobWebhook(String url, Set<WebhookEvent> events, String format) {
        this(url, events, format, null);
    }

    public boolean wants(WebhookEvent event) {
        return events.contains(event);
    }

    /** Without the authorization value, which is a secret of the submitter's. */
    @Override
    public String toString() {
        return "JobWebhook[url=" + url + ", events=" + events + ", format=" + format
                + ", authorization=" + (authorization == null ? "none" : "<redacted>") + "]";
    }
}
