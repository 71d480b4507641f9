package dev.spool.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A client for Spool's native HTTP API v1. Thread-safe; make one and share it.
 *
 * <pre>{@code
 * SpoolClient spool = SpoolClient.builder(URI.create("http://127.0.0.1:8080")).apiKey(key).build();
 * Job job = spool.submit(SubmitRequest.of("text.stats", input));
 * Job done = spool.waitFor(job.id(), Duration.ofMinutes(1), j -> {});
 * }</pre>
 *
 * Every error answer is thrown as a {@link SpoolApiException}; a failure to reach the server as an
 * {@link java.io.UncheckedIOException}.
 */
public final class SpoolClient {
    /** The mapper the client reads and writes the API's JSON with: snake_case, ISO-8601 times. */
    public static final ObjectMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .addModule(new JavaTimeModule())
            .build();

    private record Data<T>(List<T> data) {}

    private final URI baseUri;
    private final String apiKey;
    private final HttpClient http;
    private final Duration timeout;
    private final Consumer<HttpResponse<byte[]>> onResponse;

    private SpoolClient(Builder b) {
        String base = b.baseUri.toString();
        this.baseUri = URI.create(base.endsWith("/") ? base.substring(0, base.length() - 1) : base);
        this.apiKey = b.apiKey;
        this.timeout = b.timeout;
        this.onResponse = b.onResponse;
        this.http = HttpClient.newBuilder().connectTimeout(b.timeout).version(HttpClient.Version.HTTP_1_1).build();
    }

    public static Builder builder(URI baseUri) {
        return new Builder(baseUri);
    }

    // ---------------------------------------------------------------- jobs

    /** Submits a job; it is queued and answered at once. */
    public Job submit(SubmitRequest request) {
        return submit(request, null);
    }

    /**
     * Submits a job under an idempotency key: a repeat with the same key and the same request
     * returns the job the first one made, so a retried submit never makes a second job.
     */
    public Job submit(SubmitRequest request, String idempotencyKey) {
        return read(send("POST", "/v1/jobs", request, idempotencyKey), Job.class);
    }

    public Job get(String id) {
        return read(send("GET", "/v1/jobs/" + segment(id), null, null), Job.class);
    }

    public JobPage list(ListQuery query) {
        return read(send("GET", "/v1/jobs" + query.toQueryString(), null, null), JobPage.class);
    }

    /** Cancels a queued job at once, or asks a running one to stop. */
    public Job cancel(String id) {
        return read(send("POST", "/v1/jobs/" + segment(id) + "/cancel", null, null), Job.class);
    }

    /** Queues a failed or cancelled job again. */
    public Job retry(String id) {
        return read(send("POST", "/v1/jobs/" + segment(id) + "/retry", null, null), Job.class);
    }

    /** Deletes a job that is not running, with its history. */
    public void delete(String id) {
        send("DELETE", "/v1/jobs/" + segment(id), null, null);
    }

    /** The job's history, oldest first. */
    public List<JobEvent> events(String id) {
        return readData(send("GET", "/v1/jobs/" + segment(id) + "/events", null, null), JobEvent.class);
    }

    /**
     * Follows the job's event stream until it has ended, calling {@code onChange} with each version
     * of the job that differs from the last. A broken stream is opened again after the last event
     * seen, so nothing is missed. Throws {@link SpoolApiException} with status 408 if the job has
     * not ended in time.
     */
    public Job waitFor(String id, Duration limit, Consumer<Job> onChange) {
        Instant deadline = Instant.now().plus(limit);
        Job job = get(id);
        onChange.accept(job);
        List<JobEvent> history = events(id);
        long last = history.isEmpty() ? 0 : history.getLast().seq();
        while (!job.isDone()) {
            Job[] latest = {job};
            try {
                last = followEvents(id, last, deadline, e -> {
                    Job now = get(id);
                    if (!Objects.equals(now.updatedAt(), latest[0].updatedAt()) || now.status() != latest[0].status()) {
                        onChange.accept(now);
                    }
                    latest[0] = now;
                });
            } catch (java.io.UncheckedIOException broken) {
                pause(200); // the stream broke (a restart, a proxy): open it again after the last event
            }
            job = get(id);
            if (!Objects.equals(job.updatedAt(), latest[0].updatedAt())) {
                onChange.accept(job);
            }
            if (!job.isDone() && Instant.now().isAfter(deadline)) {
                throw new SpoolApiException(408, "wait_timeout", "Still running",
                        "Job " + id + " is still " + job.status() + " after " + limit + ".");
            }
        }
        return job;
    }

