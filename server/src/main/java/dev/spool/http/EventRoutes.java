package dev.spool.http;

import dev.spool.auth.Caller;
import dev.spool.engine.Engine;
import dev.spool.engine.EventFeed;
import dev.spool.job.ErrorCode;
import dev.spool.job.FeedEvent;
import dev.spool.job.Job;
import dev.spool.job.JobEvent;
import dev.spool.job.JobId;
import dev.spool.job.LogLine;
import dev.spool.job.SpoolException;
import io.helidon.common.parameters.Parameters;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Live job events: a job's events or a tenant's as a server-sent event stream, resumable with
 * {@code Last-Event-ID}, and {@code GET /v1/jobs/{id}} with {@code Prefer: wait=N}.
 *
 * <p>A stream first reads what the client missed from the store (everything after its last event
 * id, up to where the {@link EventFeed} stood when the stream subscribed), then follows the feed;
 * the feed publishes in sequence order, so nothing is skipped or sent twice. A job's stream ends
 * after the job's final event, or at once if it had already ended when the client caught up.
 */
final class EventRoutes {
    private static final HeaderName LAST_EVENT_ID = HeaderNames.create("Last-Event-ID");
    private static final HeaderName PREFER = HeaderNames.create("Prefer");
    private static final HeaderName PREFERENCE_APPLIED = HeaderNames.create("Preference-Applied");
    private static final Pattern WAIT = Pattern.compile("(?:^|[,;\\s])wait\\s*=\\s*(\\d{1,9})(?:$|[,;\\s])");
    static final int MAX_WAIT_SECONDS = 60;
    private static final Duration KEEP_ALIVE = Duration.ofSeconds(15);
    private static final int CATCH_UP_BATCH = 500;
    private static final Set<String> STREAM_PARAMETERS = Set.of("type", "queue", "batch_id", "job_id", "kind", "last_event_id");

    private final Engine engine;
    private final EventFeed feed;
    private final Wire wire;

    EventRoutes(Engine engine, EventFeed feed, Wire wire) {
        this.engine = engine;
        this.feed = feed;
        this.wire = wire;
    }

    /** {@code GET /v1/jobs/{id}}: the job now, or with {@code Prefer: wait=N} once it changed or ended (at most N s). */
    void get(Caller caller, ServerRequest req, ServerResponse res) throws InterruptedException {
        JobId id = JobRoutes.jobId(req);
        int wait = preferredWait(req);
        Job job = engine.get(caller.tenant(), id);
        if (wait > 0) {
            res.header(PREFERENCE_APPLIED, "wait=" + wait);
            if (!job.status().isTerminal()) {
                try (EventFeed.Subscription changes = feed.subscribe(e -> e.event().jobId().equals(id))) {
                    // The job may have changed between the first read and the subscription: read it again.
                    Job again = engine.get(caller.tenant(), id);
                    // (A heartbeat changes updated_at and is no event: compare what events change.)
                    if (again.status() == job.status() && again.attempt() == job.attempt()
                            && again.cancelRequested() == job.cancelRequested() && again.progress().equals(job.progress())) {
                        changes.next(Duration.ofSeconds(wait));
                    }
                } catch (EventFeed.CutOff cutOff) {
                    // shutting down, or too far behind: answer with the job as it is now
                }
                job = engine.get(caller.tenant(), id);
            }
        }
        ApiServer.sendJson(res, Status.OK_200, wire.job(job, engine.clock().instant()));
    }

    /** The seconds of {@code Prefer: wait=N}, capped; 0 without it. */
    static int preferredWait(ServerRequest req) {
        for (String value : req.headers().all(PREFER, List::of)) {
            Matcher m = WAIT.matcher(value.toLowerCase(Locale.ROOT));
            if (m.find()) {
                return (int) Math.min(MAX_WAIT_SECONDS, Long.parseLong(m.group(1)));
            }
        }
        return 0;
    }

    static boolean wantsStream(ServerRequest req) {
        return req.headers().all(HeaderNames.ACCEPT, List::of).stream()
                .anyMatch(a -> a.toLowerCase(Locale.ROOT).contains("text/event-stream"));
    }

