package dev.spool.compat;

import dev.spool.artifact.JobFiles;
import dev.spool.engine.Engine;
import dev.spool.engine.EventFeed;
import dev.spool.http.ApiServer;
import dev.spool.http.Gate;
import dev.spool.webhook.Payloads;
import dev.spool.webhook.Webhooks;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The five compatibility profiles, each mounted at {@code /compat/<vendor>} so that a client of
 * that vendor works by changing only its base URL, and the webhook formats they render.
 */
public final class Profiles {
    private final Map<String, Profile> byVendor = new LinkedHashMap<>();

    public Profiles(Engine engine, Gate keys, JobFiles files, Webhooks webhooks, EventFeed feed, String publicUrl,
                    CompatSettings settings) {
        var ctx = new Profile.Context(engine, keys, files, webhooks, feed, publicUrl, settings);
        for (Profile p : List.of(new Hamsa(ctx), new Hume(ctx), new Rodin(ctx), new Gepetto(ctx), new Daily(ctx))) {
            byVendor.put(p.vendor(), p);
        }
    }

    /** The routes to serve: none when {@code compat.enabled} is false. */
    public List<ApiServer.Mount> mounts(boolean enabled) {
        return enabled ? byVendor.values().stream().map(p -> new ApiServer.Mount("/compat/" + p.vendor(), p, p::refusal)).toList() : List.of();
    }

    /** Renders webhook bodies: a profile's format by that profile, anything else by {@code nativeFormat}. */
    public Payloads payloads(Payloads nativeFormat) {
        return (format, job, event, at, outputs) -> {
            Profile p = byVendor.get(format);
            return p == null ? nativeFormat.render(format, job, event, at, outputs) : p.render(job, event, at, outputs);
        };
    }
}
