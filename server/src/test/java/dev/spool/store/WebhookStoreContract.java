package dev.spool.store;

import static dev.spool.testing.TestJobs.TENANT;
import static dev.spool.testing.TestJobs.claim;
import static dev.spool.testing.TestJobs.newJob;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spool.job.Job;
import dev.spool.job.JobId;
import dev.spool.job.JobStatus;
import dev.spool.job.JobWebhook;
import dev.spool.job.NewJob;
import dev.spool.job.Transition;
import dev.spool.job.WebhookEvent;
import dev.spool.testing.TestJobs;
import dev.spool.webhook.Delivery;
import dev.spool.webhook.DispatcherTest;
import dev.spool.webhook.Fanout;
import dev.spool.webhook.WebhookEndpoint;
import dev.spool.webhook.WebhookStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** What every database's {@link WebhookStore} must do: endpoints, the outbox, deliveries. */
public abstract class WebhookStoreContract extends StorageContract {
    // ---------------------------------------------------------------- webhooks and the event feed

    private WebhookEndpoint endpoint(String id, String tenant, Set<WebhookEvent> events) {
        WebhookEndpoint e = new WebhookEndpoint(id, tenant, "https://hooks.example.com/" + id, events, null, "native",
                null, null, T0, T0);
        storage.webhooks().webhookInsert(e, "whsec_" + id);
        return e;
    }

    /** What the webhook dispatcher does first in each round: the outbox expanded into deliveries. */
    private void fanOut() {
        new Fanout(storage.webhooks(), storage.files(), DispatcherTest.MINIMAL).runOnce(T0);
    }

    private List<Delivery> deliveries(JobId job) {
        return storage.webhooks().deliveryList(TENANT, null, job, null, 100).items();
    }

