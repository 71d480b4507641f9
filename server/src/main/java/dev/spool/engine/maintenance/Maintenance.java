package dev.spool.engine.maintenance;

import dev.spool.job.SpoolException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs every duty on a fixed interval, on one background thread, until closed. */
public final class Maintenance implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Maintenance.class);

    private final ScheduledExecutorService scheduler =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("spool-maintenance").daemon().factory());

    public Maintenance(List<Duty> duties, Duration interval, InstantSource clock) {
        scheduler.scheduleWithFixedDelay(() -> duties.forEach(duty -> {
            try {
                int changed = duty.runOnce(clock.instant());
                if (changed > 0) {
                    log.info("{}: {} changed", duty.name(), changed);
                }
            } catch (RuntimeException e) {
                if (!SpoolException.unavailable(e)) { // an outage is logged once, by the store
                    log.warn("{} failed; it runs again in {}", duty.name(), interval, e);
                }
            }
        }), interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