    /**
     * Reads the job's live event stream from after {@code lastEventId} (0: from the start), calling
     * {@code onEvent} with each event, until the stream ends (after the job's final event) or
     * {@code deadline} passes. Returns the id of the last event read.
     */
    public long followEvents(String id, long lastEventId, Instant deadline, Consumer<JobEvent> onEvent) {
        return stream("/v1/jobs/" + segment(id) + "/events", lastEventId, deadline, (event, data) -> onEvent.accept(read(data, JobEvent.class)));
    }

    /**
     * Reads the job's log as it is written, from after line {@code lastSeq} (0: from the start),
     * until the job has ended and its last lines are read, or {@code deadline} passes. Returns the
     * seq of the last line read.
     */
    public long followLogs(String id, long lastSeq, Instant deadline, Consumer<LogLine> onLine) {
        return stream("/v1/jobs/" + segment(id) + "/logs", lastSeq, deadline, (event, data) -> {
            if (event.equals("log")) {
                onLine.accept(read(data, LogLine.class));
            }
        });
    }

    /** The job's log lines so far, oldest first. */
    public List<LogLine> logs(String id) {
        return readData(send("GET", "/v1/jobs/" + segment(id) + "/logs", null, null), LogLine.class);
    }

    /** The job's files, inputs and outputs, each with a signed link. */
    public List<Artifact> artifacts(String id) {
        return readData(send("GET", "/v1/jobs/" + segment(id) + "/artifacts", null, null), Artifact.class);
    }

