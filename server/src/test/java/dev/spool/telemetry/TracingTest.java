package dev.spool.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spool.testing.Receiver;
import dev.spool.testing.TestServer;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job's trace, with the SDK's in-memory exporter: the submit's {@code traceparent} is the parent
 * of every span of the job's life, the worker gets the job's context in its claim, and the
 * webhook carries it on.
 */
class TracingTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CALLER_SPAN = "00f067aa0ba902b7";

    @TempDir
    Path dir;

    @Test
    void theSpansOfOneJobHangUnderTheSubmitsTraceparentAndTheWorkerAndWebhookGetItsContext() throws Exception {
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
                .build();
        try (Receiver receiver = new Receiver();
             TestServer spool = new TestServer(dir.resolve("data"), Map.of(), """
                     webhooks:
                       allow_hosts: [127.0.0.1]
                     types:
                       work: {executor: worker}
                     """, new Tracing(sdk))) {
            var admin = spool.client(spool.adminKey);
            String key = admin.createKey("t", "tenant-t", null).key();
            String workerKey = admin.createKey("w", "tenant-t", "worker").key();

            HttpResponse<byte[]> submitted = spool.send(spool.request("/v1/jobs", key)
                    .header("Content-Type", "application/json")
                    .header("traceparent", "00-" + TRACE + "-" + CALLER_SPAN + "-01")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"type\": \"work\", \"input\": {}, \"webhook\": {\"url\": \""
                            + receiver.url("/done") + "\"}}")));
            assertThat(submitted.statusCode()).isEqualTo(201);
            assertThat(submitted.headers().firstValue("X-Request-Id")).isPresent();
            String id = json(submitted).get("id").asText();

            // The Java worker's client gets the job's context with the job.
            var claimed = spool.client(workerKey).claim("w-1", "w-1", List.of("work"), 1, 0).getFirst();
            assertThat(claimed.id()).isEqualTo(id);
            String handed = claimed.traceparent();
            assertThat(handed).startsWith("00-" + TRACE + "-").doesNotContain(CALLER_SPAN);
            assertThat(spool.post("/v1/worker/jobs/" + id + "/complete", workerKey, "{\"attempt\": 1, \"result\": {}}")
                    .statusCode()).isEqualTo(200);

            Receiver.Received hook = await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received("/done"), r -> !r.isEmpty()).getFirst();
            assertThat(hook.header("traceparent")).startsWith("00-" + TRACE + "-");

            List<SpanData> all = await().atMost(Duration.ofSeconds(5)).until(spans::getFinishedSpanItems,
                    s -> s.stream().anyMatch(x -> x.getName().equals("spool.webhook.deliver")));
            List<SpanData> job = all.stream().filter(s -> s.getTraceId().equals(TRACE)).toList();
            assertThat(job.stream().map(SpanData::getName).collect(Collectors.toSet())).containsAll(Set.of(
                    "POST /v1/jobs", "spool.job.submit", "spool.job.queued", "spool.job.claim", "spool.job.run",
                    "spool.job.complete", "spool.webhook.deliver"));
            SpanData request = only(job, "POST /v1/jobs");
            SpanData submit = only(job, "spool.job.submit");
            assertThat(request.getParentSpanId()).isEqualTo(CALLER_SPAN); // the caller's span is the root here
            assertThat(submit.getParentSpanId()).isEqualTo(request.getSpanId());
            // The job's context is its submit span: every later span of its life hangs under it,
            // and it is what the worker and the webhook receiver were given.
            assertThat(handed).isEqualTo("00-" + TRACE + "-" + submit.getSpanId() + "-01");
            for (String name : List.of("spool.job.queued", "spool.job.claim", "spool.job.run", "spool.job.complete",
                    "spool.webhook.deliver")) {
                assertThat(only(job, name).getParentSpanId()).as(name).isEqualTo(submit.getSpanId());
            }
            SpanData deliver = only(job, "spool.webhook.deliver");
            assertThat(hook.header("traceparent")).isEqualTo("00-" + TRACE + "-" + deliver.getSpanId() + "-01");
            assertThat(only(job, "spool.job.run").getAttributes().asMap().toString()).contains(id);
        }
    }

    private static SpanData only(List<SpanData> spans, String name) {
        List<SpanData> named = spans.stream().filter(s -> s.getName().equals(name)).toList();
        assertThat(named).as(name).hasSize(1);
        return named.getFirst();
    }

    private static JsonNode json(HttpResponse<byte[]> res) throws java.io.IOException {
        return JSON.readTree(new String(res.body(), StandardCharsets.UTF_8));
    }
}
