package dev.spool.engine;

import dev.spool.job.Job;
import dev.spool.job.JobStatus;
import dev.spool.telemetry.Labels;
import dev.spool.telemetry.Metrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * The job metrics of this node: what it submitted, started and finished, how long jobs waited and
 * ran, which attempts failed and why, which leases it rescued. Counted where the change committed,
 * so each node counts its own and a cluster's total is the sum over nodes. Labels: {@code type}
 * (declared), {@code queue} and {@code code} (bounded, see {@link Labels}), {@code tenant} only
 * when asked for ({@code metrics.per_tenant}).
 */
public final class JobMeter {
    /** A meter that records nothing: for engines built without a registry (tests of other parts). */
    public static JobMeter none() {
        return new JobMeter(new SimpleMeterRegistry(), false);
    }

    private final MeterRegistry registry;
    private final boolean perTenant;
    private final Labels queues = new Labels(100);
    private final Labels codes = new Labels(100);
    private final Labels tenants = new Labels(1_000);
    /**
     * The meters of each type and queue (and tenant), made on first use: by type, then by the
     * queue as the job names it (only those with a label of their own; the rest share "other"'s),
     * so the hot path is two lookups of strings it already has, nothing built per event.
     */
    private final Map<String, Map<String, Meters>> meters = new ConcurrentHashMap<>();
    private final Map<String, Counter> failures = new ConcurrentHashMap<>();
    private final AtomicInteger claimsWaiting;
    /** Per type, attempts ended and failed in each of the last 60 minutes: for the problems report. */
    private final Map<String, long[][]> minutes = new ConcurrentHashMap<>();
    /** Jobs whose lease this node rescued, with how often and when first, the most recent 10,000. */
    private final Map<String, Rescued> rescues = Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Rescued> eldest) {
            return size() > 10_000;
        }
    });

    public JobMeter(MeterRegistry registry, boolean perTenant) {
        this.registry = registry;
        this.perTenant = perTenant;
        this.claimsWaiting = new AtomicInteger();
        Gauge.builder("spool.claims.waiting", claimsWaiting, AtomicInteger::get)
                .description("Worker claims long-polling on this node now").register(registry);
        Gauge.builder("spool.workers.free.slots", this, JobMeter::freeSlots)
                .description("Free slots of the workers that claimed on this node within the last 30 s, as their last claim asked for")
                .register(registry);
    }

    void submitted(Job job) {
        of(job).submitted.increment();
    }

    /** A claim started an attempt: counts it, and how long the job waited since it was due. */
    void started(Job job, Instant now) {
        Meters m = of(job);
        m.started.increment();
        Instant due = job.runAt() == null ? job.createdAt() : job.runAt();
        m.waited.record(Math.max(0, now.toEpochMilli() - due.toEpochMilli()), TimeUnit.MILLISECONDS);
    }

    /** An attempt ended (reported, rescued, or the job was cancelled while queued), as {@code job} now is. */
    void ended(Job job) {
        boolean failed = job.error() != null && (job.status() == JobStatus.QUEUED || job.status() == JobStatus.FAILED);
        if (failed || job.status() == JobStatus.SUCCEEDED) { // an attempt that ran to an outcome (not a hand-back, not a cancel)
            window(job.type(), failed);
        }
        Meters m = of(job);
        if (failed) { // rare next to successes: a key built per failure is fine
            String code = codes.of(job.error().code());
            failures.computeIfAbsent(m.key + "\0" + code, k -> Counter.builder("spool.attempts.failed")
                    .description("Attempts that failed, by error code").tags(m.tags).tag("code", code).register(registry)).increment();
        }
        if (job.status().isTerminal()) {
            m.finished(job.status()).record(job.runMs());
        }
    }

    /** A lease ran out (or an attempt its timeout) and this node ended the attempt. */
    void rescued(Job job) {
        Instant now = Instant.now();
        rescues.compute(job.id().value(), (id, seen) -> seen == null
                ? new Rescued(id, job.type(), 1, now, now)
                : new Rescued(id, seen.type(), seen.times() + 1, seen.first(), now));
        of(job).rescued().increment();
    }

    /** A type's attempts that ended in a stretch of minutes, and how many of them failed. */
    public record Attempts(String type, long ended, long failed) {
        public double failureRate() {
            return ended == 0 ? 0 : (double) failed / ended;
        }
    }

    /**
     * Attempts that ended on this node per type: over the last {@code recent} minutes, and over
     * the {@code before} minutes before them. For the problems report (a failure rate that jumped).
     */
    public Map<String, Attempts[]> attempts(int recent, int before) {
        long minute = System.currentTimeMillis() / 60_000;
        Map<String, Attempts[]> out = new TreeMap<>();
        minutes.forEach((type, ring) -> {
            long[] a = new long[2];
            long[] b = new long[2];
            synchronized (ring) {
                for (int back = 0; back < Math.min(60, recent + before); back++) {
                    long[] slot = ring[(int) ((minute - back) % 60)];
                    if (slot[0] != minute - back) {
                        continue; // a minute with nothing recorded (the slot holds an older one)
                    }
                    long[] into = back < recent ? a : b;
                    into[0] += slot[1];
                    into[1] += slot[2];
                }
            }
            out.put(type, new Attempts[] {new Attempts(type, a[0], a[1]), new Attempts(type, b[0], b[1])});
        });
        return out;
    }

    /** A job rescued by this node: its type, how often, the first and the last time. */
    public record Rescued(String jobId, String type, long times, Instant first, Instant last) {}

    /** Jobs this node rescued at least {@code times} times, the last within {@code recent} (of the last 10,000 it rescued). */
    public List<Rescued> rescuedRepeatedly(int times, Duration recent) {
        Instant since = Instant.now().minus(recent);
        synchronized (rescues) {
            return rescues.values().stream().filter(r -> r.times() >= times && r.last().isAfter(since)).toList();
        }
    }

    private void window(String type, boolean failed) {
        long minute = System.currentTimeMillis() / 60_000;
        long[][] ring = minutes.computeIfAbsent(type, t -> new long[60][3]);
        synchronized (ring) {
            long[] slot = ring[(int) (minute % 60)];
            if (slot[0] != minute) {
                slot[0] = minute;
                slot[1] = 0;
                slot[2] = 0;
            }
            slot[1]++;
            if (failed) {
                slot[2]++;
            }
        }
    }

    /** The slots a worker's claim asked to fill (its free ones), by worker: for the free-slots gauge. */
    private final Map<String, long[]> asked = new ConcurrentHashMap<>();

    void claimAsked(String workerId, int max) {
        long now = System.currentTimeMillis();
        asked.put(workerId, new long[] {max, now});
        if (asked.size() > 1_000) {
            asked.values().removeIf(a -> a[1] < now - 30_000);
        }
    }

    private double freeSlots() {
        long since = System.currentTimeMillis() - 30_000;
        asked.values().removeIf(a -> a[1] < since);
        return asked.values().stream().mapToLong(a -> a[0]).sum();
    }

    /** Claims long-polling now: +1 when one starts waiting, -1 when it ends. */
    void claimWaiting(int delta) {
        claimsWaiting.addAndGet(delta);
    }

    /** The meters of a job's type and queue (and tenant). */
    private Meters of(Job job) {
        Map<String, Meters> byQueue = meters.computeIfAbsent(job.type(), t -> new ConcurrentHashMap<>());
        String raw = perTenant ? job.queue() + "\0" + job.tenant() : job.queue();
        Meters m = byQueue.get(raw);
        if (m != null) {
            return m;
        }
        String queue = queues.of(job.queue());
        Tags tags = Tags.of("type", job.type(), "queue", queue);
        if (perTenant) {
            tags = tags.and("tenant", tenants.of(job.tenant()));
        }
        Tags labels = tags;
        String key = labels.stream().map(Tag::getValue).collect(Collectors.joining("\0"));
        // One Meters per set of label values (under a key no queue name can be), and the raw
        // value kept only when its labels are its own: values past the bounds share "other"'s
        // and are looked up again, so the map stays bounded whatever queues jobs name.
        Meters made = byQueue.computeIfAbsent("\0" + key, k -> new Meters(key, labels));
        if (labels.stream().noneMatch(t -> t.getValue().equals(Labels.OTHER))) {
            byQueue.putIfAbsent(raw, made);
        }
        return made;
    }

    /** The meters of one type and queue (and tenant): made once, then only recorded into. */
    private final class Meters {
        final String key;
        final Tags tags;
        final Counter submitted;
        final Counter started;
        final Timer waited;
        private volatile Counter rescued;
        private final Map<JobStatus, Finished> finished = new ConcurrentHashMap<>(4);

        Meters(String key, Tags tags) {
            this.key = key;
            this.tags = tags;
            this.submitted = Counter.builder("spool.jobs.submitted").description("Jobs submitted (created; an idempotent replay is not counted)")
                    .tags(tags).register(registry);
            this.started = Counter.builder("spool.jobs.started").description("Attempts started (claimed)").tags(tags).register(registry);
            this.waited = timer("spool.job.wait", "Time from when a job was due (submitted, or its retry's time came) to its attempt's start",
                    tags);
        }

        /** Made on first use: a counter that never counted would show a type's 0 rescues for ever. */
        Counter rescued() {
            Counter c = rescued;
            if (c == null) {
                c = Counter.builder("spool.leases.rescued").description("Attempts ended because their lease ran out or they passed their timeout")
                        .tags(tags).register(registry);
                rescued = c;
            }
            return c;
        }

        Finished finished(JobStatus status) {
            return finished.computeIfAbsent(status, s -> {
                Tags t = tags.and("status", s.wireName());
                return new Finished(Counter.builder("spool.jobs.finished").description("Jobs that reached a final status")
                        .tags(t).register(registry), timer("spool.job.run", "Time jobs ran, over all their attempts, by final status", t));
            });
        }
    }

    /** A final status's count and run times. */
    private record Finished(Counter count, Timer run) {
        void record(long runMs) {
            count.increment();
            run.record(runMs, TimeUnit.MILLISECONDS);
        }
    }

    private Timer timer(String name, String help, Tags tags) {
        return Timer.builder(name).description(help).serviceLevelObjectives(Metrics.JOB_BUCKETS)
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofHours(4)).tags(tags).register(registry);
    }
}
