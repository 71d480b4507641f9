package dev.spool.webhook;

import dev.spool.job.Delivery;
import dev.spool.job.RetrySchedule;
import dev.spool.job.SpoolException;
import dev.spool.net.GuardedHttp;
import dev.spool.net.OutboundPolicy;
import dev.spool.store.WebhookStore;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the outbox. One loop per node leases due deliveries (the store hands each to one node
 * only, and a job's deliveries to one receiver one at a time, in order), sends each on a virtual
 * thread, and records the try: delivered on 2xx, retried on the {@link RetrySchedule} otherwise,
 * given up when it is spent, and the endpoint disabled on 410. A node that dies mid-send leaves a
 * lease that runs out, and the delivery is sent again: at least once, with the same {@code
 * webhook-id}, which receivers use to drop repeats.
 */
public final class Dispatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
    private static final int MAX_RESPONSE_BYTES = 1024;
    private static final Duration IDLE_LOOK = Duration.ofSeconds(1);
    private static final Duration PRUNE_EVERY = Duration.ofMinutes(10);

    /**
     * @param concurrency  deliveries in flight at once on this node
     * @param timeout      longest a receiver may take to connect, and then to answer
     * @param keep         how long finished deliveries stay in the log
     */
    public record Settings(RetrySchedule schedule, int concurrency, Duration timeout, Duration keep) {}

    private final WebhookStore store;
    private final GuardedHttp http;
    private final InstantSource clock;
    private final Settings settings;
    private final RandomGenerator random;
    private final Semaphore slots;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition woken = lock.newCondition();
    private boolean signalled;
    private volatile boolean running = true;
    private final Thread loop;

    public Dispatcher(WebhookStore store, OutboundPolicy policy, InstantSource clock, Settings settings, RandomGenerator random) {
        this.store = store;
        this.http = new GuardedHttp(policy, settings.timeout(), settings.timeout(), settings.concurrency());
        this.clock = clock;
        this.settings = settings;
        this.random = random;
        this.slots = new Semaphore(settings.concurrency());
        store.afterDeliveriesCommitted(this::wake);
        this.loop = Thread.ofPlatform().name("spool-webhooks").daemon().start(this::run);
    }

    /** Looks for due deliveries now (some were recorded, a delivery replayed, an endpoint enabled). */
    public void wake() {
        lock.lock();
        try {
            signalled = true;
            woken.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        Instant nextPrune = clock.instant();
        while (running) {
            try {
                int free = slots.availablePermits();
                List<Delivery> due = free == 0 ? List.of()
                        : store.deliveryClaim(clock.instant(), leaseFor(), free);
                for (Delivery d : due) {
                    slots.acquireUninterruptibly();
                    Thread.ofVirtual().name("spool-webhook-" + d.id()).start(() -> {
                        try {
                            send(d);
                        } finally {
                            slots.release();
                            wake();
                        }
                    });
                }
                if (!clock.instant().isBefore(nextPrune)) {
                    nextPrune = clock.instant().plus(PRUNE_EVERY);
                    int pruned = store.deliveryPrune(clock.instant().minus(settings.keep()), 1000);
                    if (pruned > 0) {
                        log.info("forgot {} finished webhook deliveries older than {}", pruned, settings.keep());
                    }
                }
                if (due.size() < free || free == 0) {
                    await();
                }
            } catch (RuntimeException e) {
                if (running) {
                    if (!SpoolException.unavailable(e)) {
                        log.warn("webhook dispatch failed; trying again shortly", e);
                    }
                    await();
                }
            }
        }
    }

    /**
     * A leased delivery is sent again once its lease runs out (its node died mid-try), so the lease
     * outlasts a whole try: the connect timeout, the answer timeout, and time to record it.
     */
    private Duration leaseFor() {
        return settings.timeout().multipliedBy(2).plusSeconds(5);
    }

    private void await() {
        lock.lock();
        try {
            if (!signalled && running) {
                woken.await(IDLE_LOOK.toMillis(), TimeUnit.MILLISECONDS);
            }
            signalled = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        } finally {
            lock.unlock();
        }
    }

    /** One try of one delivery, recorded whatever its outcome. */
    void send(Delivery d) {
        Instant start = clock.instant();
        long t0 = System.nanoTime();
        Delivery.Tried tried;
        try {
            byte[] body = d.payload().getBytes(StandardCharsets.UTF_8);
            List<String> secrets = store.signingSecret(Webhooks.owner(d.tenant(), d.target()), Signer::newSecret).valid(start);
            long timestamp = start.getEpochSecond();
            Map<String, String> headers = new HashMap<>(Map.of(
                    "webhook-id", d.id(),
                    "webhook-timestamp", Long.toString(timestamp),
                    "webhook-signature", Signer.signature(secrets, d.id(), timestamp, body)));
            if (d.authorization() != null) {
                headers.put("Authorization", d.authorization());
            }
            GuardedHttp.Answer answer = http.post(URI.create(d.url()), headers, body, "application/json", MAX_RESPONSE_BYTES);
            int status = answer.status();
            tried = new Delivery.Tried(status, answer.body(),
                    status / 100 == 2 ? null : status / 100 == 3 ? "redirects are not followed" : "HTTP " + status, elapsed(t0));
        } catch (OutboundPolicy.Refused e) {
            tried = new Delivery.Tried(0, null, "refused: " + e.getMessage(), elapsed(t0));
        } catch (IOException | RuntimeException e) {
            tried = new Delivery.Tried(0, null, e.getClass().getSimpleName() + ": " + e.getMessage(), elapsed(t0));
        }
        Instant now = clock.instant();
        Instant retryAt = tried.delivered() ? null
                : settings.schedule().after(d.attempts() + 1, random).map(now::plus).orElse(null);
        try {
            store.deliveryTried(d, tried, retryAt, now);
        } catch (RuntimeException e) {
            // The lease runs out and the delivery is sent again, under the same webhook-id: at
            // least once, never lost. An outage is logged once, by the store.
            if (!SpoolException.unavailable(e)) {
                log.warn("recording a try of webhook delivery {} failed", d.id(), e);
            }
        }
    }

    private static long elapsed(long t0) {
        return Duration.ofNanos(System.nanoTime() - t0).toMillis();
    }

    /** Stops leasing; tries in flight finish within the timeout, or their leases run out and another node sends them. */
    @Override
    public void close() {
        running = false;
        wake();
        try {
            loop.join(2000);
            slots.tryAcquire(settings.concurrency(), settings.timeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        http.close();
    }
}
