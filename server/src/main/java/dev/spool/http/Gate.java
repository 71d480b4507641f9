package dev.spool.http;

import dev.spool.auth.ApiKeys;
import dev.spool.auth.Caller;
import dev.spool.limit.RateLimiter;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerResponse;
import java.util.Map;

/**
 * The way in for a request with an API key, native or through a profile: who is calling, and
 * whether its rate limits let it in. The answer carries the limits' headers either way.
 */
public final class Gate {
    private final ApiKeys keys;
    private final RateLimiter limiter;

    public Gate(ApiKeys keys, RateLimiter limiter) {
        this.keys = keys;
        this.limiter = limiter;
    }

    /**
     * The caller behind {@code authorization}, charged one request; throws {@code
     * UNAUTHENTICATED}, or {@code RATE_LIMITED} with the headers of the refusal.
     */
    public Caller enter(String authorization, ServerResponse res) {
        Caller caller = keys.authenticate(authorization);
        Map<String, String> headers = limiter.admitRequest(caller);
        if (!headers.isEmpty()) {
            headers.forEach((name, value) -> res.header(HeaderNames.create(name), value));
        }
        return caller;
    }

    public RateLimiter limiter() {
        return limiter;
    }
}
