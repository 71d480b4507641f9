package dev.spool.webhook;

import dev.spool.job.JobId;
import dev.spool.job.Page;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Webhook endpoints with their signing secrets, and the outbox of deliveries: the rows the
 * job's transitions wrote in their own transactions, leased by dispatchers, tried and pruned.
 */
public interface WebhookStore {
    /**
     * Job events waiting in the outbox (written in each event's transaction when the job has its own
     * webhook or its tenant has an endpoint), oldest first, at most {@code limit}.
     */
    List<OutboxEvent> outboxNext(int limit);

    /** A delivery planned for an outbox event: to which receiver, where, and the body in its format. */
    record Planned(String target, String url, String format, String payload, String authorization) {}

    /** What one outbox event becomes: its deliveries, none when nobody receives it. */
    record Expansion(OutboxEvent event, List<Planned> deliveries) {}

    /**
     * Replaces outbox events by their deliveries, in one transaction. An event another node expanded
     * first is skipped, so each becomes its deliveries once. Returns how many this call expanded.
     */
    int outboxExpand(List<Expansion> expansions, Instant now);

    /** Stores a new endpoint with its first signing secret. */
    void webhookInsert(WebhookEndpoint endpoint, String secret);

    Optional<WebhookEndpoint> webhookGet(String tenant, String id);

    /** A tenant's endpoints, oldest first. */
    List<WebhookEndpoint> webhookList(String tenant);

    /**
     * Replaces an endpoint's url, events, description and disabled state (its pending deliveries
     * go to the new url); empty when the tenant has no such endpoint.
     */
    Optional<WebhookEndpoint> webhookUpdate(WebhookEndpoint endpoint);

    /** Deletes an endpoint with its secret; its pending deliveries fail. False when there was none. */
    boolean webhookDelete(String tenant, String id, Instant now);

    /** The signing secret of {@code owner}, created with {@code create} if it has none yet. */
    SigningSecret signingSecret(String owner, Supplier<String> create);

    /** Makes {@code secret} the owner's secret; the one it replaces stays valid until {@code previousUntil}. */
    SigningSecret signingRotate(String owner, String secret, Supplier<String> create,
                                              Instant previousUntil);

    /**
     * Leases up to {@code limit} deliveries that are due now for {@code lease}: pending, not leased,
     * their endpoint enabled, and with no earlier pending delivery of the same job to the same target
     * (so each receiver gets a job's events in their order). A delivery is never leased to two at once.
     */
    List<Delivery> deliveryClaim(Instant now, Duration lease, int limit);

    /**
     * Records a try of a leased delivery: delivered on 2xx; on 410 failed, and its endpoint
     * disabled (or, for a job's own webhook, the job's other pending deliveries failed too);
     * otherwise pending again at {@code retryAt}, or failed when that is null.
     */
    void deliveryTried(Delivery delivery, Delivery.Tried tried, Instant retryAt, Instant now);

    /**
     * A tenant's deliveries, newest first: of one target when {@code target} is not null, of one job
     * when {@code job} is not null; only those with an id below {@code before} when that is not null.
     */
    Page<Delivery> deliveryList(String tenant, String target, JobId job, String before, int limit);

    Optional<Delivery> deliveryGet(String tenant, String id);

    /** How many of the tenant's deliveries ended (delivered or failed) at or after {@code since}, by state. */
    Map<String, Long> deliveryOutcomes(String tenant, Instant since);

    /** The tries of a delivery, first first. */
    List<Delivery.Attempt> deliveryAttempts(String deliveryId);

    /** Sends a delivery again, now, with the same id and body; empty when the tenant has no such delivery. */
    Optional<Delivery> deliveryReplay(String tenant, String id, Instant now);

    /** Forgets finished (delivered or failed) deliveries last changed before {@code before}; returns how many. */
    int deliveryPrune(Instant before, int limit);

    /** Calls {@code listener} after every commit that wrote outbox events or webhook deliveries: it must only signal. */
    void afterDeliveriesCommitted(Runnable listener);

    /**
     * What waits to be sent: outbox events not yet expanded (and the oldest one's time), deliveries
     * pending (and the oldest one's creation), endpoints disabled (and the first one's disabling).
     * Null times when there are none.
     */
    record Backlog(long outbox, Instant oldestOutbox, long pending, Instant oldestPending, long disabledEndpoints,
                   Instant firstDisabled) {}

    /** The backlog now: for the metrics and the problems report, read at most once per refresh interval. */
    Backlog backlog();
}
