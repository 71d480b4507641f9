package dev.spool.compat;

import dev.spool.job.NewJob;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The compatibility profiles' settings (the {@code compat} section of the configuration). Each
 * profile names the job type each of its submit routes creates; a type that is not declared under
 * {@code types} is declared as a worker type, so that the operator's workers can serve it.
 *
 * @param syncWaitSeconds longest a synchronous submit (Gepetto without a webhook, Hamsa's {@code sync})
 *                        waits for its job to end before answering with the job still pending
 * @param listScanMax     most jobs a vendor list looks through (newest first) to filter, sort and count
 */
public record CompatSettings(boolean enabled, int syncWaitSeconds, int listScanMax, Hamsa hamsa, Hume hume, Rodin rodin,
                             Gepetto gepetto, Daily daily) {

    /** @param skip how the list's {@code skip} is read: {@code offset} (jobs to skip) or {@code page} (1-based) */
    public record Hamsa(Map<String, String> types, String skip, boolean webhookOnFailure) {}

    public record Hume(Map<String, String> types) {}

    /** @param balance what {@code check_balance} answers: Spool meters no credits of its own */
    public record Rodin(Map<String, String> types, String cancelledStatus, double balance) {}

    /** @param failedStatus the status word of a failed job, which Gepetto does not document */
    public record Gepetto(Map<String, String> types, String failedStatus) {}

    /** @param bucket the bucket named in outputs' {@code s3Config}, whose key is {@code <job id>/<file name>} */
    public record Daily(Map<String, String> types, String bucket, String region) {}

    public CompatSettings {
        require(syncWaitSeconds >= 0 && syncWaitSeconds <= 3600, "compat.sync_wait_seconds must be between 0 and 3600");
        require(listScanMax >= 100 && listScanMax <= 1_000_000, "compat.list_scan_max must be between 100 and 1000000");
        checkTypes("hamsa", hamsa.types(), Set.of("transcription", "tts", "ai_content"));
        checkTypes("hume", hume.types(), Set.of("batch"));
        checkTypes("rodin", rodin.types(), Set.of("generate"));
        checkTypes("gepetto", gepetto.types(), Set.of("redesign", "furnish", "creative_redesign", "refresh", "upscale"));
        checkTypes("daily", daily.types(), Set.of("transcript", "summarize", "soap_notes"));
        require(hamsa.skip().equals("offset") || hamsa.skip().equals("page"), "compat.hamsa.skip must be offset or page");
        require(!gepetto.failedStatus().isBlank(), "compat.gepetto.failed_status must not be empty");
        require(!rodin.cancelledStatus().isBlank(), "compat.rodin.cancelled_status must not be empty");
    }

    public static CompatSettings defaults() {
        return new CompatSettings(true, 60, 10_000,
                new Hamsa(ordered("transcription", "hamsa.transcription", "tts", "hamsa.tts", "ai_content", "hamsa.ai-content"),
                        "offset", true),
                new Hume(ordered("batch", "hume.batch")),
                new Rodin(ordered("generate", "rodin.generate"), "Failed", 1_000_000),
                new Gepetto(ordered("redesign", "gepetto.redesign", "furnish", "gepetto.furnish",
                        "creative_redesign", "gepetto.creative-redesign", "refresh", "gepetto.refresh",
                        "upscale", "gepetto.upscale"), "failed"),
                new Daily(ordered("transcript", "daily.transcript", "summarize", "daily.summarize",
                        "soap_notes", "daily.soap-notes"), "spool", "local"));
    }

    /** Every job type some profile creates. */
    public Set<String> allTypes() {
        var all = new LinkedHashSet<String>();
        for (var types : List.of(hamsa.types(), hume.types(), rodin.types(), gepetto.types(), daily.types())) {
            all.addAll(types.values());
        }
        return all;
    }

    private static void checkTypes(String vendor, Map<String, String> types, Set<String> routes) {
        require(types != null && types.keySet().equals(routes),
                "compat." + vendor + ".types must name a job type for each of " + new TreeSet<>(routes));
        types.forEach((route, type) -> require(type != null && NewJob.NAME.matcher(type).matches(),
                "compat." + vendor + ".types." + route + " must be a job type name"));
    }

    private static Map<String, String> ordered(String... pairs) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put(pairs[i], pairs[i + 1]);
        }
        return Collections.unmodifiableMap(map);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
