package dev.spool.webhook;


import dev.spool.job.RetrySchedule;
import dev.spool.job.SpoolException;
import dev.spool.net.GuardedHttp;
import dev.spool.net.OutboundPolicy;
import dev.spool.telemetry.Metrics;
import dev.spool.telemetry.Tracing;
import dev.spool.wake.WakeUp;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the outbox. One loop per node expands new outbox events into deliveries (see {@link
 * Fanout}), leases due deliveries (the store hands each to one node only, and a job's deliveries to
 * one receiver one at a time, in order), sends each on a virtual thread, and records the try:
 * delivered on 2xx, retried on the {@link RetrySchedule} otherwise, given up when it is spent, and
 * the endpoint disabled on 410. A node that dies mid-send leaves a lease that runs out, and the
 * delivery is sent again: at least once, with the same {@code webhook-id}, which receivers use to
 * drop repeats.
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
    private final Fanout fanout;
    private final GuardedHttp http;
    private final InstantSource clock;
    private final Settings settings;
    private final RandomGenerator random;
    private final Semaphore slots;
    /** Rung when deliveries were recorded or replayed, and when a send ends (a slot is free). */
    private final WakeUp bell = new WakeUp();
    private volatile boolean running = true;
    private Thread loop;
    private Instant nextPrune;
    /** The earliest retry this node's sends scheduled (epoch ms), so the loop wakes for it; MAX_VALUE when none. */
    private final AtomicLong soonestRetry = new AtomicLong(Long.MAX_VALUE);
    private volatile MeterRegistry registry;
    private volatile Tracing tracing = Tracing.off();
    private final Map<String, Timer> tries = new ConcurrentHashMap<>();

    /** @param fanout expands the outbox into the deliveries this dispatcher sends */
    public Dispatcher(WebhookStore store, Fanout fanout, OutboundPolicy policy, InstantSource clock, Settings settings,
                      RandomGenerator random) {
        this.store = store;
        this.fanout = fanout;
        this.http = new GuardedHttp(policy, settings.timeout(), settings.timeout(), settings.concurrency());
        this.clock = clock;
        this.settings = settings;
        this.random = random;
        this.slots = new Semaphore(settings.concurrency());
        store.afterDeliveriesCommitted(this::wake);
    }

    /**
     * Records every try into {@code registry} ({@code spool.webhook.tries} by outcome: delivered,
     * retrying: it failed and will be tried again, failed: given up; timed from the request to the
     * answer) and as a span of the job's trace, whose context goes with the try as {@code traceparent}.
     */
    public Dispatcher observedBy(MeterRegistry registry, Tracing tracing) {
        this.registry = registry;
        this.tracing = tracing;
        return this;
    }

    /** Starts this node's loop: a round whenever it is woken, and at least every second. */
    public Dispatcher start() {
        loop = Thread.ofPlatform().name("spool-webhooks").daemon().start(this::run);
        return this;
    }

    /** Looks for due deliveries now (some were recorded, a delivery replayed, an endpoint enabled). */
    public void wake() {
        bell.ring();
    }

    /**
     * One round, as the loop runs it and as tests run it with their own clock: expands the outbox
     * into deliveries, forgets old finished deliveries when that is due, then leases as many due
     * deliveries as there are free slots and starts sending each on its own virtual thread. Returns
     * how many it started; {@link #awaitIdle} waits until they are recorded.
     */
    public int runOnce(Instant now) {
        fanout.runOnce(now);
        if (nextPrune == null || !now.isBefore(nextPrune)) {
            nextPrune = now.plus(PRUNE_EVERY);
            int pruned = store.deliveryPrune(now.minus(settings.keep()), 1000);
            if (pruned > 0) {
                log.info("forgot {} finished webhook deliveries older than {}", pruned, settings.keep());
            }
        }
        int free = slots.availablePermits();
        List<Delivery> due = free == 0 ? List.of() : store.deliveryClaim(now, leaseFor(), free);
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
        return due.size();
    }

    /** Waits until every send started so far has been tried and recorded, at most {@code max}; true when it was. */
    public boolean awaitIdle(Duration max) throws InterruptedException {
        if (!slots.tryAcquire(settings.concurrency(), max.toMillis(), TimeUnit.MILLISECONDS)) {
            return false;
        }
        slots.release(settings.concurrency());
        return true;
    }

    private void run() {
        while (running) {
            long seen = bell.rings(); // a ring from here on ends the wait below at once
            try {
                int free = slots.availablePermits();
                if (runOnce(clock.instant()) < free || free == 0) {
                    bell.await(seen, untilNextLook());
                }
            } catch (RuntimeException e) {
                if (running) {
                    if (!SpoolException.unavailable(e)) {
                        log.warn("webhook dispatch failed; trying again shortly", e);
                    }
                    bell.await(seen, IDLE_LOOK);
                }
            }
        }
    }

    /** At most {@link #IDLE_LOOK}, less when a retry this node scheduled comes due sooner. */
    private Duration untilNextLook() {
        long soonest = soonestRetry.get();
        if (soonest == Long.MAX_VALUE) {
            return IDLE_LOOK;
        }
        long ms = soonest - clock.millis();
        if (ms <= 0) {
            soonestRetry.compareAndSet(soonest, Long.MAX_VALUE); // due now: this round's look takes it
            return Duration.ZERO;
        }
        return Duration.ofMillis(Math.min(ms, IDLE_LOOK.toMillis()));
    }

    /**
     * A leased delivery is sent again once its lease runs out (its node died mid-try), so the lease
     * outlasts a whole try: the connect timeout, the answer timeout, and time to record it.
     */
    private Duration leaseFor() {
        return settings.timeout().multipliedBy(2).plusSeconds(5);
    }

    /** One try of one delivery, recorded whatever its outcome. */
    void send(Delivery d) {
        Instant start = clock.instant();
        long t0 = System.nanoTime();
        Delivery.Tried tried;
        Span span = tracing.jobSpan("spool.webhook.deliver", d.traceparent(), null, SpanKind.CLIENT)
                .setAttribute("spool.job.id", d.jobId().value()).setAttribute("spool.webhook.event", d.eventType())
                .setAttribute("spool.webhook.id", d.id());
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
            String traceparent = Tracing.traceparent(span); // the job's own, when traces are off
            if (traceparent != null) {
                headers.put("traceparent", traceparent);
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
        span.setAttribute("http.response.status_code", (long) tried.status());
        if (!tried.delivered()) {
            span.setStatus(StatusCode.ERROR, tried.error() == null ? "" : tried.error());
        }
        span.end();
        Instant now = clock.instant();
        Instant retryAt = tried.delivered() ? null
                : settings.schedule().after(d.attempts() + 1, random).map(now::plus).orElse(null);
        try {
            store.deliveryTried(d, tried, retryAt, now);
            metered(tried.delivered() ? "delivered" : retryAt != null ? "retrying" : "failed", tried.durationMs());
            if (retryAt != null) {
                soonestRetry.accumulateAndGet(retryAt.toEpochMilli(), Math::min);
            }
        } catch (RuntimeException e) {
            // The lease runs out and the delivery is sent again, under the same webhook-id: at
            // least once, never lost. An outage is logged once, by the store.
            if (!SpoolException.unavailable(e)) {
                log.warn("recording a try of webhook delivery {} failed", d.id(), e);
            }
        }
    }

    private void metered(String outcome, long ms) {
        MeterRegistry r = registry;
        if (r != null) {
            tries.computeIfAbsent(outcome, o -> Timer.builder("spool.webhook.tries")
                    .description("Tries of webhook deliveries, by outcome (retrying: it failed and will be tried again; failed: given up)")
                    .tag("outcome", o).serviceLevelObjectives(Metrics.CALL_BUCKETS).register(r))
                    .record(ms, TimeUnit.MILLISECONDS);
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
            if (loop != null) {
                loop.join(2000);
            }
            awaitIdle(settings.timeout().plusSeconds(1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        http.close();
    }
}
