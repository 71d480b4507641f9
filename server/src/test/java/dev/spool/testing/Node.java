package dev.spool.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spool.client.SpoolClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A Spool server in a JVM of its own (see {@link ServeMain}), which a test can kill with SIGKILL. */
public final class Node implements AutoCloseable {
    private final Process process;
    private final int port;

    public Node(Map<String, String> settings) {
        this(settings, null);
    }

    /** @param log a file its standard error is appended to (null: discarded) */
    public Node(Map<String, String> settings, Path log) {
        this(settings, log, Map.of());
    }

    /** @param environment variables added to the process's environment ({@code LD_PRELOAD}, say) */
    public Node(Map<String, String> settings, Path log, Map<String, String> environment) {
        List<String> command = new ArrayList<>();
        command.addAll(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), ServeMain.class.getName()));
        settings.forEach((k, v) -> command.add(k + "=" + v));
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectError(log == null ? ProcessBuilder.Redirect.DISCARD
                    : ProcessBuilder.Redirect.appendTo(log.toFile()));
            builder.environment().putAll(environment);
            process = builder.start();
            Process started = process;
            // A node that neither listens nor exits within two minutes is stuck: end it and say so.
            Thread watchdog = Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(120_000);
                    started.destroyForcibly();
                } catch (InterruptedException e) {
                    // it started in time
                }
            });
            String line = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)).readLine();
            watchdog.interrupt();
            if (line == null || !line.startsWith("PORT ")) {
                process.destroyForcibly();
                throw new IllegalStateException("the node did not start within 2 minutes: " + line + " (see its log)");
            }
            port = Integer.parseInt(line.substring(5).trim());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + port);
    }

    public SpoolClient client(String apiKey) {
        return SpoolClient.builder(URI.create("http://127.0.0.1:" + port)).apiKey(apiKey).timeout(Duration.ofSeconds(10)).build();
    }

    public long pid() {
        return process.pid();
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** SIGKILL: no shutdown hook runs, nothing is given back, leases are left to expire. */
    public void kill() {
        try {
            assertThat(process.destroyForcibly().waitFor(Duration.ofSeconds(10).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            kill();
        }
    }
}
