package dev.spool.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tarball this module builds, unpacked into an empty folder: its layout, and {@code bin/spool
 * serve} run from it with nothing but a Java runtime (the jlink runtime of the container image,
 * through JAVA_HOME) until it runs a job.
 */
class DistributionTest {
    private static final String ADMIN_KEY = "spool_distribution_abcdefghijklmnopqrstuvwxyz234567";

    @TempDir
    Path dir;

    private static Path tarball() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("target"))) {
            return files.filter(p -> p.getFileName().toString().matches("spool-.*\\.tar\\.gz")).findFirst()
                    .orElseThrow(() -> new AssertionError("no spool-<version>.tar.gz in target/"));
        }
    }

    @Test
    void theUnpackedDistributionServesAndRunsAJob() throws Exception {
        Path tarball = tarball();
        Process untar = new ProcessBuilder("tar", "xzf", tarball.toAbsolutePath().toString(), "-C", dir.toString()).inheritIO().start();
        assertThat(untar.waitFor()).isZero();
        Path home;
        try (Stream<Path> top = Files.list(dir)) {
            home = top.findFirst().orElseThrow();
        }
        assertThat(home.getFileName().toString()).isEqualTo(tarball.getFileName().toString().replace(".tar.gz", ""));
        for (String file : List.of("bin/spool", "lib/spool.jar", "conf/spool.yaml", "README.md", "LICENSE", "NOTICE",
                "docs/configuration.md", "docs/dashboard.md")) {
            assertThat(home.resolve(file)).as(file).isRegularFile();
        }
        assertThat(Files.getPosixFilePermissions(home.resolve("bin/spool"))).contains(PosixFilePermission.OWNER_EXECUTE);

        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path work = Files.createDirectories(dir.resolve("work"));
        ProcessBuilder serve = new ProcessBuilder(home.resolve("bin/spool").toString(), "serve", "--port", Integer.toString(port))
                .directory(work.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("serve.log").toFile());
        // Only a Java runtime: the one jlink made for the container image (no javac, no jdk tools).
        Path jre = Path.of("target/image-base/rootfs/opt/java").toAbsolutePath();
        assertThat(jre.resolve("bin/java")).isExecutable();
        assertThat(jre.resolve("bin/javac")).doesNotExist();
        serve.environment().put("JAVA_HOME", jre.toString());
        serve.environment().put("SPOOL_ADMIN_KEY", ADMIN_KEY);
        serve.environment().remove("SPOOL_CONFIG");
        Process server = serve.start();
        try {
            HttpClient http = HttpClient.newHttpClient();
            URI base = URI.create("http://127.0.0.1:" + port);
            Instant deadline = Instant.now().plusSeconds(60);
            while (true) {
                try {
                    if (http.send(HttpRequest.newBuilder(base.resolve("/healthz")).build(), HttpResponse.BodyHandlers.discarding())
                            .statusCode() == 200) {
                        break;
                    }
                } catch (IOException notYet) {
                    // not listening yet
                }
                assertThat(server.isAlive()).as(Files.readString(dir.resolve("serve.log"))).isTrue();
                assertThat(Instant.now()).as("listening within a minute").isBefore(deadline);
                Thread.sleep(200);
            }
            String job = http.send(HttpRequest.newBuilder(base.resolve("/v1/jobs")).header("Authorization", "Bearer " + ADMIN_KEY)
                    .header("Content-Type", "application/json").header("Prefer", "wait=20")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"type\": \"text.stats\", \"input\": {\"text\": \"a b c\"}}")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            String id = job.replaceAll("(?s).*\"id\":\"([^\"]+)\".*", "$1");
            String status = "";
            for (int i = 0; i < 100 && !status.contains("\"status\":\"succeeded\""); i++) {
                status = http.send(HttpRequest.newBuilder(base.resolve("/v1/jobs/" + id)).header("Authorization", "Bearer " + ADMIN_KEY).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                Thread.sleep(100);
            }
            assertThat(status).contains("\"status\":\"succeeded\"");
            assertThat(work.resolve("spool-data")).as("data under the folder it runs in").isDirectory();
            assertThat(Files.readString(dir.resolve("serve.log"))).contains("Spool listening on");
        } finally {
            server.destroy();
            if (!server.waitFor(20, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
    }
}