    /** {@code GET /v1/jobs/{id}/events} as a stream: the job's history after the last event id, then live until it ends. */
    void jobStream(Caller caller, ServerRequest req, ServerResponse res) throws InterruptedException {
        JobId id = JobRoutes.jobId(req);
        engine.get(caller.tenant(), id); // 404 before the stream opens
        long cursor = lastEventId(req);
        try (EventFeed.Subscription live = feed.subscribe(e -> e.event().jobId().equals(id));
             Stream stream = Stream.open(res)) {
            cursor = catchUp(stream, caller.tenant(), id, cursor, live.from(), e -> true);
            Job now = engine.get(caller.tenant(), id);
            if (now.status().isTerminal()) {
                // Its last events are committed (with the status), so the store has them all now.
                catchUp(stream, caller.tenant(), id, cursor, Long.MAX_VALUE, e -> true);
                return;
            }
            follow(stream, live, cursor, true);
        } catch (StreamClosed | EventFeed.CutOff gone) {
            // the client went away, or fell too far behind and resumes with Last-Event-ID
        }
    }

    /** How often a log stream looks for new lines. */
    private static final Duration LOG_POLL = Duration.ofMillis(500);
    private static final int LOG_PAGE = 1_000;

    /**
     * {@code GET /v1/jobs/{id}/logs} as {@code text/event-stream}: the job's log lines (after the
     * last event id, which is a line's seq), then each new one as it is written, until the job has
     * ended and its last lines are sent. Lines are looked for every half second.
     */
    void logStream(Caller caller, ServerRequest req, ServerResponse res) throws InterruptedException {
        JobId id = JobRoutes.jobId(req);
        engine.get(caller.tenant(), id); // 404 before the stream opens
        long cursor = lastEventId(req);
        try (Stream stream = Stream.open(res)) {
            long quietSince = System.nanoTime();
            while (true) {
                // Read the status first: lines written before the job ended are then all in the read after it.
                boolean ended = engine.get(caller.tenant(), id).status().isTerminal();
                List<LogLine> lines;
                do { // only the lines after the last one sent, a page at a time
                    lines = engine.logs(caller.tenant(), id, cursor, LOG_PAGE);
                    for (LogLine line : lines) {
                        stream.send(Wire.logLine(line).toString(), "log", line.seq());
                        cursor = line.seq();
                        quietSince = System.nanoTime();
                    }
                } while (lines.size() == LOG_PAGE);
                if (ended) {
                    stream.send("{}", "end", cursor); // nothing more will come: a client need not reconnect
                    return;
                }
                if (System.nanoTime() - quietSince > KEEP_ALIVE.toNanos()) {
                    stream.keepAlive();
                    quietSince = System.nanoTime();
                }
                Thread.sleep(LOG_POLL.toMillis());
            }
        } catch (StreamClosed gone) {
            // the client went away
        } catch (SpoolException e) {
            if (e.code() != ErrorCode.NOT_FOUND) {
                throw e;
            }
            // deleted while followed: the stream ends
        }
    }

    /** {@code GET /v1/events}: the tenant's events, filtered, live (after the last event id, if one is given). */
    void tenantStream(Caller caller, ServerRequest req, ServerResponse res) throws InterruptedException {
        Parameters q = req.query();
        for (String name : q.names()) {
            if (!STREAM_PARAMETERS.contains(name)) {
                throw SpoolException.invalid("Unknown query parameter '" + name + "'. Known: "
                        + String.join(", ", STREAM_PARAMETERS.stream().sorted().toList()) + ".");
            }
        }
        String type = JobRoutes.optional(q, "type");
        String queue = JobRoutes.optional(q, "queue");
        String batch = JobRoutes.optional(q, "batch_id");
        String job = JobRoutes.optional(q, "job_id");
        String kinds = JobRoutes.optional(q, "kind");
        Set<String> kindSet = kinds == null ? null : Set.copyOf(List.of(kinds.split(","))); // repeats are fine
        String tenant = caller.tenant();
        Predicate<FeedEvent> filter = e -> e.tenant().equals(tenant)
                && (type == null || type.equals(e.type()))
                && (queue == null || queue.equals(e.queue()))
                && (batch == null || batch.equals(e.batchId()))
                && (job == null || job.equals(e.event().jobId().value()))
                && (kindSet == null || kindSet.contains(e.event().kind()));
        boolean resume = req.headers().contains(LAST_EVENT_ID) || q.contains("last_event_id");
        long cursor = lastEventId(req);
        try (EventFeed.Subscription live = feed.subscribe(filter); Stream stream = Stream.open(res)) {
            cursor = resume ? catchUp(stream, tenant, null, cursor, live.from(), filter) : live.from();
            follow(stream, live, cursor, false);
        } catch (StreamClosed | EventFeed.CutOff gone) {
            // the client went away, or fell too far behind and resumes with Last-Event-ID
        }
    }

