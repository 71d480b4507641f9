package dev.spool.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spool.auth.Caller;
import dev.spool.engine.Engine;
import dev.spool.engine.Schedules;
import dev.spool.job.JobId;
import dev.spool.job.JobTiming;
import dev.spool.job.QueueState;
import dev.spool.job.Schedule;
import dev.spool.job.SpoolException;
import dev.spool.webhook.Webhooks;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** An operator's routes: queues with their depths, paused and resumed; cron schedules. */
final class OperateRoutes {
    /** A schedule as created or changed; fields left out keep their values (or defaults). */
    record ScheduleBody(String name, String cron, String timezone, JsonNode job, String overlap, String missed, Boolean paused) {}

    /** Ticks a schedule shows ahead. */
    private static final int NEXT_RUNS = 5;
    /** Schedules one list answer shows at most. */
    private static final int MOST_SCHEDULES = 1000;

    private final Engine engine;
    private final Schedules schedules;
    private final Webhooks webhooks;

    OperateRoutes(Engine engine, Schedules schedules, Webhooks webhooks) {
        this.engine = engine;
        this.schedules = schedules;
        this.webhooks = webhooks;
    }

    /** A tenant sees the queues of its own jobs (and the declared types'); an admin sees every tenant's, and every paused queue. */
    void queues(Caller caller, ServerRequest req, ServerResponse res) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        var data = out.putArray("data");
        Instant now = engine.clock().instant();
        engine.queues(caller.isAdmin() ? null : caller.tenant()).forEach(q -> data.add(queue(q, now)));
        ApiServer.sendJson(res, Status.OK_200, out);
    }

    void pause(Caller caller, ServerRequest req, ServerResponse res) {
        ApiServer.sendJson(res, Status.OK_200, queue(engine.pauseQueue(name(req), caller.keyId()), engine.clock().instant()));
    }

    void resume(Caller caller, ServerRequest req, ServerResponse res) {
        ApiServer.sendJson(res, Status.OK_200, queue(engine.resumeQueue(name(req)), engine.clock().instant()));
    }

    private static String name(ServerRequest req) {
        return req.path().pathParameters().get("name");
    }

    static ObjectNode queue(QueueState q, Instant now) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("name", q.queue());
        o.put("queued", q.queued());
        o.put("running", q.running());
        if (q.oldestDue() == null) {
            o.putNull("oldest_queued_age_seconds");
        } else {
            o.put("oldest_queued_age_seconds", Math.max(0, Duration.between(q.oldestDue(), now).toMillis()) / 1000.0);
        }
        o.put("paused", q.pausedAt() != null);
        o.put("paused_at", Wire.time(q.pausedAt()));
        return o;
    }

    /**
     * The overview's figures for the last hour: jobs ended per minute by outcome, the percentiles
     * of their wait (submit to first start) and run (first start to end), and the webhook
     * deliveries that ended, delivered or failed.
     */
    void stats(Caller caller, ServerRequest req, ServerResponse res) {
        Instant now = engine.clock().instant();
        Instant start = now.truncatedTo(ChronoUnit.MINUTES).minus(Duration.ofMinutes(WINDOW_MINUTES - 1));
        List<JobTiming> ended = engine.recentlyEnded(caller.tenant(), Duration.between(start, now));
        long[][] perMinute = new long[WINDOW_MINUTES][3];
        List<Long> waits = new ArrayList<>();
        List<Long> runs = new ArrayList<>();
        for (JobTiming j : ended) {
            int minute = (int) Duration.between(start, j.endedAt()).toMinutes();
            if (minute >= 0 && minute < WINDOW_MINUTES) {
                perMinute[minute][switch (j.status()) {
                    case SUCCEEDED -> 0;
                    case FAILED -> 1;
                    default -> 2;
                }]++;
            }
            if (j.startedAt() != null) {
                waits.add(Duration.between(j.createdAt(), j.startedAt()).toMillis());
                runs.add(Duration.between(j.startedAt(), j.endedAt()).toMillis());
            }
        }
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("window_minutes", WINDOW_MINUTES);
        out.put("ended", ended.size());
        var minutes = out.putArray("minutes");
        for (int m = 0; m < WINDOW_MINUTES; m++) {
            minutes.addObject().put("at", Wire.time(start.plus(Duration.ofMinutes(m))))
                    .put("succeeded", perMinute[m][0]).put("failed", perMinute[m][1]).put("cancelled", perMinute[m][2]);
        }
        out.set("wait_ms", percentiles(waits));
        out.set("run_ms", percentiles(runs));
        var outcomes = webhooks.outcomes(caller.tenant(), start);
        out.putObject("webhooks").put("delivered", outcomes.getOrDefault("delivered", 0L))
                .put("failed", outcomes.getOrDefault("failed", 0L));
        ApiServer.sendJson(res, Status.OK_200, out);
    }

    private static final int WINDOW_MINUTES = 60;

    private static ObjectNode percentiles(List<Long> values) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        Collections.sort(values);
        for (int p : new int[] {50, 95, 99}) {
            if (values.isEmpty()) {
                o.putNull("p" + p);
            } else {
                o.put("p" + p, values.get(Math.min(values.size() - 1, (int) Math.ceil(p / 100.0 * values.size()) - 1)));
            }
        }
        return o;
    }

    void createSchedule(Caller caller, ServerRequest req, ServerResponse res) {
        ScheduleBody body = Json.read(ApiServer.body(req), ScheduleBody.class);
        Schedule s = schedules.create(caller.tenant(), caller.keyId(), spec(body));
        res.header(HeaderNames.LOCATION, "/v1/schedules/" + s.id());
        ApiServer.sendJson(res, Status.CREATED_201, schedule(s));
    }

    void listSchedules(Caller caller, ServerRequest req, ServerResponse res) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        var data = out.putArray("data");
        schedules.list(caller.tenant(), null, MOST_SCHEDULES).forEach(s -> data.add(schedule(s)));
        ApiServer.sendJson(res, Status.OK_200, out);
    }

    void getSchedule(Caller caller, ServerRequest req, ServerResponse res) {
        ApiServer.sendJson(res, Status.OK_200, schedule(schedules.get(caller.tenant(), id(req))));
    }

    void updateSchedule(Caller caller, ServerRequest req, ServerResponse res) {
        String id = id(req);
        schedules.get(caller.tenant(), id); // 404 before the body is judged
        ScheduleBody body = Json.read(ApiServer.body(req), ScheduleBody.class);
        ApiServer.sendJson(res, Status.OK_200, schedule(schedules.update(caller.tenant(), id, spec(body))));
    }

    void pauseSchedule(Caller caller, ServerRequest req, ServerResponse res) {
        ApiServer.sendJson(res, Status.OK_200, schedule(schedules.pause(caller.tenant(), id(req))));
    }

    void resumeSchedule(Caller caller, ServerRequest req, ServerResponse res) {
        ApiServer.sendJson(res, Status.OK_200, schedule(schedules.resume(caller.tenant(), id(req))));
    }

    void deleteSchedule(Caller caller, ServerRequest req, ServerResponse res) {
        schedules.delete(caller.tenant(), id(req));
        res.status(Status.NO_CONTENT_204).send();
    }

    private static Schedules.Spec spec(ScheduleBody b) {
        return new Schedules.Spec(b.name(), b.cron(), b.timezone(), b.job(), b.overlap(), b.missed(), b.paused());
    }

    /** The schedule id in the path; one that is not a UUID is a schedule that does not exist. */
    private static String id(ServerRequest req) {
        return JobId.parse(req.path().pathParameters().get("id")).orElseThrow(() -> SpoolException.notFound("schedule")).value();
    }

    private ObjectNode schedule(Schedule s) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", s.id());
        o.put("name", s.name());
        o.put("cron", s.cron());
        o.put("timezone", s.timezone());
        o.set("job", Json.tree(s.job().getBytes(StandardCharsets.UTF_8)));
        o.put("overlap", s.overlap());
        o.put("missed", s.missed());
        o.put("paused", s.paused());
        o.put("next_run_at", Wire.time(s.nextRunAt()));
        var next = o.putArray("next_runs");
        schedules.nextRuns(s, NEXT_RUNS).forEach(t -> next.add(Wire.time(t)));
        o.put("last_run_at", Wire.time(s.lastRunAt()));
        o.put("last_job_id", s.lastJobId());
        o.put("created_at", Wire.time(s.createdAt()));
        o.put("updated_at", Wire.time(s.updatedAt()));
        return o;
    }
}
