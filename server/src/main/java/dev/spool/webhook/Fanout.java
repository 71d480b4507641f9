package dev.spool.webhook;

import dev.spool.artifact.Artifact;
import dev.spool.artifact.FileStore;
import dev.spool.job.Job;
import dev.spool.job.JobWebhook;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Who receives each job event, and what body: expands the webhook outbox into deliveries. An event
 * goes to the job's own webhook when it asked for that event, and to every enabled endpoint of the
 * job's tenant subscribed to it whose format takes the job (a profile's endpoint only its own
 * jobs); each body is rendered in the receiver's format from the job as the event left it.
 */
public final class Fanout {
    private static final int BATCH = 500;

    private final WebhookStore store;
    private final FileStore files;
    private final Payloads payloads;

    public Fanout(WebhookStore store, FileStore files, Payloads payloads) {
        this.store = store;
        this.files = files;
        this.payloads = payloads;
    }

    /** Expands up to one batch of outbox events, oldest first; returns how many. */
    public int runOnce(Instant now) {
        List<OutboxEvent> events = store.outboxNext(BATCH);
        if (events.isEmpty()) {
            return 0;
        }
        Map<String, List<WebhookEndpoint>> endpoints = new HashMap<>(); // per tenant, read once per round
        List<WebhookStore.Expansion> expansions = new ArrayList<>(events.size());
        for (OutboxEvent e : events) {
            List<WebhookEndpoint> tenants = endpoints.computeIfAbsent(e.job().tenant(),
                    t -> store.webhookList(t).stream().filter(WebhookEndpoint::enabled).toList());
            expansions.add(new WebhookStore.Expansion(e, plan(e, tenants)));
        }
        return store.outboxExpand(expansions, now);
    }

    private List<WebhookStore.Planned> plan(OutboxEvent e, List<WebhookEndpoint> endpoints) {
        Job job = e.job();
        Supplier<List<Artifact>> outputs = () -> files.artifactList(job.tenant(), job.id()).stream()
                .filter(a -> a.kind() == Artifact.Kind.OUTPUT).toList();
        List<WebhookStore.Planned> planned = new ArrayList<>(1);
        JobWebhook own = job.webhook();
        if (own != null && own.wants(e.type())) {
            planned.add(new WebhookStore.Planned(Delivery.JOB_TARGET, own.url(), own.format(),
                    payloads.render(own.format(), job, e.type(), e.at(), outputs), own.authorization()));
        }
        for (WebhookEndpoint endpoint : endpoints) {
            if (endpoint.events().contains(e.type()) && WebhookEndpoint.receives(endpoint.format(), job)) {
                planned.add(new WebhookStore.Planned(endpoint.id(), endpoint.url(), endpoint.format(),
                        payloads.render(endpoint.format(), job, e.type(), e.at(), outputs), null));
            }
        }
        return planned;
    }
}
