package dev.spool.engine;

import dev.spool.job.Job;
import dev.spool.job.JobStatus;
import dev.spool.telemetry.Labels;
import dev.spool.telemetry.Metrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
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
import java.util.function.BiFunction;

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
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();
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
        counter("spool.jobs.submitted", "Jobs submitted (created; an idempotent replay is not counted)", job, null).increment();
    }

    /** A claim started an attempt: counts it, and how long the job waited since it was due. */
    void started(Job job, Instant now) {
        counter("spool.jobs.started", "Attempts started (claimed)", job, null).increment();
        Instant due = job.runAt() == null ? job.createdAt() : job.runAt();
        timer("spool.job.wait", "Time from when a job was due (submitted, or its retry's time came) to its attempt's start",
                job, null).record(Duration.between(due, now).isNegative() ? Duration.ZERO : Duration.between(due, now));
    }

    /** An attempt ended (reported, rescued, or the job was cancelled while queued), as {@code job} now is. */
    void ended(Job job) {
        boolean failed = job.error() != null && (job.status() == JobStatus.QUEUED || job.status() == JobStatus.FAILED);
        window(job.type(), failed);
        if (failed) {
            Counter.Builder b = Counter.builder("spool.attempts.failed").description("Attempts that failed, by error code");
            String code = codes.of(job.error().code());
            counters.computeIfAbsent("spool.attempts.failed\0" + key(job) + "\0" + code,
                    k -> b.tags(tags(job)).tag("code", code).register(registry)).increment();
        }
        if (job.status().isTerminal()) {
            String status = job.status().wireName();
            counter("spool.jobs.finished", "Jobs that reached a final status", job, status).increment();
            timer("spool.job.run", "Time jobs ran, over all their attempts, by final status", job, status)
                    .record(job.runMs(), TimeUnit.MILLISECONDS);
        }
    }

    /** A lease ran out (or an attempt its timeout) and this node ended the attempt. */
    void rescued(Job job) {
        rescues.compute(job.id().value(), (id, seen) -> seen == null
                ? new Rescued(id, job.type(), 1, Instant.now())
                : new Rescued(id, seen.type(), seen.times() + 1, seen.first()));
        counter("spool.leases.rescued", "Attempts ended because their lease ran out or they passed their timeout", job, null)
                .increment();
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

    /** A job rescued more than once by this node: its type, how often, since when. */
    public record Rescued(String jobId, String type, long times, Instant first) {}

    /** Jobs this node rescued at least {@code times} times (of the last 10,000 it rescued). */
    public List<Rescued> rescuedRepeatedly(int times) {
        synchronized (rescues) {
            return rescues.values().stream().filter(r -> r.times() >= times).toList();
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

    private Counter counter(String name, String help, Job job, String status) {
        return counters.computeIfAbsent(name + "\0" + key(job) + "\0" + status,
                k -> with(Counter.builder(name).description(help), job, status, Counter.Builder::tags).register(registry));
    }

    private Timer timer(String name, String help, Job job, String status) {
        return timers.computeIfAbsent(name + "\0" + key(job) + "\0" + status,
                k -> with(Timer.builder(name).description(help).serviceLevelObjectives(Metrics.JOB_BUCKETS)
                        .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofHours(4)),
                        job, status, Timer.Builder::tags).register(registry));
    }

    private <B> B with(B builder, Job job, String status, BiFunction<B, Tags, B> tagger) {
        Tags t = tags(job);
        return tagger.apply(builder, status == null ? t : t.and("status", status));
    }

    private Tags tags(Job job) {
        Tags t = Tags.of("type", job.type(), "queue", queues.of(job.queue()));
        return perTenant ? t.and("tenant", tenants.of(job.tenant())) : t;
    }

    private String key(Job job) {
        // the label values, not the raw ones: a queue past the bound shares "other"'s meters
        return job.type() + "\0" + queues.of(job.queue()) + (perTenant ? "\0" + tenants.of(job.tenant()) : "");
    }
}
