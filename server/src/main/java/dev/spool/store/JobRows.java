package dev.spool.store;

import static dev.spool.store.Sql.JSON;
import static dev.spool.store.Sql.instant;
import static dev.spool.store.Sql.parse;
import static dev.spool.store.Sql.prepare;
import static dev.spool.store.Sql.read;
import static dev.spool.store.Sql.readMap;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.spool.job.Job;
import dev.spool.job.JobError;
import dev.spool.job.JobEvent;
import dev.spool.job.JobId;
import dev.spool.job.JobStatus;
import dev.spool.job.JobWebhook;
import dev.spool.job.Progress;
import dev.spool.job.WebhookEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A job as its row: the columns every statement that reads jobs selects, and the mapping back.
 */
final class JobRows {
    private JobRows() {}

    /** Jobs as JSON snapshots: every field that is set (an absent one reads back as null), times as ISO-8601 text. */
    private static final ObjectMapper SNAPSHOTS = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .defaultPropertyInclusion(JsonInclude.Value.construct(JsonInclude.Include.NON_NULL, JsonInclude.Include.NON_NULL))
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .build();

    /** The job as JSON, to keep it as it was at an event (the webhook outbox). */
    static String snapshot(Job job) {
        try {
            return SNAPSHOTS.writeValueAsString(job);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a job did not serialize", e);
        }
    }

    /** The job a {@link #snapshot} holds. */
    static Job fromSnapshot(String json) {
        try {
            return SNAPSHOTS.readValue(json, Job.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stored job snapshot does not parse", e);
        }
    }

    static Optional<Job> selectOne(Connection c, String sql, Object... args) throws SQLException {
        List<Job> jobs = selectMany(c, sql, args);
        return jobs.isEmpty() ? Optional.empty() : Optional.of(jobs.getFirst());
    }

    static List<Job> selectMany(Connection c, String sql, Object... args) throws SQLException {
        List<Job> jobs = new ArrayList<>();
        try (PreparedStatement ps = prepare(c, sql, args); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                jobs.add(job(rs));
            }
        }
        return jobs;
    }

    /** A job's columns in the order {@link #job} reads them: by position, which is cheaper than by name. */
    static final List<String> JOB_COLUMN_NAMES = List.of("id", "tenant", "type", "queue", "priority", "title",
            "status", "cancel_requested", "progress_fraction", "progress_message", "input", "metadata",
            "idempotency_key", "batch_id", "attempt", "attempt_offset", "max_attempts", "run_at", "timeout_seconds",
            "lease_expires_at", "worker_id", "result", "error", "run_ms", "units", "key_id", "created_at",
            "started_at", "attempt_started_at", "ended_at", "updated_at", "webhook", "traceparent");

    /** What a statement selects, or returns, to read jobs with {@link #job}. */
    static final String JOB_COLUMNS = String.join(", ", JOB_COLUMN_NAMES);

    /** {@link #JOB_COLUMNS}, each qualified with {@code table}. */
    static String jobColumns(String table) {
        return String.join(", ", JOB_COLUMN_NAMES.stream().map(n -> table + "." + n).toList());
    }

    static Job job(ResultSet rs) throws SQLException {
        double fraction = rs.getDouble(9);
        Double progressFraction = rs.wasNull() ? null : fraction;
        String errorJson = rs.getString(23);
        return new Job(
                new JobId(rs.getString(1)),
                rs.getString(2),
                rs.getString(3),
                rs.getString(4),
                rs.getInt(5),
                rs.getString(6),
                JobStatus.fromWire(rs.getString(7)).orElseThrow(),
                rs.getInt(8) != 0,
                new Progress(progressFraction, rs.getString(10)),
                parse(rs.getString(11)),
                readMap(rs.getString(12)),
                rs.getString(13),
                rs.getString(14),
                rs.getInt(15),
                rs.getInt(16),
                rs.getInt(17),
                instant(rs, 18),
                rs.getInt(19),
                instant(rs, 20),
                rs.getString(21),
                parse(rs.getString(22)),
                errorJson == null ? null : read(errorJson, JobError.class),
                rs.getLong(24),
                rs.getLong(25),
                rs.getString(26),
                instant(rs, 27),
                instant(rs, 28),
                instant(rs, 29),
                instant(rs, 30),
                instant(rs, 31),
                webhook(rs.getString(32)),
                rs.getString(33));
    }

    static String webhookJson(JobWebhook hook) {
        if (hook == null) {
            return null;
        }
        var o = JSON.createObjectNode().put("url", hook.url()).put("format", hook.format());
        if (hook.authorization() != null) {
            o.put("authorization", hook.authorization());
        }
        var events = o.putArray("events");
        hook.events().stream().map(WebhookEvent::wireName).sorted().forEach(events::add);
        return o.toString();
    }

    static JobWebhook webhook(String text) {
        if (text == null) {
            return null;
        }
        JsonNode o = read(text, JsonNode.class);
        Set<WebhookEvent> events = EnumSet.noneOf(WebhookEvent.class);
        o.path("events").forEach(e -> events.add(WebhookEvent.parse(e.asText())));
        return new JobWebhook(o.path("url").asText(), events, o.path("format").asText("native"),
                o.hasNonNull("authorization") ? o.get("authorization").asText() : null);
    }

    static JobEvent jobEvent(ResultSet rs) throws SQLException {
        return new JobEvent(rs.getLong(1), new JobId(rs.getString(2)), instant(rs, 3), rs.getString(4),
                JobStatus.fromWire(rs.getString(5)).orElseThrow(), rs.getInt(6), parse(rs.getString(7)));
    }
}