    /** Downloads one of the job's files to {@code to}, streamed (never held in memory whole). */
    public void download(String id, String name, java.nio.file.Path to) {
        HttpRequest request = request("/v1/jobs/" + segment(id) + "/artifacts/" + segment(name)).GET().build();
        try {
            HttpResponse<java.nio.file.Path> response = http.send(request, HttpResponse.BodyHandlers.ofFile(to));
            if (response.statusCode() >= 400) {
                byte[] body = java.nio.file.Files.readAllBytes(to);
                java.nio.file.Files.deleteIfExists(to);
                throw problem(response.statusCode(), body);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot download " + name + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** (admin) The workers seen lately, with the jobs they hold. */
    public List<Worker> workers() {
        return readData(send("GET", "/v1/workers", null, null), Worker.class);
    }

    /**
     * Reads a server-sent event stream at {@code path} from after {@code lastEventId}, calling
     * {@code onMessage} with each message's event name and data, until the server ends it or
     * {@code deadline} passes. Returns the id of the last message read.
     */
    private long stream(String path, long lastEventId, Instant deadline, java.util.function.BiConsumer<String, String> onMessage) {
        HttpRequest.Builder request = request(path)
                .timeout(timeout)
                .header("Accept", "text/event-stream")
                .header("Last-Event-ID", Long.toString(lastEventId))
                .GET();
        HttpResponse<java.util.stream.Stream<String>> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofLines());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot reach Spool at " + baseUri + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        if (response.statusCode() >= 400) {
            String body = response.body().collect(java.util.stream.Collectors.joining("\n"));
            throw problem(response.statusCode(), body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        long last = lastEventId;
        StringBuilder data = new StringBuilder();
        String event = "message";
        long eventId = -1;
        try (java.util.stream.Stream<String> lines = response.body()) {
            var it = lines.iterator();
            while (it.hasNext()) {
                String line = it.next();
                if (line.isEmpty()) {
                    if (data.length() > 0) {
                        onMessage.accept(event, data.toString());
                        last = Math.max(last, eventId);
                    }
                    data.setLength(0);
                    event = "message";
                    eventId = -1;
                    if (Instant.now().isAfter(deadline)) {
                        break;
                    }
                } else if (line.startsWith("data:")) {
                    data.append(line.substring(line.startsWith("data: ") ? 6 : 5));
                } else if (line.startsWith("event:")) {
                    event = line.substring(6).trim();
                } else if (line.startsWith("id:")) {
                    eventId = Long.parseLong(line.substring(3).trim());
                }
            }
        }
        return last;
    }

    private static <T> T read(String json, Class<T> type) {
        try {
            return JSON.readValue(json, type);
        } catch (IOException e) {
            throw new IllegalStateException("unexpected answer from Spool: " + e.getMessage(), e);
        }
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    // ---------------------------------------------------------------- batches and types

    /** Submits all the jobs as one batch, or none of them if any is invalid. */
    public Batch submitBatch(List<SubmitRequest> jobs) {
        return submitBatch(jobs, null);
    }

    /**
     * Submits a batch under an idempotency key: a repeat with the same key and the same jobs returns
     * the batch the first one made, so a retried batch of 1,000 never makes 2,000 jobs.
     */
    public Batch submitBatch(List<SubmitRequest> jobs, String idempotencyKey) {
        return read(send("POST", "/v1/batches", Map.of("jobs", jobs), idempotencyKey), Batch.class);
    }

    /** {@link #submitBatch(List, String)} with the jobs as JSON submits, passed on as they are (every field the API takes). */
    public Batch submitBatch(JsonNode jobs, String idempotencyKey) {
        return read(send("POST", "/v1/batches", Map.of("jobs", jobs), idempotencyKey), Batch.class);
    }

    /** Cancels every queued or running member of a batch. */
    public BulkResult cancelBatch(String id) {
        return read(send("POST", "/v1/batches/" + segment(id) + "/cancel", null, null), BulkResult.class);
    }

    // ---------------------------------------------------------------- webhook endpoints

    /** Registers an endpoint for the tenant's job events ({@code events} null: the terminal ones); the answer carries its secret. */
    public WebhookEndpoint createWebhook(String url, List<String> events, String description) {
        var body = new java.util.LinkedHashMap<String, Object>();
        body.put("url", url);
        if (events != null) {
            body.put("events", events);
        }
        if (description != null) {
            body.put("description", description);
        }
        return read(send("POST", "/v1/webhooks", body, null), WebhookEndpoint.class);
    }

    public List<WebhookEndpoint> webhooks() {
        return readData(send("GET", "/v1/webhooks", null, null), WebhookEndpoint.class);
    }

    /** Deletes an endpoint; its pending deliveries fail. */
    public void deleteWebhook(String id) {
        send("DELETE", "/v1/webhooks/" + segment(id), null, null);
    }

    // ---------------------------------------------------------------- bulk actions

    /**
     * Cancels every job of the tenant that {@code filter} matches (queued ones at once, running ones
     * asked to stop). With an idempotency key (or null), a repeat answers what the first call did.
     */
    public BulkResult cancelJobs(BulkFilter filter, String idempotencyKey) {
        return read(send("POST", "/v1/jobs/cancel", filter, idempotencyKey), BulkResult.class);
    }

    /** Queues again every failed or cancelled job that {@code filter} matches; see {@link #cancelJobs}. */
    public BulkResult retryJobs(BulkFilter filter, String idempotencyKey) {
        return read(send("POST", "/v1/jobs/retry", filter, idempotencyKey), BulkResult.class);
    }

    /** Deletes every job that {@code filter} matches and that is not running; see {@link #cancelJobs}. */
    public BulkResult deleteJobs(BulkFilter filter, String idempotencyKey) {
        return read(send("POST", "/v1/jobs/delete", filter, idempotencyKey), BulkResult.class);
    }

    // ---------------------------------------------------------------- queues and schedules

    /** The queues with their depth, running jobs, oldest queued age and pause (a tenant sees its own jobs' counts). */
    public List<Queue> queues() {
        return readData(send("GET", "/v1/queues", null, null), Queue.class);
    }

    /** (admin) Pauses a queue on every node: submits go in, no claim takes its jobs until it is resumed. */
    public Queue pauseQueue(String name) {
        return read(send("POST", "/v1/queues/" + segment(name) + "/pause", null, null), Queue.class);
    }

    /** (admin) Resumes a paused queue. */
    public Queue resumeQueue(String name) {
        return read(send("POST", "/v1/queues/" + segment(name) + "/resume", null, null), Queue.class);
    }

    public Schedule createSchedule(Schedule.Request request) {
        return read(send("POST", "/v1/schedules", request, null), Schedule.class);
    }

    public List<Schedule> schedules() {
        return readData(send("GET", "/v1/schedules", null, null), Schedule.class);
    }

    public Schedule schedule(String id) {
        return read(send("GET", "/v1/schedules/" + segment(id), null, null), Schedule.class);
    }

    /** Changes the fields {@code change} sets; the others keep their values. */
    public Schedule updateSchedule(String id, Schedule.Request change) {
        return read(send("PATCH", "/v1/schedules/" + segment(id), change, null), Schedule.class);
    }

    public Schedule pauseSchedule(String id) {
        return read(send("POST", "/v1/schedules/" + segment(id) + "/pause", null, null), Schedule.class);
    }

    public Schedule resumeSchedule(String id) {
        return read(send("POST", "/v1/schedules/" + segment(id) + "/resume", null, null), Schedule.class);
    }

    /** Deletes a schedule; the jobs it made stay. */
    public void deleteSchedule(String id) {
        send("DELETE", "/v1/schedules/" + segment(id), null, null);
    }

    public Batch getBatch(String id) {
        return read(send("GET", "/v1/batches/" + segment(id), null, null), Batch.class);
    }

    public List<JobType> types() {
        return readData(send("GET", "/v1/types", null, null), JobType.class);
    }

    // ---------------------------------------------------------------- keys (admin)

    /** Makes an API key; the answer's {@code key} is its secret, shown this once. */
    public ApiKey createKey(String name, String tenant, String role) {
        var body = new java.util.LinkedHashMap<String, String>();
        body.put("name", name);
        if (tenant != null) {
            body.put("tenant", tenant);
        }
        if (role != null) {
            body.put("role", role);
        }
        return read(send("POST", "/v1/keys", body, null), ApiKey.class);
    }

    public List<ApiKey> listKeys() {
        return readData(send("GET", "/v1/keys", null, null), ApiKey.class);
    }

    public void revokeKey(String id) {
        send("DELETE", "/v1/keys/" + segment(id), null, null);
    }

    // ---------------------------------------------------------------- usage and limits

    /**
     * The caller's tenant's usage of the days {@code from} to {@code to} (null: the server's
     * defaults, this month), grouped by {@code groupBy} ({@code day}, {@code type}, {@code queue},
     * {@code key}; none: one row per currency). An admin may name another {@code tenantId}, or
     * {@code *} for every tenant; null is the caller's own.
     */
    public Usage usage(LocalDate from, LocalDate to, String tenantId, String... groupBy) {
        return read(send("GET", usagePath(from, to, tenantId, groupBy), null, null), Usage.class);
    }

    /** {@link #usage} as CSV ({@code Accept: text/csv}): a header line, then one line per group. */
    public String usageCsv(LocalDate from, LocalDate to, String tenantId, String... groupBy) {
        HttpResponse<byte[]> response = exchange(request(usagePath(from, to, tenantId, groupBy)).timeout(timeout)
                .header("Accept", "text/csv").GET());
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    private static String usagePath(LocalDate from, LocalDate to, String tenantId, String... groupBy) {
        List<String> query = new ArrayList<>();
        if (from != null) {
            query.add("from=" + from);
        }
        if (to != null) {
            query.add("to=" + to);
        }
        if (tenantId != null) {
            query.add("tenant_id=" + segment(tenantId));
        }
        if (groupBy.length > 0) {
            query.add("group_by=" + segment(String.join(",", groupBy)));
        }
        return "/v1/usage" + (query.isEmpty() ? "" : "?" + String.join("&", query));
    }

    /** The caller's tenant's limits in effect, and the queued and running jobs and file bytes it holds. */
    public Limits.OfTenant limits() {
        return read(send("GET", "/v1/limits", null, null), Limits.OfTenant.class);
    }

    /** (admin) A tenant's limits in effect, and what was set for it through the API. */
    public Limits.OfTenant tenantLimits(String tenant) {
        return read(send("GET", "/v1/tenants/" + segment(tenant) + "/limits", null, null), Limits.OfTenant.class);
    }

    /** (admin) Sets what applies to {@code tenant} over the configuration: null fields keep the configuration's. */
    public Limits.OfTenant setTenantLimits(String tenant, Limits limits) {
        return read(send("PUT", "/v1/tenants/" + segment(tenant) + "/limits", limits, null), Limits.OfTenant.class);
    }

    /** (admin) Removes what was set for {@code tenant}; the configuration's limits apply again. */
    public void deleteTenantLimits(String tenant) {
        send("DELETE", "/v1/tenants/" + segment(tenant) + "/limits", null, null);
    }

    // ---------------------------------------------------------------- the worker protocol (worker keys)

    private record Claimed(List<ClaimedJob> jobs) {}

    /**
     * Claims up to {@code max} jobs of {@code types} (all worker types if empty), waiting up to
     * {@code waitSeconds} (at most 60) for work. Empty when none came in time.
     */
    public List<ClaimedJob> claim(String workerId, String name, List<String> types, int max, int waitSeconds) {
        var body = new java.util.LinkedHashMap<String, Object>();
        body.put("worker_id", workerId);
        body.put("name", name);
        body.put("types", types);
        body.put("max", max);
        body.put("wait_seconds", waitSeconds);
        return read(send("POST", "/v1/worker/claim", body, null, Duration.ofSeconds(waitSeconds).plus(timeout)), Claimed.class).jobs();
    }

    /** Keeps the lease of a running attempt; {@code fraction} and {@code message} may be null. */
    public HeartbeatReply heartbeat(String id, int attempt, Double fraction, String message) {
        var body = new java.util.LinkedHashMap<String, Object>();
        body.put("attempt", attempt);
        if (fraction != null || message != null) {
            var progress = new java.util.LinkedHashMap<String, Object>();
            if (fraction != null) {
                progress.put("fraction", fraction);
            }
            if (message != null) {
                progress.put("message", message);
            }
            body.put("progress", progress);
        }
        return read(send("POST", "/v1/worker/jobs/" + segment(id) + "/heartbeat", body, null), HeartbeatReply.class);
    }

    /** One running attempt's heartbeat for {@link #heartbeats}; {@code fraction} and {@code message} may be null. */
    public record Beat(String id, int attempt, Double fraction, String message) {}

    /**
     * Heartbeats of many running attempts in one call; each is answered on its own, in the order
     * given (an attempt that is no longer current gets its 409 as its answer's error).
     */
    public List<BatchAnswer<HeartbeatReply>> heartbeats(List<Beat> beats) {
        List<Map<String, Object>> items = new java.util.ArrayList<>(beats.size());
        for (Beat b : beats) {
            var item = new java.util.LinkedHashMap<String, Object>();
            item.put("id", b.id());
            item.put("attempt", b.attempt());
            if (b.fraction() != null || b.message() != null) {
                var progress = new java.util.LinkedHashMap<String, Object>();
                if (b.fraction() != null) {
                    progress.put("fraction", b.fraction());
                }
                if (b.message() != null) {
                    progress.put("message", b.message());
                }
                item.put("progress", progress);
            }
            items.add(item);
        }
        JsonNode results = readTree(send("POST", "/v1/worker/heartbeats", Map.of("heartbeats", items), null)).path("results");
        return answers(results, beats.size(), r -> JSON.convertValue(r, HeartbeatReply.class));
    }

    /**
     * Ends many attempts in one call; each report is fenced by its attempt and answered on its own,
     * in the order given: the job's status after it, or the item's refusal.
     */
    public List<BatchAnswer<String>> reports(List<WorkerReport> reports) {
        List<Map<String, Object>> items = new java.util.ArrayList<>(reports.size());
        for (WorkerReport r : reports) {
            var item = new java.util.LinkedHashMap<String, Object>();
            item.put("id", r.id());
            item.put("attempt", r.attempt());
            item.put("outcome", r.outcome());
            switch (r.outcome()) {
                case "succeeded" -> {
                    item.put("result", r.result() == null ? JSON.nullNode() : r.result());
                    item.put("usage", Map.of("units", r.units()));
                }
                case "failed" -> {
                    var error = new java.util.LinkedHashMap<String, Object>();
                    if (r.errorCode() != null) {
                        error.put("code", r.errorCode());
                    }
                    error.put("message", r.errorMessage());
                    item.put("error", error);
                    item.put("retryable", r.retryable());
                }
                default -> { }
            }
            items.add(item);
        }
        JsonNode results = readTree(send("POST", "/v1/worker/reports", Map.of("reports", items), null)).path("results");
        return answers(results, reports.size(), r -> r.path("status").asText());
    }

    private static <T> List<BatchAnswer<T>> answers(JsonNode results, int expected,
                                                            java.util.function.Function<JsonNode, T> value) {
        if (!results.isArray() || results.size() != expected) {
            throw new IllegalStateException("unexpected answer from Spool: " + expected + " results expected");
        }
        List<BatchAnswer<T>> out = new java.util.ArrayList<>(expected);
        for (JsonNode r : results) {
            JsonNode p = r.get("error");
            out.add(p == null ? new BatchAnswer<>(r.path("id").asText(), value.apply(r), null)
                    : new BatchAnswer<>(r.path("id").asText(), null, new SpoolApiException(p.path("status").asInt(),
                            p.path("code").asText(), p.path("title").asText(null), p.path("detail").asText(null))));
        }
        return out;
    }

    /** Ends an attempt with its result. A stale attempt throws {@link SpoolApiException} 409. */
    public void complete(String id, int attempt, JsonNode result, long units) {
        send("POST", "/v1/worker/jobs/" + segment(id) + "/complete",
                Map.of("attempt", attempt, "result", result == null ? JSON.nullNode() : result, "usage", Map.of("units", units)), null);
    }

    /** Ends an attempt with an error; a retryable one is tried again while attempts remain. */
    public void fail(String id, int attempt, String code, String message, boolean retryable) {
        send("POST", "/v1/worker/jobs/" + segment(id) + "/fail",
                Map.of("attempt", attempt, "error", Map.of("code", code, "message", message), "retryable", retryable), null);
    }

    /** Hands an attempt back unfinished: queued again at once, the attempt not spent. */
    public void release(String id, int attempt) {
        send("POST", "/v1/worker/jobs/" + segment(id) + "/release", Map.of("attempt", attempt), null);
    }

    /** Uploads an output file of a running attempt, streamed from {@code file}. A stale attempt throws 409. */
    public void uploadArtifact(String id, int attempt, String name, String contentType, java.nio.file.Path file) {
        HttpRequest.Builder request = request("/v1/worker/jobs/" + segment(id) + "/artifacts/" + segment(name)
                + "?attempt=" + attempt)
                .header("Content-Type", contentType == null ? "application/octet-stream" : contentType);
        try {
            request.PUT(HttpRequest.BodyPublishers.ofFile(file));
            HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            onResponse.accept(response);
            if (response.statusCode() >= 400) {
                throw problem(response);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot upload " + file + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Appends lines to the job's log (1 to 1,000 lines of at most 8 KiB each). */
    public void appendLogs(String id, int attempt, List<String> lines) {
        send("POST", "/v1/worker/jobs/" + segment(id) + "/logs", Map.of("attempt", attempt, "lines", lines), null);
    }

    // ---------------------------------------------------------------- plumbing

    private HttpResponse<byte[]> send(String method, String path, Object body, String idempotencyKey) {
        return send(method, path, body, idempotencyKey, timeout);
    }

    private HttpResponse<byte[]> send(String method, String path, Object body, String idempotencyKey, Duration answerWithin) {
        HttpRequest.Builder request = request(path)
                .timeout(answerWithin)
                .header("Accept", "application/json");
        if (idempotencyKey != null) {
            request.header("Idempotency-Key", idempotencyKey);
        }
        if (body != null) {
            request.header("Content-Type", "application/json");
            request.method(method, HttpRequest.BodyPublishers.ofByteArray(write(body)));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return exchange(request);
    }

    /** Sends {@code request}; an error answer is thrown as its problem. */
    private HttpResponse<byte[]> exchange(HttpRequest.Builder request) {
        HttpResponse<byte[]> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot reach Spool at " + baseUri + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        onResponse.accept(response);
        if (response.statusCode() >= 400) {
            throw problem(response);
        }
        return response;
    }

    /** A request to {@code path} (from the base URI), with the API key if there is one. */
    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUri + path));
        if (apiKey != null) {
            request.header("Authorization", "Bearer " + apiKey);
        }
        return request;
    }

    private static SpoolApiException problem(HttpResponse<byte[]> response) {
        SpoolApiException problem = problem(response.statusCode(), response.body());
        response.headers().firstValue("Retry-After").ifPresent(seconds -> {
            try {
                problem.retryAfter(Duration.ofSeconds(Long.parseLong(seconds.trim())));
            } catch (NumberFormatException ignored) {
                // an HTTP date: not one Spool sends
            }
        });
        return problem;
    }

    private static SpoolApiException problem(int status, byte[] body) {
        try {
            JsonNode p = JSON.readTree(body);
            return new SpoolApiException(status, p.path("code").asText("http_" + status),
                    p.path("title").asText(null), p.path("detail").asText(null));
        } catch (IOException e) {
            return new SpoolApiException(status, "http_" + status, null, new String(body, StandardCharsets.UTF_8));
        }
    }

    private static String segment(String id) {
        return URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static byte[] write(Object body) {
        try {
            return JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write the request as JSON", e);
        }
    }

    private static JsonNode readTree(HttpResponse<byte[]> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new IllegalStateException("unexpected answer from Spool: " + e.getMessage(), e);
        }
    }

    private static <T> T read(HttpResponse<byte[]> response, Class<T> type) {
        try {
            return JSON.readValue(response.body(), type);
        } catch (IOException e) {
            throw new IllegalStateException("unexpected answer from Spool: " + e.getMessage(), e);
        }
    }

    private static <T> List<T> readData(HttpResponse<byte[]> response, Class<T> type) {
        try {
            var javaType = JSON.getTypeFactory().constructParametricType(Data.class, type);
            Data<T> data = JSON.readValue(response.body(), javaType);
            return data.data();
        } catch (IOException e) {
            throw new IllegalStateException("unexpected answer from Spool: " + e.getMessage(), e);
        }
    }

    /** Settings for a {@link SpoolClient}. */
    public static final class Builder {
        private final URI baseUri;
        private String apiKey;
        private Duration timeout = Duration.ofSeconds(30);
        private Consumer<HttpResponse<byte[]>> onResponse = r -> {};

        private Builder(URI baseUri) {
            this.baseUri = Objects.requireNonNull(baseUri, "baseUri");
        }

        /** The API key sent as {@code Authorization: Bearer <key>}. */
        public Builder apiKey(String apiKey) {
            this.apiKey = apiKey;
            return this;
        }

        /** How long to wait for a connection and for each answer; 30 seconds unless set. */
        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        /** Sees every answer before it is read, error or not: for logging, metrics or contract checks. */
        public Builder onResponse(Consumer<HttpResponse<byte[]>> listener) {
            this.onResponse = Objects.requireNonNull(listener);
            return this;
        }

        public SpoolClient build() {
            return new SpoolClient(this);
        }
    }
}
