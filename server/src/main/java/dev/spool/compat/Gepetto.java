package dev.spool.compat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spool.artifact.Artifact;
import dev.spool.auth.Caller;
import dev.spool.http.ApiServer;
import dev.spool.job.ErrorCode;
import dev.spool.job.Job;
import dev.spool.job.JobStatus;
import dev.spool.job.SpoolException;
import dev.spool.job.WebhookEvent;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Gepetto (europe-west1-gepettoai.cloudfunctions.net/v1): the image routes answer at once with an
 * id when a {@code webhook} is given, and otherwise wait for the job (at most
 * {@code compat.sync_wait_seconds}) and answer with the image as base64; {@code GET /job/{id}}
 * shows it with {@code output}, a URL. See docs/compat/gepetto.md.
 */
final class Gepetto extends Profile {
    static final String MODE_METADATA = "gepetto.mode";
    private static final List<String> WALL_COLOURS = List.of("white", "egg shell", "black", "gray", "blue", "deep blue",
            "olive", "terracotta");
    private static final List<String> FLOORS = List.of("parquet", "tile", "marble", "carpet", "concrete", "hardwood");
    /** The largest output the synchronous answer carries inline, as base64. */
    private static final long MAX_INLINE_BYTES = 32L << 20;

    Gepetto(Context ctx) {
        super(ctx);
    }

    @Override
    String vendor() {
        return "gepetto";
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/v1/redesign", authed((c, req, res) -> submit(c, req, res, "redesign")))
             .post("/v1/furnish", authed((c, req, res) -> submit(c, req, res, "furnish")))
             .post("/v1/creative-redesign", authed((c, req, res) -> submit(c, req, res, "creative-redesign")))
             .post("/v1/refresh", authed((c, req, res) -> submit(c, req, res, "refresh")))
             .post("/v1/upscale", authed((c, req, res) -> submit(c, req, res, "upscale")))
             .get("/v1/job/{id}", authed(this::get))
             .any(noRoute());
    }

    @Override
    String credential(ServerRequest req) {
        return bearer(req);
    }

    /** {@code {"error": …}} with the HTTP status of the failure. */
    @Override
    ApiServer.Refusal refusal(ErrorCode code, String message) {
        return new ApiServer.Refusal(status(code), object().put("error", message));
    }

    private void submit(Caller caller, ServerRequest req, ServerResponse res, String mode) throws Exception {
        ObjectNode body = body(req);
        ObjectNode input = object();
        input.put("url", url(body, "url", true));
        switch (mode) {
            case "redesign", "furnish", "creative-redesign" -> {
                input.put("styleId", text(body, "styleId", true));
                input.put("roomId", text(body, "roomId", true));
                if (!mode.equals("creative-redesign")) {
                    String mask = url(body, "mask", false);
                    if (mask != null) {
                        input.put("mask", mask);
                    }
                }
                if (mode.equals("redesign")) {
                    JsonNode creativity = body.get("creativity");
                    if (creativity == null || !creativity.isNumber() || creativity.asDouble() < 0 || creativity.asDouble() > 30) {
                        throw SpoolException.invalid("creativity is required: a number from 0 to 30");
                    }
                    input.set("creativity", creativity);
                }
                if (mode.equals("furnish") && body.has("preserveWindows")) {
                    input.put("preserveWindows", Boolean.TRUE.equals(bool(body, "preserveWindows")));
                }
            }
            case "refresh" -> {
                String transformation = oneOf(body, "transformation", List.of("walls", "floor"), null);
                input.put("transformation", transformation);
                input.put("value", oneOf(body, "value", transformation.equals("walls") ? WALL_COLOURS : FLOORS, null));
            }
            default -> body.properties().forEach(e -> { // upscale: its other parameters are passed on as given
                if (!e.getKey().equals("webhook") && !e.getKey().equals("url")) {
                    input.set(e.getKey(), e.getValue());
                }
            });
        }
        String hookUrl = url(body, "webhook", false);
        var hook = hookUrl == null ? null : webhook("webhook", hookUrl, EnumSet.of(WebhookEvent.SUCCEEDED), null);
        String route = mode.replace('-', '_');
        Job job = submit(caller, submission(ctx.settings().gepetto().types().get(route), input, null,
                Map.of(MODE_METADATA, mode), hook, List.of()));
        if (hook == null) {
            job = awaitEnd(caller, job.id(), Duration.ofSeconds(ctx.settings().syncWaitSeconds()));
        }
        if (hook != null || !job.status().isTerminal()) {
            send(res, 200, pending(job, input, mode));
        } else if (job.status() == JobStatus.SUCCEEDED) {
            ObjectNode out = object().put("base64", inline(job)).put("status", "success");
            out.put("id", job.id().value());
            send(res, 200, out);
        } else {
            send(res, 500, object().put("status", ctx.settings().gepetto().failedStatus()).put("id", job.id().value())
                    .put("error", error(job)));
        }
    }

