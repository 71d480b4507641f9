package dev.spool;

import dev.spool.engine.JobMeter;
import dev.spool.job.Worker;
import dev.spool.store.Storage;
import dev.spool.telemetry.Problem;
import dev.spool.webhook.WebhookStore;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What needs a human now, for {@code GET /v1/admin/problems}: each problem with a count and a
 * since. The database's view (workers, webhooks, the outbox, this node's clock against the
 * database's) is the cluster's; the job view (rescues, failure rates) is this node's, as its
 * {@link JobMeter} counted them. Thresholds are fixed and documented (docs/observability.md).
 */
final class Watch {
    /** A job rescued this often by this node (the last time within the hour) keeps losing its executor. */
    static final int RESCUES = 2;
    /** A failure rate over the last {@link #RECENT_MINUTES} at least this and twice the hour before's jumped. */
    static final double FAILURE_RATE = 0.5;
    static final int RECENT_MINUTES = 5;
    static final int MIN_ATTEMPTS = 10;
    /** A worker silent this long after it was seen (within the last {@link #WORKERS_WITHIN}) stopped heartbeating. */
    static final Duration WORKER_SILENT = Duration.ofSeconds(60);
    static final Duration WORKERS_WITHIN = Duration.ofMinutes(15);
    static final Duration WEBHOOKS_BEHIND = Duration.ofMinutes(5);
    static final Duration OUTBOX_BEHIND = Duration.ofMinutes(1);
    static final Duration CLOCK_OFF = Duration.ofSeconds(1);

    private final Storage storage;
    private final Gauges gauges;
    private final JobMeter jobs;
    private final InstantSource clock;
    private final String node = nodeName();
    private volatile Instant clockOffSince;

    Watch(Storage storage, Gauges gauges, JobMeter jobs, InstantSource clock) {
        this.storage = storage;
        this.gauges = gauges;
        this.jobs = jobs;
        this.clock = clock;
    }

    List<Problem> problems() {
        Instant now = clock.instant();
        List<Problem> out = new ArrayList<>();
        // Jobs whose leases keep being rescued, by type.
        Map<String, List<JobMeter.Rescued>> rescued = jobs.rescuedRepeatedly(RESCUES, Duration.ofHours(1)).stream()
                .collect(Collectors.groupingBy(JobMeter.Rescued::type));
        rescued.forEach((type, list) -> out.add(new Problem("leases_rescued_repeatedly", type, list.size(),
                list.stream().map(JobMeter.Rescued::first).min(Instant::compareTo).orElse(now),
                list.size() + " job(s) of type " + type + " lost their lease " + RESCUES + " or more times on this node: "
                        + "their executor dies, freezes or stops heartbeating while running them")));
        // A type whose failure rate jumped.
        jobs.attempts(RECENT_MINUTES, 60 - RECENT_MINUTES).forEach((type, w) -> {
            JobMeter.Attempts recent = w[0];
            JobMeter.Attempts before = w[1];
            if (recent.ended() >= MIN_ATTEMPTS && recent.failureRate() >= FAILURE_RATE
                    && recent.failureRate() >= 2 * before.failureRate()) {
                out.add(new Problem("failure_rate_jumped", type, recent.failed(), now.minus(Duration.ofMinutes(RECENT_MINUTES)),
                        String.format("%d of %d attempts of type %s failed in the last %d minutes (%.0f%%), against %.0f%% in the hour before",
                                recent.failed(), recent.ended(), type, RECENT_MINUTES, 100 * recent.failureRate(), 100 * before.failureRate())));
            }
        });
        // Webhooks: endpoints disabled, deliveries far behind, the outbox growing.
        WebhookStore.Backlog b = gauges.backlog();
        if (b.disabledEndpoints() > 0) {
            out.add(new Problem("webhook_endpoints_disabled", "webhooks", b.disabledEndpoints(), b.firstDisabled(),
                    b.disabledEndpoints() + " webhook endpoint(s) disabled after failing every try; fix the receiver and enable them (PATCH /v1/webhooks/{id})"));
        }
        if (b.oldestPending() != null && b.oldestPending().isBefore(now.minus(WEBHOOKS_BEHIND))) {
            out.add(new Problem("webhooks_behind", "webhooks", b.pending(), b.oldestPending(),
                    b.pending() + " webhook deliveries pending, the oldest made at " + b.oldestPending()));
        }
        if (b.oldestOutbox() != null && b.oldestOutbox().isBefore(now.minus(OUTBOX_BEHIND))) {
            out.add(new Problem("outbox_growing", "webhooks", b.outbox(), b.oldestOutbox(),
                    b.outbox() + " job events wait in the webhook outbox, the oldest from " + b.oldestOutbox()
                            + ": no node is expanding it (are the dispatchers running?)"));
        }
        // Workers that stopped heartbeating (seen lately, silent now).
        for (Worker w : storage.workers().workerList(now.minus(WORKERS_WITHIN))) {
            if (w.lastSeen().isBefore(now.minus(WORKER_SILENT))) {
                out.add(new Problem("worker_silent", w.id(), Duration.between(w.lastSeen(), now).toSeconds(), w.lastSeen(),
                        "worker " + w.name() + " was last seen " + Duration.between(w.lastSeen(), now).toSeconds()
                                + " s ago (count: seconds); its running jobs are rescued when their leases run out"));
            }
        }
        // This node's clock against the database's.
        Instant before = clock.instant();
        Instant database = storage.databaseNow();
        Instant after = clock.instant();
        long offMs = Duration.between(database, before.plus(Duration.between(before, after).dividedBy(2))).toMillis();
        if (Math.abs(offMs) > CLOCK_OFF.toMillis()) {
            if (clockOffSince == null) {
                clockOffSince = now;
            }
            out.add(new Problem("clock_off", node, offMs, clockOffSince, "this node's clock is " + offMs
                    + " ms off the database's (count: milliseconds, positive: ahead); leases and schedules are judged by it"));
        } else {
            clockOffSince = null;
        }
        return out;
    }

    private static String nodeName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "this node";
        }
    }
}
