package dev.spool.telemetry;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The one metrics registry of a node, in Prometheus' format: every part records into
 * {@link #registry()}, and {@code GET /metrics} asks {@link #scrape} for the text. Gauges that
 * need a database read (queue depths, the outbox) register a {@link #beforeScrape} hook that reads
 * at most once per refresh interval, so a scrape never costs more than that.
 */
public final class Metrics implements AutoCloseable {
    /** Prometheus' text format. */
    public static final String TEXT = "text/plain; version=0.0.4; charset=utf-8";
    /** OpenMetrics, for a scraper that asks for it. */
    public static final String OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    /** Buckets for job waits and runs, which last from milliseconds to hours. */
    public static final Duration[] JOB_BUCKETS = durations(
            5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000,
            600_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000);
    /** Buckets for HTTP requests, webhook tries and commits: a millisecond to half a minute. */
    public static final Duration[] CALL_BUCKETS = durations(1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000);

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final List<Runnable> beforeScrape = new CopyOnWriteArrayList<>();
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final boolean enabled;

    /** A registry that records. */
    public Metrics() {
        this(true);
    }

    /** @param enabled false: every meter is a no-op and scrapes are empty (to measure what recording costs) */
    public Metrics(boolean enabled) {
        this.enabled = enabled;
        if (!enabled) {
            registry.config().meterFilter(MeterFilter.deny());
        }
        // Two of Micrometer's own names that Prometheus' conventions (promtool) refuse: a gauge
        // ending in _count, and a counter in nanoseconds (process_cpu_usage says the same).
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                return id.getName().equals("system.cpu.count") ? id.withName("system.cpu.processors") : id;
            }
        }).meterFilter(MeterFilter.denyNameStartsWith("process.cpu.time"));
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
    }

    /** Whether anything is recorded (metrics.enabled). */
    public boolean enabled() {
        return enabled;
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Runs {@code hook} before every scrape (it refreshes cached gauges when they are due). */
    public void beforeScrape(Runnable hook) {
        beforeScrape.add(hook);
    }

    /** The scrape in the format {@code accept} asks for: OpenMetrics when it names it, else Prometheus' text. */
    public Scrape scrape(String accept) {
        beforeScrape.forEach(Runnable::run);
        boolean open = accept != null && accept.contains("application/openmetrics-text");
        return new Scrape(open ? OPENMETRICS : TEXT, registry.scrape(open ? OPENMETRICS : TEXT));
    }

    /** A scrape's body and its content type. */
    public record Scrape(String contentType, String body) {}

    private static Duration[] durations(long... millis) {
        Duration[] d = new Duration[millis.length];
        for (int i = 0; i < millis.length; i++) {
            d[i] = Duration.ofMillis(millis[i]);
        }
        return d;
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
