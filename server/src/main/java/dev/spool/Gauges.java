package dev.spool;

import dev.spool.store.Storage;
import dev.spool.store.Store;
import dev.spool.telemetry.Labels;
import dev.spool.webhook.WebhookStore;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gauges read from the database — queue depths and ages, running jobs, the webhook backlog,
 * workers seen — refreshed before a scrape only when the last read is older than the refresh
 * interval, so scrapes (however many, from however many Prometheus servers) cost at most one read
 * of the unfinished jobs per interval. They show the whole cluster as the database has it: every
 * node reports the same values, so aggregate them with max(), not sum().
 */
final class Gauges {
    private static final Logger log = LoggerFactory.getLogger(Gauges.class);
    /** A worker seen within this long counts as connected. */
    static final Duration CONNECTED = Duration.ofSeconds(30);

    private final Storage storage;
    private final InstantSource clock;
    private final Duration refresh;
    private final Labels queues = new Labels(100);
    private final MultiGauge depth;
    private final MultiGauge oldest;
    private final MultiGauge running;
    private final AtomicReference<WebhookStore.Backlog> backlog = new AtomicReference<>(new WebhookStore.Backlog(0, null, 0, null, 0, null));
    private volatile Instant backlogAt = Instant.EPOCH;
    private volatile long workers;
    private volatile Instant readAt = Instant.EPOCH;

    Gauges(Storage storage, MeterRegistry registry, InstantSource clock, Duration refresh) {
        this.storage = storage;
        this.clock = clock;
        this.refresh = refresh;
        this.depth = MultiGauge.builder("spool.queue.depth").description("Queued jobs (due or scheduled), by queue and type")
                .register(registry);
        this.oldest = MultiGauge.builder("spool.queue.oldest.age").baseUnit("seconds")
                .description("How long the oldest due queued job has waited, by queue and type (0 when none is due)")
                .register(registry);
        this.running = MultiGauge.builder("spool.jobs.running").description("Running jobs, by queue and type").register(registry);
        gauge(registry, "spool.webhook.outbox", null, "Job events in the webhook outbox, not yet expanded into deliveries",
                g -> g.backlog.get().outbox());
        gauge(registry, "spool.webhook.outbox.oldest.age", "seconds", "Age of the oldest job event in the webhook outbox (0 when empty)",
                g -> g.age(g.backlog.get().oldestOutbox()));
        gauge(registry, "spool.webhook.pending", null, "Webhook deliveries pending (to be tried, or tried again)",
                g -> g.backlog.get().pending());
        gauge(registry, "spool.webhook.pending.oldest.age", "seconds", "Age of the oldest pending webhook delivery (0 when none)",
                g -> g.age(g.backlog.get().oldestPending()));
        gauge(registry, "spool.webhook.endpoints.disabled", null, "Webhook endpoints disabled after failing every try",
                g -> g.backlog.get().disabledEndpoints());
        gauge(registry, "spool.workers.connected", null, "Workers seen within the last 30 s (claims, heartbeats, reports)",
                g -> g.workers);
    }

    private void gauge(MeterRegistry registry, String name, String unit, String help, ToDoubleFunction<Gauges> value) {
        Gauge.builder(name, this, value).baseUnit(unit).description(help).register(registry);
    }

    /** The webhook backlog as last read (for the problems report). */
    WebhookStore.Backlog backlog() {
        refreshIfDue();
        return backlog.get();
    }

    private double age(Instant since) {
        return since == null ? 0 : Math.max(0, Duration.between(since, backlogAt).toMillis() / 1000.0);
    }

    /** Reads the database again when the last read is older than the refresh interval. */
    synchronized void refreshIfDue() {
        Instant now = clock.instant();
        if (Duration.between(readAt, now).compareTo(refresh) < 0) {
            return;
        }
        readAt = now;
        try {
            queues(storage.jobs().jobQueueCounts(now), now);
            backlog.set(storage.webhooks().backlog());
            backlogAt = now;
            workers = storage.workers().workerList(now.minus(CONNECTED)).size();
        } catch (RuntimeException e) {
            // The database is away: the gauges keep their last values, and the store says it once.
            log.debug("refreshing the gauges failed", e);
        }
    }

    private void queues(List<Store.QueueCount> counts, Instant now) {
        Map<Tags, double[]> rows = new HashMap<>(); // depth, running, oldest age
        for (Store.QueueCount c : counts) {
            double[] r = rows.computeIfAbsent(Tags.of("queue", queues.of(c.queue()), "type", c.type()), t -> new double[3]);
            r[0] += c.queued();
            r[1] += c.running();
            if (c.oldestDue() != null) {
                r[2] = Math.max(r[2], Duration.between(c.oldestDue(), now).toMillis() / 1000.0);
            }
        }
        List<MultiGauge.Row<?>> d = new ArrayList<>();
        List<MultiGauge.Row<?>> o = new ArrayList<>();
        List<MultiGauge.Row<?>> r = new ArrayList<>();
        rows.forEach((tags, v) -> {
            d.add(MultiGauge.Row.of(tags, v[0]));
            r.add(MultiGauge.Row.of(tags, v[1]));
            o.add(MultiGauge.Row.of(tags, Math.max(0, v[2])));
        });
        depth.register(d, true);
        running.register(r, true);
        oldest.register(o, true);
    }
}
