package dev.spool.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spool.job.ErrorCode;
import dev.spool.job.FileName;
import dev.spool.job.InputFile;
import dev.spool.job.NewJob;
import dev.spool.job.SpoolException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Turns what a transport parsed into a job to store: the type and its input checked, the webhook
 * URL checked, then (only then, so a refused request stores no bytes of its own) its sources made
 * into input files, its request hashed for its idempotency key, and the type's defaults applied.
 */
final class Submissions {
    private static final ObjectMapper CANONICAL = JsonMapper.builder()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .build();

    private final JobTypes types;
    private final Intake intake;

    Submissions(JobTypes types, Intake intake) {
        this.types = types;
        this.intake = intake;
    }

    NewJob resolve(String tenant, String keyId, Submission s, String batchId) {
        JobType type = check(s);
        List<InputFile> inputs = new ArrayList<>(s.uploads());
        inputs.addAll(files(s.sources()));
        return newJob(tenant, keyId, s, batchId, type, inputs);
    }

    /** Everything {@link #resolve} checks, without fetching or storing a source: for a job to be submitted later. */
    void check(String tenant, String keyId, Submission s) {
        newJob(tenant, keyId, s, null, check(s), List.of());
    }

    private JobType check(Submission s) {
        if (s.type() == null) {
            throw SpoolException.invalid("type is required");
        }
        JobType type = types.get(s.type()).orElseThrow(() -> new SpoolException(ErrorCode.UNKNOWN_TYPE,
                "Unknown job type '" + s.type() + "'. GET /v1/types lists the declared types."));
        if (s.input() == null || !s.input().isObject()) {
            throw SpoolException.invalid("input is required and must be a JSON object");
        }
        if (s.webhook() != null) {
            intake.checkWebhookUrl(s.webhookField(), s.webhook().url());
        }
        checkSources(s.sources());
        type.validate(s.input());
        return type;
    }

    private NewJob newJob(String tenant, String keyId, Submission s, String batchId, JobType type, List<InputFile> inputs) {
        String key = batchId == null ? s.idempotencyKey() : null;
        return new NewJob(tenant, keyId, type.name(),
                s.queue() != null ? s.queue() : type.queue(),
                s.priority() != null ? s.priority() : 0,
                s.title(), s.input(), s.metadata(),
                key, key == null ? null : requestHash(s), batchId,
                s.maxAttempts() != null ? s.maxAttempts() : type.maxAttempts(),
                s.timeoutSeconds() != null ? s.timeoutSeconds() : type.timeoutSeconds(),
                s.runAt(), inputs, s.webhook(), null);
    }

    /** Every source's shape, before anything is fetched or stored. */
    private static void checkSources(List<Submission.Source> sources) {
        for (int i = 0; i < sources.size(); i++) {
            Submission.Source source = sources.get(i);
            if (source.kind() == null) {
                throw SpoolException.invalid("sources[" + i + "].kind is required: url or text");
            }
            switch (source.kind()) {
                case "text" -> {
                    if (source.text() == null) {
                        throw SpoolException.invalid("sources[" + i + "].text is required for a text source");
                    }
                }
                case "url" -> {
                    if (source.url() == null) {
                        throw SpoolException.invalid("sources[" + i + "].url is required for a url source");
                    }
                    if (source.name() != null) {
                        FileName.check(source.name());
                    }
                }
                default -> throw SpoolException.invalid("sources[" + i + "].kind must be url or text, not '" + source.kind() + "'");
            }
        }
    }

    /** Sources as input files: text as given, URLs fetched (streamed) through the intake's guard. */
    private List<InputFile> files(List<Submission.Source> sources) {
        List<InputFile> out = new ArrayList<>(sources.size());
        for (int i = 0; i < sources.size(); i++) {
            Submission.Source source = sources.get(i);
            if (source.kind().equals("text")) {
                String name = source.name() != null ? source.name() : "text-" + (i + 1) + ".txt";
                out.add(intake.store(name, "text/plain; charset=utf-8",
                        new ByteArrayInputStream(source.text().getBytes(StandardCharsets.UTF_8))));
                continue;
            }
            String name = source.name() != null ? source.name() : nameFromUrl(source.url(), i);
            Intake.Fetched fetched = intake.fetch(source.url());
            try (InputStream in = fetched.body()) {
                out.add(intake.store(name, fetched.contentType(), in));
            } catch (IOException e) {
                throw new SpoolException(ErrorCode.INVALID_INPUT, "The source " + source.url() + " could not be read: " + e.getMessage());
            }
        }
        return out;
    }

    /** The last path segment of a URL when it is a plain file name, else source-N. */
    private static String nameFromUrl(String url, int index) {
        try {
            String path = URI.create(url).getPath();
            String last = path == null ? "" : path.substring(path.lastIndexOf('/') + 1);
            FileName.check(last);
            return last;
        } catch (RuntimeException e) {
            return "source-" + (index + 1);
        }
    }

    /**
     * What identifies a submit request for its idempotency key: the same JSON with the same uploaded
     * files, by their hashes (what a URL source answers is not part of the request, so it does not).
     */
    private static String requestHash(Submission s) {
        JsonNode request = s.identity() != null ? s.identity() : s.input();
        if (s.uploads().isEmpty()) {
            return canonicalHash(request);
        }
        ObjectNode identity = CANONICAL.createObjectNode();
        identity.set("job", request);
        var hashes = identity.putArray("files");
        s.uploads().forEach(f -> hashes.addObject().put("name", f.name()).put("sha256", f.sha256()));
        return canonicalHash(identity);
    }

    /** A digest of a JSON value that ignores key order and white space: equal requests hash equal. */
    static String canonicalHash(JsonNode node) {
        try {
            Object plain = CANONICAL.treeToValue(node, Object.class);
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(CANONICAL.writeValueAsBytes(plain));
            return HexFormat.of().formatHex(digest);
        } catch (JsonProcessingException | NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
