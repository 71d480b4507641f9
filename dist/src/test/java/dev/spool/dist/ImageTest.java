package dev.spool.dist;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container image this module builds with Jib (target/spool-image-VERSION.tar, an OCI layout):
 * its configuration and layers as read from the tarball, and the image run without a container
 * engine: its layers unpacked into a root folder, its entrypoint started there by chroot as its
 * user with its environment, until it runs a job.
 */
class ImageTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ADMIN_KEY = "spool_imagetestkey_abcdefghijklmnopqrstuvwxyz234567";

    @TempDir
    Path dir;

    record Image(JsonNode config, List<Path> layers) {}

    private Image unpack() throws Exception {
        Path tarball;
        try (Stream<Path> files = Files.list(Path.of("target"))) {
            tarball = files.filter(p -> p.getFileName().toString().matches("spool-image-.*\\.tar")).findFirst()
                    .orElseThrow(() -> new AssertionError("no spool-image-<version>.tar in target/"));
        }
        Path oci = Files.createDirectories(dir.resolve("oci"));
        run(List.of("tar", "xf", tarball.toAbsolutePath().toString(), "-C", oci.toString()));
        assertThat(JSON.readTree(oci.resolve("oci-layout").toFile()).path("imageLayoutVersion").asText()).isEqualTo("1.0.0");
        JsonNode index = JSON.readTree(oci.resolve("index.json").toFile());
        JsonNode manifest = JSON.readTree(blob(oci, index.at("/manifests/0/digest").asText()).toFile());
        assertThat(manifest.path("mediaType").asText()).isEqualTo("application/vnd.oci.image.manifest.v1+json");
        JsonNode config = JSON.readTree(blob(oci, manifest.at("/config/digest").asText()).toFile());
        List<Path> layers = new ArrayList<>();
        for (JsonNode layer : manifest.path("layers")) {
            assertThat(layer.path("mediaType").asText()).isEqualTo("application/vnd.oci.image.layer.v1.tar+gzip");
            layers.add(blob(oci, layer.path("digest").asText()));
        }
        return new Image(config, layers);
    }

    @Test
    void theImageRunsAsANonRootUserWithItsDataInAVolume() throws Exception {
        Image image = unpack();
        JsonNode c = image.config().path("config");
        assertThat(image.config().path("os").asText()).isEqualTo("linux");
        assertThat(c.path("User").asText()).isEqualTo("1000:1000");
        assertThat(JSON.convertValue(c.path("Entrypoint"), List.class))
                .containsExactly("/opt/java/bin/java", "-XX:MaxRAMPercentage=75", "-Djava.awt.headless=true", "-jar", "/app/spool.jar");
        assertThat(JSON.convertValue(c.path("Cmd"), List.class)).containsExactly("serve");
        assertThat(c.path("ExposedPorts").has("8080/tcp")).isTrue();
        assertThat(c.path("Volumes").has("/data")).isTrue();
        assertThat(c.path("WorkingDir").asText()).isEqualTo("/data");
        assertThat(env(c)).containsEntry("SPOOL_DATA_DIR", "/data").containsEntry("SPOOL_HTTP_HOST", "0.0.0.0")
                .containsEntry("JAVA_HOME", "/opt/java");
        assertThat(c.at("/Labels/org.opencontainers.image.licenses").asText()).isEqualTo("Apache-2.0");

        // Every file of the image, with its owner, from the layers' listings.
        Map<String, String> owners = new TreeMap<>();
        for (Path layer : image.layers()) {
            for (String line : run(List.of("tar", "tzvf", layer.toString(), "--numeric-owner")).split("\n")) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 6) {
                    owners.put(f[f.length - 1].replaceFirst("^\\./", "/").replaceFirst("^(?!/)", "/").replaceAll("/$", ""), f[1]);
                }
            }
        }
        assertThat(owners).containsKeys("/app/spool.jar", "/opt/java/bin/java", "/lib/x86_64-linux-gnu/libc.so.6",
                "/lib64/ld-linux-x86-64.so.2", "/etc/passwd", "/tmp");
        assertThat(owners.get("/data")).as("the volume's folder belongs to the image's user").isEqualTo("1000/1000");
        assertThat(owners.get("/app/spool.jar")).isEqualTo("0/0");
        assertThat(owners.keySet()).as("no shell, no package manager: only what Spool runs on")
                .noneMatch(p -> p.startsWith("/bin/") || p.startsWith("/usr/bin/") || p.contains("/apt"));
    }

    @Test
    void theImageStartsFromItsLayersAndRunsAJob() throws Exception {
        assertThat(run(List.of("id", "-u")).trim()).as("this test unpacks the image as root and starts it by chroot").isEqualTo("0");
        Image image = unpack();
        Path root = Files.createDirectories(dir.resolve("rootfs"));
        for (Path layer : image.layers()) {
            run(List.of("tar", "xzf", layer.toString(), "-C", root.toString(), "--numeric-owner", "--same-owner"));
        }
        Files.createDirectories(root.resolve("proc"));
        run(List.of("mount", "-t", "proc", "proc", root.resolve("proc").toString()));
        Process spool = null;
        try {
            JsonNode c = image.config().path("config");
            int port;
            try (ServerSocket socket = new ServerSocket(0)) {
                port = socket.getLocalPort();
            }
            List<String> command = new ArrayList<>(List.of("chroot", "--userspec=" + c.path("User").asText(), root.toString()));
            c.path("Entrypoint").forEach(a -> command.add(a.asText()));
            c.path("Cmd").forEach(a -> command.add(a.asText()));
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("spool.log").toFile());
            builder.environment().clear();
            builder.environment().putAll(env(c));
            builder.environment().put("SPOOL_HTTP_HOST", "127.0.0.1"); // tests listen on loopback only
            builder.environment().put("SPOOL_HTTP_PORT", Integer.toString(port));
            builder.environment().put("SPOOL_ADMIN_KEY", ADMIN_KEY);
            spool = builder.start();

            HttpClient http = HttpClient.newHttpClient();
            URI base = URI.create("http://127.0.0.1:" + port);
            Instant deadline = Instant.now().plusSeconds(60);
            while (!ready(http, base)) {
                assertThat(spool.isAlive()).as("Spool in the image exited: %s", log()).isTrue();
                assertThat(Instant.now()).as("ready within 60 s: %s", log()).isBefore(deadline);
                Thread.sleep(100);
            }
            HttpResponse<String> submitted = http.send(HttpRequest.newBuilder(base.resolve("/v1/jobs"))
                    .header("Authorization", "Bearer " + ADMIN_KEY).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"type\": \"text.stats\", \"input\": {\"text\": \"hello from the image\"}}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(201);
            String id = JSON.readTree(submitted.body()).path("id").asText();
            JsonNode job;
            do { // each answer comes once the job changed (queued, running, succeeded)
                job = JSON.readTree(http.send(HttpRequest.newBuilder(base.resolve("/v1/jobs/" + id))
                        .header("Authorization", "Bearer " + ADMIN_KEY).header("Prefer", "wait=10").GET().build(),
                        HttpResponse.BodyHandlers.ofString()).body());
            } while (List.of("queued", "running").contains(job.path("status").asText()) && Instant.now().isBefore(deadline));
            assertThat(job.path("status").asText()).as("%s", job).isEqualTo("succeeded");
            assertThat(job.at("/result/words").asInt()).isEqualTo(4);
            assertThat(run(List.of("stat", "-c", "%u", root.resolve("data/spool.db").toString())).trim())
                    .as("the database is written by the image's user, not root").isEqualTo("1000");

            // deploy/docker-compose.yml's healthcheck, run in the image as the engine would.
            List<String> check = new ArrayList<>(List.of("chroot", "--userspec=" + c.path("User").asText(), root.toString()));
            ComposeTest.spoolService().at("/healthcheck/test").forEach(a -> check.add(a.asText()));
            assertThat(check.remove("CMD")).isTrue();
            check.replaceAll(a -> a.replace("127.0.0.1:8080", "127.0.0.1:" + port));
            assertThat(run(check)).contains("ready");
        } finally {
            if (spool != null) {
                spool.destroy();
                if (!spool.waitFor(30, TimeUnit.SECONDS)) {
                    spool.destroyForcibly().waitFor();
                }
            }
            run(List.of("umount", root.resolve("proc").toString()));
        }
    }

    private String log() throws IOException {
        String text = Files.readString(dir.resolve("spool.log"));
        return text.substring(Math.max(0, text.length() - 3000));
    }

    private static boolean ready(HttpClient http, URI base) throws InterruptedException {
        try {
            return http.send(HttpRequest.newBuilder(base.resolve("/readyz")).timeout(Duration.ofSeconds(2)).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    private static Map<String, String> env(JsonNode config) {
        Map<String, String> env = new TreeMap<>();
        config.path("Env").forEach(e -> {
            String[] kv = e.asText().split("=", 2);
            env.put(kv[0], kv[1]);
        });
        return env;
    }

    private static Path blob(Path oci, String digest) {
        return oci.resolve("blobs").resolve(digest.replace(':', '/'));
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("%s: %s", command, out).isZero();
        return out;
    }
}
