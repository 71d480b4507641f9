package dev.spool.compat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spool.artifact.Artifact;
import dev.spool.auth.Caller;
import dev.spool.http.ApiServer;
import dev.spool.http.Json;
import dev.spool.http.Multipart;
import dev.spool.job.Batch;
import dev.spool.job.ErrorCode;
import dev.spool.job.InputFile;
import dev.spool.job.JobId;
import dev.spool.job.JobStatus;
import dev.spool.job.SpoolException;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Rodin / Hyper3D (hyperhuman.deemos.com/api): a generate task is a native batch (its id is the
 * task {@code uuid}, the argument of {@code /download}); its member jobs are the sub-jobs of
 * {@code jobs.uuids}; {@code jobs.subscription_key}, the argument of {@code /status}, names the same
 * batch in a form that cannot be mistaken for the task uuid. Every call is a POST that answers 201;
 * application errors come in {@code error} with a 2xx, and {@code error} is left out on success.
 * See docs/compat/rodin.md.
 */
final class Rodin extends Profile {
    private static final String KEY_PREFIX = "sk-";
    private static final int MAX_IMAGES = 5;
    private static final Map<String, List<String>> CHOICES = Map.of(
            "condition_mode", List.of("concat", "fuse"),
            "geometry_file_format", List.of("glb", "usdz", "fbx", "obj", "stl"),
            "material", List.of("PBR", "Shaded", "None", "All"),
            "quality", List.of("high", "medium", "low", "extra-low"),
            "mesh_mode", List.of("Raw", "Quad"));
    private static final Set<String> BOOLEANS = Set.of("mesh_simplify", "mesh_smooth", "use_hyper", "TAPose",
            "preview_render", "is_symmetric");
    private static final Set<String> JSON_STRINGS = Set.of("bbox_condition", "addons", "image_label");

    Rodin(Context ctx) {
        super(ctx);
    }

    @Override
    String vendor() {
        return "rodin";
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/api/v2/rodin", authed(this::generate))
             .post("/api/v2/status", authed(this::status))
             .post("/api/v2/download", authed(this::download))
             .get("/api/v2/check_balance", authed(this::balance))
             .post("/api/v2/check_balance", authed(this::balance))
             .any(noRoute());
    }

    @Override
    String credential(ServerRequest req) {
        return bearer(req);
    }

    /**
     * Request errors as Rodin reports them, in the body of a 201 ({@code INVALID_REQUEST},
     * {@code NO_SUCH_TASK}); a bad key is a 401, a server fault a 500.
     */
    @Override
    ApiServer.Refusal refusal(ErrorCode code, String message) {
        return switch (code) {
            case UNAUTHENTICATED -> new ApiServer.Refusal(401, object().put("error", "INVALID_API_KEY").put("message", message));
            case FORBIDDEN -> new ApiServer.Refusal(403, object().put("error", "FORBIDDEN").put("message", message));
            case NOT_FOUND -> new ApiServer.Refusal(201, object().put("error", "NO_SUCH_TASK").put("message", message));
            case PAYLOAD_TOO_LARGE -> new ApiServer.Refusal(413, object().put("error", "INVALID_REQUEST").put("message", message));
            // Rodin answers a rate limit with 429 and Retry-After; its documented code for too many tasks at once.
            case RATE_LIMITED -> new ApiServer.Refusal(429, object().put("error", "TOO_MANY_REQUESTS").put("message", message));
            case QUOTA_EXCEEDED -> new ApiServer.Refusal(429, object().put("error", "API_PARALLELISM_LIMIT_REACHED").put("message", message));
            case INTERNAL, UNAVAILABLE -> new ApiServer.Refusal(code == ErrorCode.INTERNAL ? 500 : 503,
                    object().put("error", "SERVER_ERROR").put("message", message));
            default -> new ApiServer.Refusal(201, object().put("error", "INVALID_REQUEST").put("message", message));
        };
    }

    /** {@code POST /api/v2/rodin}, multipart: {@code images} files (up to 5) and/or {@code prompt}, and the options. */
    private void generate(Caller caller, ServerRequest req, ServerResponse res) {
        if (!Multipart.is(req)) {
            throw SpoolException.invalid("send the generation request as multipart/form-data");
        }
        ObjectNode input = object();
        ArrayNode images = input.putArray("images");
        List<InputFile> files = new ArrayList<>();
        long maxField = ApiServer.jsonLimit(req);
        Multipart.read(req, MAX_IMAGES + 64L, part -> {
            if (part.field().equals("images")) {
                if (files.size() == MAX_IMAGES) {
                    throw SpoolException.invalid("at most " + MAX_IMAGES + " images");
                }
                String name = part.fileName() == null || part.fileName().isBlank() ? "image-" + (files.size() + 1) : part.fileName();
                try (InputStream in = part.content()) {
                    InputFile f = ctx.engine().upload(unique(name, files), part.contentType(), in);
                    files.add(f);
                    images.add(f.name());
                }
                return;
            }
            String value;
            try (InputStream in = part.content()) {
                value = new String(ApiServer.readLimited(in, maxField), StandardCharsets.UTF_8);
            }
            input.set(part.field(), field(part.field(), value));
        });
        if (files.isEmpty() && (!input.hasNonNull("prompt") || input.get("prompt").asText().isBlank())) {
            throw SpoolException.invalid("give images (image to 3D) or a prompt (text to 3D)");
        }
        var submission = submission(ctx.settings().rodin().types().get("generate"), input, null, Map.of(), null, files);
        Batch task = ctx.engine().submitBatch(caller.tenant(), caller.keyId(), List.of(submission), null, null).batch();
        ObjectNode out = object().put("message", "Submitted.").put("uuid", task.id());
        ObjectNode jobs = out.putObject("jobs");
        var uuids = jobs.putArray("uuids");
        task.members().forEach(m -> uuids.add(m.id().value()));
        jobs.put("subscription_key", KEY_PREFIX + task.id());
        send(res, 201, out);
    }

