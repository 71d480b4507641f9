package dev.spool.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spool.testing.Receiver;
import dev.spool.testing.TestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console in a real browser: Debian's Chromium, driven by playwright-core (from the console's
 * own locked packages) through {@code src/test/console/console.e2e.mjs}, against a Spool started
 * here. Never skipped: without Chromium or the console's packages it fails and says what to install.
 * Screenshots go to {@code target/console-screenshots}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsoleBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path PLAYWRIGHT = Path.of("src/main/console/node_modules/playwright-core/index.mjs").toAbsolutePath();

    @TempDir
    static Path dir;

    private TestServer spool;
    private Receiver receiver;

    @BeforeAll
    void start() throws Exception {
        receiver = new Receiver();
        spool = new TestServer(dir, Map.of("runner.poll_ms", "50"), "webhooks:\n  allow_hosts: [127.0.0.1]\n");
    }

    @AfterAll
    void stop() {
        spool.close();
        receiver.close();
    }

    @Test
    void theConsoleWorksInARealBrowser() throws IOException, InterruptedException {
        assertThat(CHROMIUM).as("Debian's chromium package (.ci/run installs it: apt-get install chromium)").exists();
        assertThat(PLAYWRIGHT).as("the console's packages (the build runs npm ci in src/main/console)").exists();
        var admin = spool.client(spool.adminKey);
        String alice = admin.createKey("alice", "alice", null).key();
        String bob = admin.createKey("bob", "bob", null).key();
        Path log = dir.resolve("console-e2e.log");
        ProcessBuilder node = new ProcessBuilder("node", Path.of("src/test/console/console.e2e.mjs").toAbsolutePath().toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        node.environment().putAll(Map.of("SPOOL_URL", spool.uri().toString().replaceAll("/$", ""), "ALICE_KEY", alice,
                "BOB_KEY", bob, "ADMIN_KEY", spool.adminKey, "RECEIVER_URL", receiver.url("/alice"), "PLAYWRIGHT_CORE", PLAYWRIGHT.toUri().toString(),
                "SHOTS", Path.of("target/console-screenshots").toAbsolutePath().toString(), "CHROMIUM", CHROMIUM.toString()));
        Process run = node.start();
        boolean ended = run.waitFor(180, TimeUnit.SECONDS);
        if (!ended) {
            run.destroyForcibly();
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        System.out.print(out);
        assertThat(ended).as("the browser run ended within 3 minutes").isTrue();
        assertThat(run.exitValue()).as(out).isZero();
        assertThat(out).contains("steps passed");
        for (String page : new String[] {"overview", "jobs", "job", "queues", "schedules", "webhooks", "usage", "workers", "keys"}) {
            for (String width : new String[] {"desktop", "phone"}) {
                assertThat(Path.of("target/console-screenshots", page + "-" + width + ".png")).isNotEmptyFile();
            }
        }
    }
}
