package dev.spool.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A real S3-compatible server for the tests: s3proxy with its filesystem backend, run as a process
 * from the jar the build copies to target/s3proxy (see server/pom.xml), on a free loopback port.
 */
public final class S3Proxy implements AutoCloseable {
    public static final String ACCESS_KEY = "spool-test";
    public static final String SECRET_KEY = "spool-test-secret";

    private final Process process;
    private final int port;

    public S3Proxy(Path dir) {
        try {
            Path jar = Path.of("target/s3proxy/s3proxy.jar").toAbsolutePath();
            if (!Files.exists(jar)) {
                throw new IllegalStateException("s3proxy is missing at " + jar + "; the Maven build copies it there");
            }
            try (ServerSocket free = new ServerSocket(0)) {
                port = free.getLocalPort();
            }
            Path data = Files.createDirectories(dir.resolve("s3-data"));
            Path properties = Files.writeString(dir.resolve("s3proxy.properties"), String.join("\n",
                    "s3proxy.endpoint=http://127.0.0.1:" + port,
                    "s3proxy.authorization=aws-v2-or-v4",
                    "s3proxy.identity=" + ACCESS_KEY,
                    "s3proxy.credential=" + SECRET_KEY,
                    "jclouds.provider=filesystem",
                    "jclouds.filesystem.basedir=" + data,
                    ""));
            process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-jar", jar.toString(), "--properties", properties.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("s3proxy.log").toFile()).start();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (true) {
                try (Socket ignored = new Socket("127.0.0.1", port)) {
                    break;
                } catch (IOException notYet) {
                    if (!process.isAlive() || System.nanoTime() > deadline) {
                        throw new IllegalStateException("s3proxy did not start: " + Files.readString(dir.resolve("s3proxy.log")));
                    }
                    Thread.sleep(100); // waiting for another process to listen: there is nothing to wait on but time
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Spool settings that put artifacts in this server. */
    public Map<String, String> settings() {
        return Map.of("artifacts.backend", "s3", "artifacts.s3.endpoint", "http://127.0.0.1:" + port,
                "artifacts.s3.bucket", "spool-test", "artifacts.s3.access_key", ACCESS_KEY,
                "artifacts.s3.secret_key", SECRET_KEY, "artifacts.s3.path_style", "true");
    }

    @Override
    public void close() {
        process.destroy();
    }
}
