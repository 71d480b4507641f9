package dev.spool.executor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spool.engine.JobContext;
import dev.spool.engine.JobFailure;
import dev.spool.engine.JobHandler;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The {@code http} executor: POSTs the job's input to a configured synchronous endpoint (a model
 * server) and stores its answer as the result. A 5xx, a 429 or an unreachable endpoint is a
 * retryable failure; any other non-2xx answer is final. The request is cancelled when the job is
 * cancelled or times out. The URL comes from the operator's configuration, never from a client.
 */
public record HttpHandler(URI url, HttpClient client) implements JobHandler {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** It waits for another server: many run at once. */
    @Override
    public Bound bound() {
        return Bound.IO;
    }

    public static HttpHandler to(String url) {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("an http type needs a valid 'url', not " + url);
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
            throw new IllegalArgumentException("an http type needs an http(s) 'url', not " + url);
        }
        return new HttpHandler(uri, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER).build());
    }

    @Override
    public JsonNode run(JobContext job) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(url)
                .timeout(Duration.ofSeconds(job.job().timeoutSeconds()))
                .header("Content-Type", "application/json")
                .header("Spool-Job-Id", job.job().id().value())
                .header("Spool-Attempt", Integer.toString(job.job().attempt()))
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(job.input())))
                .build();
        CompletableFuture<HttpResponse<String>> pending = client.sendAsync(request, HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> response;
        try {
            response = pending.get();
        } catch (InterruptedException e) {
            pending.cancel(true); // cancelled or timed out: drop the request
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            String why = cause instanceof java.net.http.HttpTimeoutException ? "no answer in time"
                    : cause instanceof IOException ? cause.getClass().getSimpleName() + ": " + cause.getMessage()
                    : String.valueOf(cause);
            throw new JobFailure("unreachable", "POST " + url + " failed: " + why, true);
        }
        int status = response.statusCode();
        String body = response.body();
        if (status / 100 != 2) {
            String excerpt = body.length() > 500 ? body.substring(0, 500) + "…" : body;
            throw new JobFailure("http_" + status, "POST " + url + " answered " + status + ": " + excerpt,
                    status >= 500 || status == 429);
        }
        job.log("POST " + url + " answered " + status + " with " + body.getBytes(StandardCharsets.UTF_8).length + " bytes");
        return ProgramRunner.result(body);
    }
}
