package dev.spool.http;

import dev.spool.telemetry.Metrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * HTTP requests by method, route template and status ({@code http.server.requests}, Micrometer's
 * name): the route as declared ({@code /v1/jobs/{id}}), never the raw path, so ids never become
 * label values; a request no route matched is {@code unmatched}.
 */
final class HttpMeter {
    private final MeterRegistry registry;
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();

    HttpMeter(MeterRegistry registry) {
        this.registry = registry;
    }

    void record(String method, String route, int status, long nanos) {
        timers.computeIfAbsent(method + " " + route + " " + status, k -> Timer.builder("http.server.requests")
                .description("HTTP requests, by method, route template and status")
                .tag("method", method).tag("uri", route).tag("status", Integer.toString(status))
                .tag("outcome", outcome(status))
                .serviceLevelObjectives(Metrics.CALL_BUCKETS).register(registry))
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    private static String outcome(int status) {
        return switch (status / 100) {
            case 1 -> "INFORMATIONAL";
            case 2 -> "SUCCESS";
            case 3 -> "REDIRECTION";
            case 4 -> "CLIENT_ERROR";
            case 5 -> "SERVER_ERROR";
            default -> "UNKNOWN";
        };
    }
}
