package dev.spool.executor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spool.engine.JobContext;
import dev.spool.engine.JobFailure;
import dev.spool.engine.JobHandler;
import dev.spool.engine.JobType;
import dev.spool.job.Price;
import dev.spool.job.SpoolException;
import java.math.BigDecimal;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The handlers built into Spool, each with the type it is declared as by default (a configuration
 * file can change a type's settings or declare more types that use these handlers).
 */
public final class Builtins {
    /** A handler and the type it is declared as when the configuration says nothing. */
    public record Builtin(JobType type, JobHandler handler) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}']+");
    private static final Pattern SENTENCE_END = Pattern.compile("[.!?]+(\\s|$)");

    private Builtins() {}

    public static List<Builtin> all() {
        return List.of(
                new Builtin(type("echo", "Returns its input unchanged: the smallest possible job.", 5, schema("""
                        {"type": "object"}
                        """), Price.FREE), JobHandler.io(Builtins::echo)),
                new Builtin(type("text.stats", "Counts characters, words, lines and sentences of a text, "
                        + "lists its most frequent words and estimates its reading time.", 30, schema("""
                        {"type": "object", "required": ["text"], "additionalProperties": false,
                         "properties": {
                           "text": {"type": "string", "maxLength": 1000000},
                           "top": {"type": "integer", "minimum": 0, "maximum": 100}}}
                        """), new Price(new BigDecimal("0.0001"), BigDecimal.ZERO, new BigDecimal("0.000001"), "USD")),
                        Builtins::textStats),
                new Builtin(type("primes", "Counts the primes up to a limit with a sieve, reporting progress.", 300,
                        schema("""
                        {"type": "object", "required": ["limit"], "additionalProperties": false,
                         "properties": {"limit": {"type": "integer", "minimum": 2, "maximum": 2000000000}}}
                        """), new Price(BigDecimal.ZERO, new BigDecimal("0.001"), BigDecimal.ZERO, "USD")),
                        Builtins::primes),
                new Builtin(type("sleep", "Sleeps for a while, reporting progress: for trying cancel, timeouts "
                        + "and retries (fail_attempts makes the first attempts fail).", 3600, schema("""
                        {"type": "object", "required": ["seconds"], "additionalProperties": false,
                         "properties": {
                           "seconds": {"type": "number", "minimum": 0, "maximum": 86400},
                           "fail_attempts": {"type": "integer", "minimum": 0, "maximum": 100}}}
                        """), Price.FREE), JobHandler.io(Builtins::sleep)),
                new Builtin(type("image.thumbnail", "Makes a PNG thumbnail of an uploaded image (PNG, JPEG, GIF, BMP), "
                        + "fitting it in width x height with its proportions kept. Submit it as multipart with the image as a file.",
                        60, schema("""
                        {"type": "object", "additionalProperties": false,
                         "properties": {
                           "width": {"type": "integer", "minimum": 1, "maximum": 4096},
                           "height": {"type": "integer", "minimum": 1, "maximum": 4096},
                           "source": {"type": "string", "description": "the input file to use; the first one by default"}}}
                        """), new Price(new BigDecimal("0.001"), BigDecimal.ZERO, BigDecimal.ZERO, "USD")), Builtins::thumbnail));
    }

    private static JobType type(String name, String description, int timeoutSeconds, JsonNode schema, Price price) {
        return JobType.of(name, description, "builtin", name, "default", 3, timeoutSeconds, 0, price, schema);
    }

    private static JsonNode schema(String json) {
        try {
            return JSON.readTree(json);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode echo(JobContext ctx) {
        return ctx.input();
    }

    static JsonNode textStats(JobContext ctx) throws InterruptedException {
        String text = ctx.input().get("text").asText();
        int top = ctx.input().path("top").asInt(10);
        Map<String, Integer> counts = new HashMap<>();
        long words = 0;
        var matcher = WORD.matcher(text);
        while (matcher.find()) {
            words++;
            counts.merge(matcher.group().toLowerCase(Locale.ROOT), 1, Integer::sum);
            if ((words & 0xFFFF) == 0) {
                ctx.checkpoint();
            }
        }
        ObjectNode result = JSON.createObjectNode();
        result.put("characters", text.codePointCount(0, text.length()));
        result.put("words", words);
        result.put("lines", text.isEmpty() ? 0 : text.split("\r\n|\r|\n", -1).length);
        result.put("sentences", SENTENCE_END.matcher(text).results().count());
        result.put("unique_words", counts.size());
        // About 238 words a minute: the average silent reading speed of adults for non-fiction.
        result.put("reading_time_seconds", Math.round(words * 60.0 / 238));
        var topWords = result.putArray("top_words");
        counts.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .limit(top)
                .forEach(e -> topWords.addObject().put("word", e.getKey()).put("count", e.getValue()));
        ctx.addUnits(words);
        return result;
    }

    static JsonNode primes(JobContext ctx) throws InterruptedException {
        long limit = ctx.input().get("limit").asLong();
        // Segmented sieve: memory stays at about sqrt(limit) bits plus one segment, whatever the limit.
        int root = (int) Math.sqrt((double) limit) + 1;
        BitSet small = new BitSet(root + 1);
        small.set(2, root + 1);
        for (int p = 2; (long) p * p <= root; p = small.nextSetBit(p + 1)) {
            for (int m = p * p; m <= root; m += p) {
                small.clear(m);
            }
        }
        final int segment = 1 << 20;
        long count = 0;
        long largest = 0;
        BitSet seg = new BitSet(segment);
        for (long low = 2; low <= limit; low += segment) {
            ctx.checkpoint();
            long high = Math.min(low + segment - 1, limit);
            int size = (int) (high - low + 1);
            seg.clear();
            seg.set(0, size);
            for (int p = 2; p >= 0 && (long) p * p <= high; p = small.nextSetBit(p + 1)) {
                long start = Math.max((long) p * p, ((low + p - 1) / p) * p);
                for (long m = start; m <= high; m += p) {
                    seg.clear((int) (m - low));
                }
            }
            count += seg.cardinality();
            int last = seg.previousSetBit(size - 1);
            if (last >= 0) {
                largest = low + last;
            }
            ctx.progress((double) (high - 1) / (limit - 1), "sieved up to " + high);
        }
        ObjectNode result = JSON.createObjectNode();
        result.put("limit", limit);
        result.put("count", count);
        result.put("largest", largest);
        return result;
    }

    static JsonNode thumbnail(JobContext ctx) throws Exception {
        int width = ctx.input().path("width").asInt(256);
        int height = ctx.input().path("height").asInt(256);
        var inputs = ctx.inputs();
        if (inputs.isEmpty()) {
            throw new JobFailure("no_image", "Send the image as a file with the submit (multipart/form-data).", false);
        }
        String source = ctx.input().path("source").asText(inputs.getFirst().name());
        java.awt.image.BufferedImage image;
        try (var in = ctx.openInput(source)) {
            image = javax.imageio.ImageIO.read(in);
        } catch (SpoolException e) {
            throw new JobFailure("no_image", "There is no input file named '" + source + "'.", false);
        }
        if (image == null) {
            throw new JobFailure("not_an_image", "'" + source + "' is not an image this server can read (PNG, JPEG, GIF, BMP).", false);
        }
        ctx.checkpoint();
        double scale = Math.min(1.0, Math.min((double) width / image.getWidth(), (double) height / image.getHeight()));
        int w = Math.max(1, (int) Math.round(image.getWidth() * scale));
        int h = Math.max(1, (int) Math.round(image.getHeight() * scale));
        var thumb = new java.awt.image.BufferedImage(w, h, java.awt.image.BufferedImage.TYPE_INT_ARGB);
        var g = thumb.createGraphics();
        try {
            g.setRenderingHint(java.awt.RenderingHints.KEY_INTERPOLATION, java.awt.RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(image, 0, 0, w, h, null);
        } finally {
            g.dispose();
        }
        java.nio.file.Path file = java.nio.file.Files.createTempFile("spool-thumbnail-", ".png");
        try {
            javax.imageio.ImageIO.write(thumb, "png", file.toFile());
            ctx.attach("thumbnail.png", "image/png", file);
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
        return JSON.createObjectNode().put("source", source).put("source_width", image.getWidth())
                .put("source_height", image.getHeight()).put("width", w).put("height", h).put("artifact", "thumbnail.png");
    }

    static JsonNode sleep(JobContext ctx) throws InterruptedException, JobFailure {
        int failAttempts = ctx.input().path("fail_attempts").asInt(0);
        int attempt = ctx.job().attempt() - ctx.job().attemptOffset();
        long totalMs = Math.round(ctx.input().get("seconds").asDouble() * 1000);
        long slept = 0;
        while (slept < totalMs) {
            ctx.checkpoint();
            long step = Math.min(100, totalMs - slept);
            Thread.sleep(step);
            slept += step;
            ctx.progress((double) slept / totalMs, "slept " + slept + " of " + totalMs + " ms");
        }
        if (attempt <= failAttempts) {
            throw new JobFailure("planned_failure", "attempt " + attempt + " of the first " + failAttempts
                    + " fails on purpose", true);
        }
        return JSON.createObjectNode().put("slept_ms", slept).put("attempt", attempt);
    }
}
