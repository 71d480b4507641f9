package dev.spool.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A Spool server in a process of its own ({@code spool serve}, the same main the CLI runs, on this
 * class path and JVM), so that its resident memory is its own and the load it serves comes over
 * loopback HTTP like any client's.
 */
final class SpoolNode implements AutoCloseable {
    /** A fixed admin key, in the format Spool checks; the bench's nodes are loopback-only and short-lived. */
    static final String ADMIN_KEY = "spool_benchadmin22_" + "a".repeat(32);

    final URI uri;
    private final Process process;
    private final Path log;

    /**
     * @param db         where the node keeps its jobs
     * @param slots      in-process runner slots (0: this node runs no built-in jobs; -1: sized by type, the default)
     * @param extraYaml  more configuration (types, say), appended as is
     * @param jvmOptions options for the node's JVM (none by default, as {@code ./spool serve})
     */
    SpoolNode(Db.Instance db, String name, int slots, String extraYaml, List<String> jvmOptions) throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path dir = Files.createDirectories(db.dataDir().resolve(name));
        Path config = Files.writeString(dir.resolve("spool.yaml"), """
                http:
                  host: 127.0.0.1
                  port: %d
                storage:
                  data_dir: %s
                  database: "%s"
                runner:
                  slots: %d
                auth:
                  admin_key: %s
                %s
                """.formatted(port, db.dataDir(), db.database(), slots, ADMIN_KEY, extraYaml));
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.spool.cli.Main", "serve",
                "--config", config.toString()));
        this.log = dir.resolve("node.log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("SPOOL_LOG_LEVEL", "warn");
        this.process = builder.start();
        this.uri = URI.create("http://127.0.0.1:" + port);
        awaitReady();
    }

    private void awaitReady() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Http http = new Http(uri, ADMIN_KEY);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the Spool node stopped while starting:\n" + Files.readString(log));
            }
            try {
                if (http.get("/readyz").statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("the Spool node did not become ready in 60 s:\n" + Files.readString(log));
    }

    /** Makes a key with {@code role} (tenant keys in tenant {@code bench}); returns its secret. */
    String key(String role) throws Exception {
        Http admin = new Http(uri, ADMIN_KEY);
        JsonNode made = admin.postJson("/v1/keys", "{\"name\": \"bench-" + role + "\", \"tenant\": \"bench\", \"role\": \""
                + role + "\"}");
        return made.get("key").asText();
    }

    /** Processor time the node's process has used so far, in seconds (user + system). */
    double cpuSeconds() throws java.io.IOException {
        return Wrk.cpuSeconds(process.pid());
    }

    /** The most resident memory the node's process has held (VmHWM), in MiB. */
    double peakRssMib() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
            }
        }
        throw new IllegalStateException("no VmHWM in /proc/" + process.pid() + "/status");
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
