package dev.spool.engine;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spool.job.ErrorCode;
import dev.spool.job.Job;
import dev.spool.job.JobId;
import dev.spool.job.JobStatus;
import dev.spool.job.Schedule;
import dev.spool.job.SpoolException;
import dev.spool.store.ScheduleStore;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cron schedules: each tick submits one job. Every node fires due ticks ({@link #runOnce}); a
 * tick's job is submitted under an idempotency key made of the schedule and the tick, so that two
 * nodes firing the same tick (or one firing it again after a crash) make one job, and the next
 * tick is advanced by compare-and-set. Ticks are the cron's, not the node's clock's: nodes whose
 * clocks differ a little fire the same ticks, a little earlier or later.
 */
public final class Schedules {
    private static final Logger log = LoggerFactory.getLogger(Schedules.class);
    private static final CronParser FIVE_FIELDS = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
    private static final CronParser SIX_FIELDS = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.SPRING));
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A tick that no node fired within this long of its time was missed (every node was down): the schedule's {@code missed} policy applies. */
    public static final Duration MISSED_AFTER = Duration.ofMinutes(1);
    /** Ticks one schedule fires in one round at most; the rest wait for the next round. */
    static final int MOST_TICKS = 100;
    /** The metadata entry that names the schedule on each job it made. */
    public static final String METADATA_KEY = "schedule_id";

    /** What a create or update asks for; null fields are left as they are (or take their defaults). */
    public record Spec(String name, String cron, String timezone, JsonNode job, String overlap, String missed, Boolean paused) {}

    private static final Set<String> OVERLAPS = Set.of("allow", "skip");
    private static final Set<String> MISSED = Set.of("run_once", "skip");

    private final ScheduleStore store;
    private final Engine engine;
    private final BiFunction<JsonNode, String, Submission> submissions;
    private final InstantSource clock;

    /** @param submissions reads a submit body (with an idempotency key, or null) as the native API does */
    public Schedules(ScheduleStore store, Engine engine, BiFunction<JsonNode, String, Submission> submissions, InstantSource clock) {
        this.store = store;
        this.engine = engine;
        this.submissions = submissions;
        this.clock = clock;
    }

    public Schedule create(String tenant, String keyId, Spec spec) {
        if (spec.cron() == null) {
            throw SpoolException.invalid("cron is required: five fields (minute hour day-of-month month day-of-week), "
                    + "or six with seconds first");
        }
        if (spec.job() == null) {
            throw SpoolException.invalid("job is required: the submit body of the job each tick makes");
        }
        String id = JobId.generate().value();
        Instant now = clock.instant();
        Schedule s = new Schedule(id, tenant, keyId, null, spec.cron(), "UTC", null, "allow", "run_once", false, null, null, null,
                now, now);
        Schedule made = apply(s, spec, now);
        store.insert(made);
        return made;
    }

    public Schedule get(String tenant, String id) {
        return store.get(tenant, id).orElseThrow(() -> SpoolException.notFound("schedule"));
    }

    public List<Schedule> list(String tenant, String afterId, int limit) {
        return store.list(tenant, afterId, limit);
    }

    public Schedule update(String tenant, String id, Spec spec) {
        Schedule s = get(tenant, id);
        Schedule updated = apply(s, spec, clock.instant());
        if (!store.update(updated)) {
            throw SpoolException.notFound("schedule");
        }
        return updated;
    }

    public Schedule pause(String tenant, String id) {
        return update(tenant, id, new Spec(null, null, null, null, null, null, true));
    }

    public Schedule resume(String tenant, String id) {
        return update(tenant, id, new Spec(null, null, null, null, null, null, false));
    }

    public void delete(String tenant, String id) {
        if (!store.delete(tenant, id)) {
            throw SpoolException.notFound("schedule");
        }
    }

    /** The schedule's next {@code n} ticks from its next one (none while paused). */
    public List<Instant> nextRuns(Schedule s, int n) {
        List<Instant> runs = new ArrayList<>();
        if (s.paused() || s.nextRunAt() == null) {
            return runs;
        }
        ExecutionTime cron = cron(s.cron());
        ZoneId zone = ZoneId.of(s.timezone());
        for (Instant t = s.nextRunAt(); t != null && runs.size() < n; t = after(cron, zone, t)) {
            runs.add(t);
        }
        return runs;
    }

    /** {@code s} with what {@code spec} sets, checked; its next tick found again when its timing or pause changed. */
    private Schedule apply(Schedule s, Spec spec, Instant now) {
        String name = spec.name() != null ? spec.name() : s.name();
        if (name != null && (name.isBlank() || name.length() > 200)) {
            throw SpoolException.invalid("name must be 1 to 200 characters");
        }
        String cronText = spec.cron() != null ? spec.cron().trim() : s.cron();
        ExecutionTime cron = cron(cronText);
        String timezone = spec.timezone() != null ? spec.timezone() : s.timezone();
        ZoneId zone;
        try {
            zone = ZoneId.of(timezone);
        } catch (DateTimeException e) {
            throw SpoolException.invalid("timezone must be an IANA time zone such as Europe/Berlin or UTC, not '" + timezone + "'");
        }
        String overlap = spec.overlap() != null ? spec.overlap() : s.overlap();
        if (!OVERLAPS.contains(overlap)) {
            throw SpoolException.invalid("overlap must be 'allow' or 'skip' (no job for a tick while the last one is queued or running)");
        }
        String missed = spec.missed() != null ? spec.missed() : s.missed();
        if (!MISSED.contains(missed)) {
            throw SpoolException.invalid("missed must be 'run_once' (one job for the ticks missed while no node ran) or 'skip'");
        }
        String job = s.job();
        if (spec.job() != null) {
            if (!spec.job().isObject()) {
                throw SpoolException.invalid("job must be a JSON object: the submit body of the job each tick makes");
            }
            try {
                engine.checkSubmission(s.tenant(), s.keyId(), submissions.apply(tagged(spec.job(), s.id()), null));
            } catch (SpoolException e) {
                throw new SpoolException(e.code(), "job: " + e.getMessage());
            }
            job = spec.job().toString();
        }
        boolean paused = spec.paused() != null ? spec.paused() : s.paused();
        boolean retimed = !cronText.equals(s.cron()) || !timezone.equals(s.timezone()) || paused != s.paused() || s.job() == null;
        Instant next = paused ? null : retimed ? after(cron, zone, now) : s.nextRunAt();
        return new Schedule(s.id(), s.tenant(), s.keyId(), name, cronText, zone.getId(), job, overlap, missed, paused, next,
                s.lastRunAt(), s.lastJobId(), s.createdAt(), now);
    }

    /**
     * Fires the ticks that are due on every schedule: one round, safe on every node at once.
     * Returns how many jobs it submitted (a tick another node fired first is found, not counted).
     */
    public int runOnce(Instant now) {
        int made = 0;
        for (Schedule s : store.due(now, 100)) {
            try {
                made += fire(s, now);
            } catch (RuntimeException e) {
                if (SpoolException.unavailable(e)) {
                    throw e;
                }
                log.warn("schedule {} of tenant {} could not fire; it tries again next round", s.id(), s.tenant(), e);
            }
        }
        return made;
    }

    private int fire(Schedule s, Instant now) {
        ExecutionTime cron = cron(s.cron());
        ZoneId zone = ZoneId.of(s.timezone());
        List<Instant> ticks = new ArrayList<>();
        Instant t = s.nextRunAt();
        Instant lateBefore = now.minus(MISSED_AFTER);
        if (t.isBefore(lateBefore)) {
            // Missed while no node ran: one job for the latest of them, or none.
            Instant firstOnTime = after(cron, zone, lateBefore.minusNanos(1));
            if (s.missed().equals("run_once")) {
                Instant lastLate = cron.lastExecution((firstOnTime != null ? firstOnTime : lateBefore).atZone(zone))
                        .map(ZonedDateTime::toInstant).orElse(t);
                ticks.add(lastLate.isBefore(t) ? t : lastLate);
            }
            t = firstOnTime;
        }
        while (t != null && !t.isAfter(now) && ticks.size() < MOST_TICKS) {
            ticks.add(t);
            t = after(cron, zone, t);
        }
        int made = 0;
        String lastJob = s.lastJobId();
        Instant lastRun = null;
        for (Instant tick : ticks) {
            if (s.overlap().equals("skip") && lastJob != null && unfinished(s.tenant(), lastJob)) {
                continue;
            }
            Engine.Submitted submitted;
            try {
                submitted = engine.submit(s.tenant(), s.keyId(), submissions.apply(tagged(parse(s.job()), s.id()), key(s, tick)));
            } catch (SpoolException e) {
                if (SpoolException.unavailable(e)) {
                    throw e; // the database is away: the tick is fired again when it is back
                }
                // Refused (a quota, a rate limit, a type no longer declared): this tick makes no job,
                // and the schedule goes on to the next rather than retrying this one for ever.
                log.warn("schedule {} of tenant {}: the tick of {} made no job: {}", s.id(), s.tenant(), tick, e.getMessage());
                continue;
            }
            made += submitted.created() ? 1 : 0;
            lastJob = submitted.job().id().value();
            lastRun = tick;
        }
        store.advance(s.id(), s.nextRunAt(), t, lastRun, lastRun == null ? null : lastJob, now);
        return made;
    }

    /** The idempotency key of a tick's job: the same on every node, so a tick makes one job. */
    static String key(Schedule s, Instant tick) {
        return "schedule:" + s.id() + ":" + tick.toEpochMilli();
    }

    private boolean unfinished(String tenant, String jobId) {
        Optional<Job> job = JobId.parse(jobId).flatMap(id -> {
            try {
                return Optional.of(engine.get(tenant, id));
            } catch (SpoolException e) {
                if (e.code() == ErrorCode.NOT_FOUND) {
                    return Optional.empty();
                }
                throw e;
            }
        });
        return job.map(j -> j.status() == JobStatus.QUEUED || j.status() == JobStatus.RUNNING).orElse(false);
    }

    /** The job body with the schedule named in its metadata. */
    private static JsonNode tagged(JsonNode job, String scheduleId) {
        ObjectNode copy = job.deepCopy();
        JsonNode metadata = copy.get("metadata");
        ObjectNode tags = metadata instanceof ObjectNode o ? o : copy.putObject("metadata");
        tags.put(METADATA_KEY, scheduleId);
        return copy;
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("a schedule's stored job is not JSON", e);
        }
    }

    /** The first tick after {@code t}, or null when the cron has no more. (Ticks fall on whole seconds.) */
    private static Instant after(ExecutionTime cron, ZoneId zone, Instant t) {
        return cron.nextExecution(t.atZone(zone).truncatedTo(ChronoUnit.SECONDS)).map(ZonedDateTime::toInstant).orElse(null);
    }

    /** A cron expression: five fields (minute hour day-of-month month day-of-week), or six with seconds first. */
    static ExecutionTime cron(String text) {
        String trimmed = text == null ? "" : text.trim();
        int fields = trimmed.isEmpty() ? 0 : trimmed.split("\\s+").length;
        CronParser parser = fields == 5 ? FIVE_FIELDS : fields == 6 ? SIX_FIELDS : null;
        if (parser == null) {
            throw SpoolException.invalid("cron must have five fields (minute hour day-of-month month day-of-week), "
                    + "or six with seconds first, not '" + trimmed + "'");
        }
        try {
            Cron cron = parser.parse(trimmed);
            cron.validate();
            return ExecutionTime.forCron(cron);
        } catch (IllegalArgumentException e) {
            throw SpoolException.invalid("cron '" + trimmed + "' does not parse: " + e.getMessage().toLowerCase(Locale.ROOT));
        }
    }
}
