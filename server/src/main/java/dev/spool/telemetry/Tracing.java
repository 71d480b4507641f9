package dev.spool.telemetry;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * OpenTelemetry traces: off (no spans recorded, but a caller's {@code traceparent} still passes
 * through to workers and webhooks) unless an OTLP endpoint is configured, by {@code
 * tracing.otlp_endpoint} or the standard {@code OTEL_*} variables, which the SDK's
 * autoconfiguration reads ({@code OTEL_SERVICE_NAME}, {@code OTEL_TRACES_SAMPLER}, …).
 *
 * <p>A job's spans all hang under the span of its submit: the submit request's {@code
 * traceparent} is its parent, and the submit span's own context is kept with the job, handed to
 * the worker that claims it and sent with its webhooks, so a user's trace continues through Spool.
 */
public final class Tracing implements AutoCloseable {
    private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();
    private static final TextMapGetter<Map<String, String>> MAP = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    private final OpenTelemetry otel;
    private final Tracer tracer;
    private final boolean on;

    /** Traces through {@code otel} (a test's SDK with an in-memory exporter, say). */
    public Tracing(OpenTelemetry otel) {
        this.otel = otel;
        this.tracer = otel.getTracer("dev.spool");
        this.on = otel != OpenTelemetry.noop();
    }

    /** No spans recorded; contexts still pass through. */
    public static Tracing off() {
        return new Tracing(OpenTelemetry.noop());
    }

    /**
     * Traces exported over OTLP when {@code endpoint} is set or the environment configures an
     * exporter ({@code OTEL_EXPORTER_OTLP_ENDPOINT}, {@code OTEL_TRACES_EXPORTER}); else {@link #off()}.
     * {@code OTEL_SDK_DISABLED=true} turns it off whatever else is set.
     */
    public static Tracing configured(String endpoint, Map<String, String> environment) {
        boolean asked = !endpoint.isEmpty() || environment.containsKey("OTEL_EXPORTER_OTLP_ENDPOINT")
                || environment.containsKey("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
                || (environment.containsKey("OTEL_TRACES_EXPORTER") && !"none".equals(environment.get("OTEL_TRACES_EXPORTER")));
        if (!asked || "true".equalsIgnoreCase(environment.get("OTEL_SDK_DISABLED"))) {
            return off();
        }
        Map<String, String> defaults = new HashMap<>(Map.of(
                "otel.service.name", "spool",
                "otel.metrics.exporter", "none", // metrics are Prometheus' (GET /metrics)
                "otel.logs.exporter", "none",
                "otel.traces.exporter", "otlp",
                "otel.exporter.otlp.protocol", "http/protobuf"));
        if (!endpoint.isEmpty()) {
            defaults.put("otel.exporter.otlp.endpoint", endpoint);
        }
        OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
                .addPropertiesSupplier(() -> defaults)
                .disableShutdownHook()
                .build()
                .getOpenTelemetrySdk();
        return new Tracing(sdk);
    }

    /** Whether spans are recorded and exported. */
    public boolean on() {
        return on;
    }

    public Tracer tracer() {
        return tracer;
    }

    /** The context a {@code traceparent} (and {@code tracestate}) header names; the root context when it is absent or malformed. */
    public static Context extract(String traceparent, String tracestate) {
        if (traceparent == null || traceparent.isBlank()) {
            return Context.root();
        }
        Map<String, String> carrier = new HashMap<>();
        carrier.put("traceparent", traceparent);
        if (tracestate != null) {
            carrier.put("tracestate", tracestate);
        }
        return W3C.extract(Context.root(), carrier, MAP);
    }

    /** The {@code traceparent} header of {@code span}'s context, or null when it has none. */
    public static String traceparent(Span span) {
        if (!span.getSpanContext().isValid()) {
            return null;
        }
        Map<String, String> carrier = new HashMap<>(2);
        W3C.inject(Context.root().with(span), carrier, Map::put);
        return carrier.get("traceparent");
    }

    /**
     * Starts a span of a job's life under the job's kept context ({@code traceparent}), from
     * {@code start} (a time past, for a stretch measured after the fact: queued, run); the caller
     * ends it. A job without a kept context starts a trace of its own.
     */
    public Span jobSpan(String name, String traceparent, Instant start, SpanKind kind) {
        var b = tracer.spanBuilder(name).setSpanKind(kind).setParent(extract(traceparent, null));
        if (start != null) {
            b.setStartTimestamp(start);
        }
        return b.startSpan();
    }

    /** A span that is a child of the current context (the request's), started now. */
    public Span childSpan(String name) {
        return tracer.spanBuilder(name).startSpan();
    }

    @Override
    public void close() {
        if (otel instanceof OpenTelemetrySdk sdk) {
            sdk.close();
        }
    }
}