    /** Two images of the same name get distinct input names. */
    private static String unique(String name, List<InputFile> taken) {
        Set<String> names = new HashSet<>();
        taken.forEach(f -> names.add(f.name()));
        String candidate = name;
        for (int i = 2; names.contains(candidate); i++) {
            candidate = i + "-" + name;
        }
        return candidate;
    }

    /** A form field, typed: choices checked, numbers and booleans parsed, the JSON-string fields decoded. */
    private static JsonNode field(String name, String value) {
        var nodes = Json.MAPPER.getNodeFactory();
        if (CHOICES.containsKey(name)) {
            if (!CHOICES.get(name).contains(value)) {
                throw SpoolException.invalid(name + " must be one of " + String.join(", ", CHOICES.get(name)));
            }
            return nodes.textNode(value);
        }
        if (BOOLEANS.contains(name)) {
            if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
                throw SpoolException.invalid(name + " must be true or false");
            }
            return nodes.booleanNode(Boolean.parseBoolean(value.toLowerCase(Locale.ROOT)));
        }
        if (name.equals("seed") || name.equals("quality_override")) {
            try {
                int n = Integer.parseInt(value.trim());
                if (name.equals("seed") && (n < 0 || n > 65535)) {
                    throw SpoolException.invalid("seed must be between 0 and 65535");
                }
                return nodes.numberNode(n);
            } catch (NumberFormatException e) {
                throw SpoolException.invalid(name + " must be a whole number");
            }
        }
        if (JSON_STRINGS.contains(name)) {
            try {
                JsonNode parsed = Json.MAPPER.readTree(value);
                if (name.equals("bbox_condition") && (!parsed.isArray() || parsed.size() != 3)) {
                    throw SpoolException.invalid("bbox_condition must be a JSON array [width, height, length]");
                }
                return parsed;
            } catch (IOException e) {
                throw SpoolException.invalid(name + " must be a JSON string, such as [\"HighPack\"] (send an array as one field)");
            }
        }
        return nodes.textNode(value);
    }

    /** {@code POST /api/v2/status {subscription_key}}: each sub-job's status. */
    private void status(Caller caller, ServerRequest req, ServerResponse res) {
        String key = text(body(req), "subscription_key", true);
        Batch task = task(caller, key.startsWith(KEY_PREFIX) ? key.substring(KEY_PREFIX.length()) : null);
        ObjectNode out = object();
        var jobs = out.putArray("jobs");
        task.members().forEach(m -> jobs.addObject().put("uuid", m.id().value()).put("status", status(m.status())));
        send(res, 201, out);
    }

    /** {@code POST /api/v2/download {task_uuid}}: signed links to the output files of every sub-job. */
    private void download(Caller caller, ServerRequest req, ServerResponse res) {
        Batch task = task(caller, text(body(req), "task_uuid", true));
        String base = base(req);
        ObjectNode out = object();
        var list = out.putArray("list");
        for (Batch.Member m : task.members()) {
            for (Artifact a : outputs(caller.tenant(), m.id())) {
                list.addObject().put("url", link(base, a)).put("name", a.name());
            }
        }
        send(res, 201, out);
    }

    private void balance(Caller caller, ServerRequest req, ServerResponse res) {
        send(res, 201, object().put("balance", ctx.settings().rodin().balance()));
    }

    /** The task (batch) with this id, if it is one of the caller's Rodin tasks. */
    private Batch task(Caller caller, String id) {
        var noSuchTask = new SpoolException(ErrorCode.NOT_FOUND,
                "No such task; /status takes jobs.subscription_key, /download the task uuid.");
        JobId parsed = id == null ? null : JobId.parse(id).orElse(null);
        if (parsed == null) {
            throw noSuchTask;
        }
        try {
            Batch task = ctx.engine().batch(caller.tenant(), parsed.value());
            job(caller, task.members().getFirst().id()); // a task of this profile's
            return task;
        } catch (SpoolException e) {
            throw noSuchTask;
        }
    }

    /** §6.2: Waiting, Generating, Done, Failed; cancelled as configured (Failed by default). */
    private String status(JobStatus status) {
        return switch (status) {
            case QUEUED -> "Waiting";
            case RUNNING -> "Generating";
            case SUCCEEDED -> "Done";
            case FAILED -> "Failed";
            case CANCELLED -> ctx.settings().rodin().cancelledStatus();
        };
    }
}
