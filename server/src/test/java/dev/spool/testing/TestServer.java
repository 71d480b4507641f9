package dev.spool.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spool.Config;
import dev.spool.Server;
import dev.spool.client.SpoolClient;
import dev.spool.telemetry.Tracing;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A real Spool on a free loopback port with its own data folder, and clients for it whose every
 * answer is checked against the OpenAPI document.
 */
public final class TestServer implements AutoCloseable {
    public final Server server;
    public final String adminKey;
    public final ContractCheck contract = new ContractCheck();
    private final HttpClient http = HttpClient.newHttpClient();

    public TestServer(Path dataDir, Map<String, String> overrides) {
        this(dataDir, overrides, null);
    }

    /** @param yaml a configuration file's text (for job types), or null */
    public TestServer(Path dataDir, Map<String, String> overrides, String yaml) {
        this(dataDir, overrides, yaml, null);
    }

    /** @param tracing where the server's spans go (an in-memory exporter), or null for the configured default */
    public TestServer(Path dataDir, Map<String, String> overrides, String yaml, Tracing tracing) {
        Map<String, String> settings = new HashMap<>(Map.of(
                "http.host", "127.0.0.1",
                "http.port", "0",
                "storage.data_dir", dataDir.toString(),
                "runner.poll_ms", "50",
                "runner.heartbeat_ms", "200",
                "runner.progress_ms", "50",
                "jobs.maintenance_interval_ms", "100",
                "runner.shutdown_grace_seconds", "1"));
        settings.putAll(overrides);
        Optional<Path> file = Optional.empty();
        if (yaml != null) {
            try {
                java.nio.file.Files.createDirectories(dataDir);
                file = Optional.of(java.nio.file.Files.writeString(dataDir.resolve("spool.yaml"), yaml));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        Config config = Config.load(file, Map.of(), settings);
        this.server = tracing == null ? Server.start(config) : Server.start(config, tracing);
        // The key it made on first start, or the one it was configured with (a second node of one database).
        this.adminKey = server.createdAdminKey().or(() -> Optional.ofNullable(settings.get("auth.admin_key"))).orElseThrow();
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + server.port());
    }

    public SpoolClient client(String apiKey) {
        return SpoolClient.builder(uri()).apiKey(apiKey).onResponse(contract::check).build();
    }

    /** A raw request, for what the typed client would never send; its answer is contract-checked too. */
    public HttpResponse<byte[]> send(HttpRequest.Builder request) {
        try {
            HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            contract.check(response);
            return response;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** POSTs JSON and returns the answer, checked against the contract. */
    public HttpResponse<byte[]> post(String path, String apiKey, String json) {
        return send(request(path, apiKey).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    /**
     * Sends {@code method} to {@code path} with a JSON {@code body} (or none), asserts its status is
     * {@code expected}, and returns its JSON body (null when empty).
     */
    public JsonNode call(String method, String path, String apiKey, String body, int expected) {
        HttpRequest.Builder r = request(path, apiKey);
        if (body != null) {
            r.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            r.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<byte[]> res = send(r);
        String text = new String(res.body(), StandardCharsets.UTF_8);
        assertThat(res.statusCode()).as(method + " " + path + ": " + text).isEqualTo(expected);
        return text.isEmpty() ? null : TestJobs.json(text);
    }

    public HttpRequest.Builder request(String path, String apiKey) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri().resolve(path));
        if (apiKey != null) {
            b.header("Authorization", "Bearer " + apiKey);
        }
        return b;
    }

    @Override
    public void close() {
        server.close();
    }
}