    /**
     * Sends the subscription's events after {@code cursor} as they come, with a keep-alive whenever
     * none came for a while; with {@code untilEnd}, returns after the job's final event.
     */
    private void follow(Stream stream, EventFeed.Subscription live, long cursor, boolean untilEnd) throws InterruptedException {
        while (true) {
            FeedEvent e = live.next(KEEP_ALIVE);
            if (e == null) {
                stream.keepAlive();
            } else if (e.event().seq() > cursor) {
                send(stream, e.event());
                cursor = e.event().seq();
                if (untilEnd && e.event().status().isTerminal()) {
                    return;
                }
            }
        }
    }

    private void send(Stream stream, JobEvent e) {
        stream.send(wire.event(e).toString(), e.kind(), e.seq());
    }

    /** Sends the stored events after {@code cursor} up to {@code upTo} that {@code filter} takes; returns the new cursor. */
    private long catchUp(Stream stream, String tenant, JobId job, long cursor, long upTo, Predicate<FeedEvent> filter) {
        while (true) {
            List<FeedEvent> batch = engine.eventsBetween(tenant, job, cursor, upTo, CATCH_UP_BATCH);
            for (FeedEvent e : batch) {
                if (filter.test(e)) {
                    send(stream, e.event());
                }
                cursor = e.event().seq();
            }
            if (batch.size() < CATCH_UP_BATCH) {
                return cursor;
            }
        }
    }

    /** The event id to resume after: {@code Last-Event-ID}, or the {@code last_event_id} parameter (EventSource cannot set headers); 0 for all. */
    private static long lastEventId(ServerRequest req) {
        String text = req.headers().first(LAST_EVENT_ID)
                .orElseGet(() -> req.query().contains("last_event_id") ? JobRoutes.single(req.query(), "last_event_id") : "0");
        try {
            long id = Long.parseLong(text.trim());
            if (id < 0) {
                throw new NumberFormatException();
            }
            return id;
        } catch (NumberFormatException e) {
            throw SpoolException.invalid("Last-Event-ID must be the id of an event this server sent, not '" + text + "'");
        }
    }

    /** The client is gone: a write failed. */
    private static final class StreamClosed extends RuntimeException {
        StreamClosed(Throwable cause) {
            super(cause);
        }
    }

    /** A {@code text/event-stream} response, flushed after every message. */
    private static final class Stream implements AutoCloseable {
        private final OutputStream out;

        private Stream(OutputStream out) {
            this.out = out;
        }

        static Stream open(ServerResponse res) {
            res.status(Status.OK_200);
            res.header(HeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
            res.header(HeaderNames.CACHE_CONTROL, "no-cache");
            res.header(HeaderNames.create("X-Accel-Buffering"), "no"); // tell proxies not to hold it back
            Stream s = new Stream(res.outputStream());
            s.write("retry: 2000\n\n");
            return s;
        }

        void send(String json, String event, long id) {
            write("id: " + id + "\nevent: " + event + "\ndata: " + json + "\n\n");
        }

        void keepAlive() {
            write(": keep-alive\n\n");
        }

        private void write(String text) {
            try {
                out.write(text.getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException | UncheckedIOException e) {
                throw new StreamClosed(e);
            } catch (RuntimeException e) {
                throw new StreamClosed(e);
            }
        }

        @Override
        public void close() {
            try {
                out.close();
            } catch (IOException | RuntimeException ignored) {
                // the client is gone; nothing to finish
            }
        }
    }
}
