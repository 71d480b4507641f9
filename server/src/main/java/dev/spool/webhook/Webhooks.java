package dev.spool.webhook;


import dev.spool.job.ErrorCode;
import dev.spool.job.JobId;
import dev.spool.job.Page;
import dev.spool.job.SpoolException;
import dev.spool.job.WebhookEvent;
import dev.spool.net.OutboundPolicy;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What tenants do with webhooks: register endpoints (their URLs checked against the {@link
 * OutboundPolicy} first, and again by the dispatcher on every connection), read and rotate signing
 * secrets, read the delivery log and replay a delivery. Every call is scoped to one tenant.
 */
public final class Webhooks {
    /** The id under which a tenant's secret for jobs' own webhooks is read and rotated. */
    public static final String DEFAULT_SECRET = "default";
    public static final int MAX_ENDPOINTS = 50;

    /** A new endpoint with its secret, which is shown this once (and again at {@code /secret}). */
    public record Created(WebhookEndpoint endpoint, String secret) {}

    /** A change to an endpoint; null fields stay as they are. */
    public record Change(String url, Set<WebhookEvent> events, String description, Boolean enabled) {}

    private final WebhookStore store;
    private final OutboundPolicy policy;
    private final InstantSource clock;

    public Webhooks(WebhookStore store, OutboundPolicy policy, InstantSource clock) {
        this.store = store;
        this.policy = policy;
        this.clock = clock;
    }

    /** The owner of the secret that signs deliveries to {@code target} of a tenant. */
    static String owner(String tenant, String target) {
        return target.equals(Delivery.JOB_TARGET) || target.equals(DEFAULT_SECRET) ? "tenant:" + tenant : target;
    }

    /** Refuses a webhook URL that the dispatcher would refuse to call, with the reason. */
    public void checkUrl(String field, String url) {
        try {
            policy.check(url);
        } catch (OutboundPolicy.Refused e) {
            throw SpoolException.invalid(field + " is refused: " + e.getMessage());
        }
    }

    public Created create(String tenant, String url, Set<WebhookEvent> events, String description) {
        return create(tenant, url, events, description, "native");
    }

    /**
     * An endpoint whose bodies are in {@code format}: {@code native}, or a compatibility profile's
     * (which then hears only of the jobs submitted through that profile).
     */
    public Created create(String tenant, String url, Set<WebhookEvent> events, String description, String format) {
        checkUrl("url", url);
        if (store.webhookList(tenant).size() >= MAX_ENDPOINTS) {
            throw SpoolException.invalid("a tenant may register at most " + MAX_ENDPOINTS + " webhook endpoints");
        }
        Instant now = clock.instant();
        WebhookEndpoint endpoint = new WebhookEndpoint("wh_" + JobId.generate().value().replace("-", ""), tenant, url,
                events, description, format, null, null, now, now);
        String secret = Signer.newSecret();
        store.webhookInsert(endpoint, secret);
        return new Created(endpoint, secret);
    }

    public List<WebhookEndpoint> list(String tenant) {
        return store.webhookList(tenant);
    }

    public WebhookEndpoint get(String tenant, String id) {
        return store.webhookGet(tenant, id).orElseThrow(() -> SpoolException.notFound("webhook endpoint"));
    }

    public WebhookEndpoint change(String tenant, String id, Change change) {
        WebhookEndpoint e = get(tenant, id);
        if (change.url() != null) {
            checkUrl("url", change.url());
        }
        Instant now = clock.instant();
        boolean enabled = change.enabled() != null ? change.enabled() : e.enabled();
        WebhookEndpoint changed = new WebhookEndpoint(e.id(), tenant,
                change.url() != null ? change.url() : e.url(),
                change.events() != null ? change.events() : e.events(),
                change.description() != null ? change.description() : e.description(),
                e.format(),
                enabled ? null : e.disabledAt() != null ? e.disabledAt() : now,
                enabled ? null : e.disabledReason() != null ? e.disabledReason() : "disabled by its owner",
                e.createdAt(), now);
        return store.webhookUpdate(changed).orElseThrow(() -> SpoolException.notFound("webhook endpoint"));
    }

    public void delete(String tenant, String id) {
        if (!store.webhookDelete(tenant, id, clock.instant())) {
            throw SpoolException.notFound("webhook endpoint");
        }
    }

    /** The signing secret of an endpoint, or with {@link #DEFAULT_SECRET} the one for jobs' own webhooks. */
    public SigningSecret secret(String tenant, String id) {
        return store.signingSecret(secretOwner(tenant, id), Signer::newSecret);
    }

    /** Makes a new secret; the old one keeps signing too for {@code overlap}. */
    public SigningSecret rotate(String tenant, String id, Duration overlap) {
        String owner = secretOwner(tenant, id);
        if (overlap.isNegative() || overlap.compareTo(Duration.ofDays(7)) > 0) {
            throw SpoolException.invalid("keep_previous_seconds must be between 0 and 604800");
        }
        return store.signingRotate(owner, Signer.newSecret(), Signer::newSecret, clock.instant().plus(overlap));
    }

    /** The owner of the secret {@code id} names: the tenant's default, or one of its endpoints (404 for another's). */
    private String secretOwner(String tenant, String id) {
        if (!id.equals(DEFAULT_SECRET)) {
            get(tenant, id);
        }
        return owner(tenant, id);
    }

    /** Deliveries to one endpoint (or {@code job} for jobs' own webhooks) or of one job, newest first. */
    public Page<Delivery> deliveries(String tenant, String target, JobId job, String before, int limit) {
        if (target != null && !target.equals(Delivery.JOB_TARGET)) {
            get(tenant, target);
        }
        return store.deliveryList(tenant, target, job, before, limit);
    }

    /** How many of the tenant's deliveries ended since {@code since}: {@code delivered} and {@code failed}. */
    public Map<String, Long> outcomes(String tenant, Instant since) {
        return store.deliveryOutcomes(tenant, since);
    }

    public Delivery delivery(String tenant, String id) {
        return store.deliveryGet(tenant, id).orElseThrow(() -> SpoolException.notFound("delivery"));
    }

    public List<Delivery.Attempt> attempts(Delivery delivery) {
        return store.deliveryAttempts(delivery.id());
    }

    /** Sends a delivery again now, with the same {@code webhook-id} and body; refused while its endpoint is disabled. */
    public Delivery replay(String tenant, String id) {
        Delivery d = delivery(tenant, id);
        if (!d.target().equals(Delivery.JOB_TARGET)) {
            WebhookEndpoint e = store.webhookGet(tenant, d.target()).orElseThrow(() -> new SpoolException(
                    ErrorCode.INVALID_STATE, "The delivery's endpoint was deleted; there is nowhere to send it."));
            if (!e.enabled()) {
                throw new SpoolException(ErrorCode.INVALID_STATE, "The delivery's endpoint is disabled ("
                        + e.disabledReason() + "); enable it with PATCH /v1/webhooks/" + e.id() + " first.");
            }
        }
        return store.deliveryReplay(tenant, id, clock.instant()).orElseThrow(() -> SpoolException.notFound("delivery"));
    }
}
