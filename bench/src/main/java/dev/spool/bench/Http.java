package dev.spool.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** The bench's HTTP client: one key, JSON in and out, blocking and asynchronous sends. */
final class Http {
    static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final String key;
    private final HttpClient client;

    Http(URI base, String key) {
        this(base, key, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build());
    }

    Http(URI base, String key, HttpClient client) {
        this.base = base;
        this.key = key;
        this.client = client;
    }

    HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(120))
                .header("Authorization", "Bearer " + key);
    }

    HttpResponse<byte[]> get(String path) throws IOException, InterruptedException {
        return client.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpResponse<byte[]> post(String path, String json) throws IOException, InterruptedException {
        return client.send(post(request(path), json), HttpResponse.BodyHandlers.ofByteArray());
    }

    CompletableFuture<HttpResponse<byte[]>> postAsync(String path, String json) {
        return client.sendAsync(post(request(path), json), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** POSTs and reads the JSON answer, which must be a success. */
    JsonNode postJson(String path, String json) throws IOException, InterruptedException {
        return ok(post(path, json));
    }

    JsonNode getJson(String path) throws IOException, InterruptedException {
        return ok(get(path));
    }

    static JsonNode ok(HttpResponse<byte[]> res) throws IOException {
        if (res.statusCode() / 100 != 2) {
            throw new IOException(res.request().method() + " " + res.uri() + " answered " + res.statusCode() + ": "
                    + new String(res.body(), java.nio.charset.StandardCharsets.UTF_8));
        }
        return JSON.readTree(res.body());
    }

    private static HttpRequest post(HttpRequest.Builder request, String json) {
        return request.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build();
    }
}