    private static ObjectNode pending(Job job, ObjectNode input, String mode) {
        ObjectNode out = object().put("status", "pending").put("id", job.id().value());
        if (input.has("styleId")) {
            out.put("styleId", input.get("styleId").asText());
        }
        if (input.has("roomId")) {
            out.put("roomId", input.get("roomId").asText());
        }
        return out.put("mode", mode);
    }

    /** The output image as base64: the worker's {@code result.base64}, or its first output file's bytes. */
    private String inline(Job job) throws java.io.IOException {
        JsonNode given = job.result() == null ? null : job.result().get("base64");
        if (given != null && given.isTextual()) {
            return given.asText();
        }
        Artifact image = image(outputs(job));
        if (image == null || image.size() > MAX_INLINE_BYTES) {
            return null;
        }
        try (InputStream in = ctx.files().open(image, 0)) {
            return Base64.getEncoder().encodeToString(in.readAllBytes());
        }
    }

    /** {@code GET /v1/job/{id}}: {@code {status, output, mode, createdAt}}. */
    private void get(Caller caller, ServerRequest req, ServerResponse res) {
        Job job = job(caller, jobId(req.path().pathParameters().get("id")));
        ObjectNode out = object().put("status", status(job));
        out.put("output", job.status() == JobStatus.SUCCEEDED ? output(job, base(req), () -> outputs(job)) : null);
        out.put("mode", job.metadata().get(MODE_METADATA));
        out.put("createdAt", iso(job.createdAt()));
        if (job.status() == JobStatus.FAILED || job.status() == JobStatus.CANCELLED) {
            out.put("error", error(job));
        }
        send(res, 200, out);
    }

    private String status(Job job) {
        return switch (job.status()) {
            case QUEUED, RUNNING -> "pending";
            case SUCCEEDED -> "success";
            case FAILED, CANCELLED -> ctx.settings().gepetto().failedStatus();
        };
    }

    private static String error(Job job) {
        return job.status() == JobStatus.CANCELLED ? "cancelled" : job.error() != null ? job.error().message() : "failed";
    }

    /** The output URL: the worker's {@code result.output}, or a signed link to its first image (else first) output file. */
    private String output(Job job, String base, Supplier<List<Artifact>> outputs) {
        JsonNode given = job.result() == null ? null : job.result().get("output");
        if (given != null && given.isTextual()) {
            return given.asText();
        }
        Artifact image = image(outputs.get());
        return image == null ? null : link(base, image);
    }

    private static Artifact image(List<Artifact> outputs) {
        return outputs.stream().filter(a -> a.contentType().startsWith("image/")).findFirst()
                .orElse(outputs.isEmpty() ? null : outputs.getFirst());
    }

    /** The webhook: {@code {id, output}}, sent on success only. */
    @Override
    String render(Job job, WebhookEvent event, Instant at, Supplier<List<Artifact>> outputs) {
        return object().put("id", job.id().value()).put("output", output(job, publicBase(), outputs)).toString();
    }
}