    @Test
    void eventsWriteTheirDeliveriesInTheirOwnTransactionForEverySubscribedReceiver() {
        endpoint("wh_a", TENANT, Set.of(WebhookEvent.STARTED, WebhookEvent.SUCCEEDED));
        endpoint("wh_other", "someone-else", Set.of(WebhookEvent.values()));
        NewJob hooked = TestJobs.withWebhook(TestJobs.with(newJob("echo"), NewJob.MAX_PRIORITY, null),
                new JobWebhook("https://own.example.com/x", Set.of(WebhookEvent.SUCCEEDED), "native"));
        Job job = store.jobInsert(hooked, T0, Duration.ofDays(1)).job();
        assertThat(job.webhook().url()).isEqualTo("https://own.example.com/x");
        fanOut();
        assertThat(deliveries(job.id())).isEmpty(); // 'submitted' is not a webhook event

        Job running = store.jobClaim(claim(List.of("echo"), 1), T0).getFirst();
        store.jobFinish(running.id(), running.attempt(), false, Transition.succeed(TestJobs.json("{}"), 0), T0.plusSeconds(1));
        // Each event's outbox row was written with it, holding the job as the event left it.
        assertThat(storage.webhooks().outboxNext(10)).extracting(e -> e.type(), e -> e.job().status())
                .containsExactly(org.assertj.core.groups.Tuple.tuple(WebhookEvent.STARTED, JobStatus.RUNNING),
                        org.assertj.core.groups.Tuple.tuple(WebhookEvent.SUCCEEDED, JobStatus.SUCCEEDED));
        assertThat(storage.webhooks().outboxNext(10).getFirst().job()).isEqualTo(running);
        assertThat(storage.webhooks().outboxNext(10).getLast().job()).isEqualTo(store.jobGet(TENANT, job.id()).orElseThrow());
        fanOut();
        assertThat(storage.webhooks().outboxNext(10)).as("expanded once, and gone").isEmpty();
        fanOut();

        List<Delivery> all = deliveries(job.id());
        assertThat(all).extracting(Delivery::target, Delivery::eventType).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple("wh_a", "job.started"),
                org.assertj.core.groups.Tuple.tuple("wh_a", "job.succeeded"),
                org.assertj.core.groups.Tuple.tuple(Delivery.JOB_TARGET, "job.succeeded"));
        assertThat(all).allMatch(d -> d.state() == Delivery.State.PENDING && d.payload().contains(job.id().value()));
        assertThat(storage.webhooks().deliveryList("someone-else", null, null, null, 100).items()).isEmpty();
        assertThat(storage.events().eventsBetween(0, Long.MAX_VALUE, TENANT, job.id(), 100)).extracting(e -> e.event().kind())
                .containsExactly("submitted", "started", "succeeded");
        assertThat(storage.events().eventsBetween(0, Long.MAX_VALUE, "someone-else", null, 100)).isEmpty();
    }

    @Test
    void deliveriesAreLeasedOnceAndOneAtATimePerJobAndReceiverInTheirOrder() {
        endpoint("wh_a", TENANT, Set.of(WebhookEvent.STARTED, WebhookEvent.SUCCEEDED));
        Job running = jobs.running("echo", T0);
        store.jobFinish(running.id(), running.attempt(), false, Transition.succeed(TestJobs.json("{}"), 0), T0);
        fanOut();
        Duration lease = Duration.ofSeconds(30);

        List<Delivery> first = storage.webhooks().deliveryClaim(T0, lease, 10);
        assertThat(first).extracting(Delivery::eventType).containsExactly("job.started"); // succeeded waits its turn
        assertThat(storage.webhooks().deliveryClaim(T0, lease, 10)).isEmpty(); // leased

        storage.webhooks().deliveryTried(first.getFirst(), new Delivery.Tried(500, "no", "HTTP 500", 3), T0.plusSeconds(5), T0);
        assertThat(storage.webhooks().deliveryClaim(T0.plusSeconds(4), lease, 10)).isEmpty(); // not due yet, and still first in line
        List<Delivery> retried = storage.webhooks().deliveryClaim(T0.plusSeconds(5), lease, 10);
        assertThat(retried).extracting(Delivery::id).containsExactly(first.getFirst().id());
        storage.webhooks().deliveryTried(retried.getFirst(), new Delivery.Tried(204, "", null, 2), null, T0.plusSeconds(5));

        List<Delivery> next = storage.webhooks().deliveryClaim(T0.plusSeconds(5), lease, 10);
        assertThat(next).extracting(Delivery::eventType).containsExactly("job.succeeded");
        assertThat(storage.webhooks().deliveryGet(TENANT, first.getFirst().id()).orElseThrow().state()).isEqualTo(Delivery.State.DELIVERED);
        assertThat(storage.webhooks().deliveryAttempts(first.getFirst().id())).extracting(Delivery.Attempt::status).containsExactly(500, 204);
        // A lease that ran out (its node died mid-try) lets the delivery be leased again.
        assertThat(storage.webhooks().deliveryClaim(T0.plusSeconds(40), lease, 10)).extracting(Delivery::id).containsExactly(next.getFirst().id());
    }

    @Test
    void aGoneReceiverDisablesItsEndpointAndAGivenUpDeliveryFails() {
        endpoint("wh_a", TENANT, Set.of(WebhookEvent.STARTED));
        jobs.running("echo", T0);
        fanOut();
        Delivery d = storage.webhooks().deliveryClaim(T0, Duration.ofSeconds(30), 10).getFirst();
        storage.webhooks().deliveryTried(d, new Delivery.Tried(410, "", "HTTP 410", 1), T0.plusSeconds(5), T0);

        assertThat(storage.webhooks().webhookGet(TENANT, "wh_a").orElseThrow().enabled()).isFalse();
        assertThat(storage.webhooks().deliveryGet(TENANT, d.id()).orElseThrow().state()).isEqualTo(Delivery.State.FAILED);
        jobs.running("echo", T0); // a disabled endpoint gets no new deliveries
        fanOut();
        assertThat(storage.webhooks().deliveryList(TENANT, "wh_a", null, null, 10).items()).hasSize(1);

        assertThat(storage.webhooks().deliveryReplay("someone-else", d.id(), T0)).isEmpty();
        assertThat(storage.webhooks().deliveryReplay(TENANT, d.id(), T0).orElseThrow().state()).isEqualTo(Delivery.State.PENDING);
        assertThat(storage.webhooks().deliveryClaim(T0, Duration.ofSeconds(30), 10)).isEmpty(); // held while disabled
        WebhookEndpoint e = storage.webhooks().webhookGet(TENANT, "wh_a").orElseThrow();
        storage.webhooks().webhookUpdate(new WebhookEndpoint(e.id(), TENANT, e.url(), e.events(), null, e.format(), null, null,
                e.createdAt(), T0));
        assertThat(storage.webhooks().deliveryClaim(T0, Duration.ofSeconds(30), 10)).extracting(Delivery::id).containsExactly(d.id());
    }

    @Test
    void concurrentDispatchersNeverLeaseTheSameDelivery() throws Exception {
        endpoint("wh_a", TENANT, Set.of(WebhookEvent.STARTED));
        for (int i = 0; i < 60; i++) {
            jobs.running("echo", T0);
        }
        fanOut();
        List<Storage> nodes = new ArrayList<>(otherNodes(2));
        nodes.add(storage);
        Set<String> leased = ConcurrentHashMap.newKeySet();
        AtomicInteger total = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(nodes.size() * 2);
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (int t = 0; t < nodes.size() * 2; t++) {
                WebhookStore s = nodes.get(t % nodes.size()).webhooks();
                runs.add(pool.submit(() -> {
                    for (List<Delivery> got; !(got = s.deliveryClaim(T0, Duration.ofSeconds(30), 7)).isEmpty(); ) {
                        got.forEach(d -> leased.add(d.id()));
                        total.addAndGet(got.size());
                    }
                }));
            }
            for (Future<?> f : runs) {
                f.get();
            }
        } finally {
            pool.shutdown();
            nodes.stream().filter(n -> n != storage).forEach(Storage::close);
        }
        assertThat(leased).hasSize(60);
        assertThat(total.get()).isEqualTo(60);
    }

    @Test
    void aRotatedSecretKeepsThePreviousOneForTheOverlap() {
        var first = storage.webhooks().signingSecret("tenant:" + TENANT, () -> "whsec_one");
        assertThat(storage.webhooks().signingSecret("tenant:" + TENANT, () -> "whsec_other").current()).isEqualTo(first.current());
        var rotated = storage.webhooks().signingRotate("tenant:" + TENANT, "whsec_two", () -> "whsec_unused", T0.plusSeconds(60));
        assertThat(rotated.valid(T0)).containsExactly("whsec_two", "whsec_one");
        assertThat(rotated.valid(T0.plusSeconds(60))).containsExactly("whsec_two");
    }

}
