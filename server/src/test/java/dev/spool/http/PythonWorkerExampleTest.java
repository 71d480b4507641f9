package dev.spool.http;

import static dev.spool.testing.TestJobs.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spool.client.Job;
import dev.spool.client.SpoolClient;
import dev.spool.client.SubmitRequest;
import dev.spool.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** examples/python/worker.py, a worker with no dependencies beyond Python's standard library, against a real server. */
class PythonWorkerExampleTest {
    @TempDir
    Path dir;

    @Test
    void thePythonExampleRunsJobsAndReportsFailures() throws Exception {
        Path script = Path.of("../examples/python/worker.py").toAbsolutePath().normalize();
        assertThat(script).exists();
        try (TestServer spool = new TestServer(dir, Map.of(), "types:\n  shout: {executor: worker, max_attempts: 1}\n")) {
            SpoolClient admin = spool.client(spool.adminKey);
            SpoolClient tenant = spool.client(admin.createKey("t", "py", null).key());
            String workerKey = admin.createKey("py", null, "worker").key();

            List<String> ids = new ArrayList<>();
            ids.add(tenant.submit(SubmitRequest.of("shout", json("{\"text\": \"hello from python\", \"delay\": 0.1}"))).id());
            ids.add(tenant.submit(SubmitRequest.of("shout", json("{\"text\": \"second job\"}"))).id());
            ids.add(tenant.submit(SubmitRequest.of("shout", json("{\"text\": \"\"}"))).id());

            ProcessBuilder pb = new ProcessBuilder("python3", script.toString(), "--type", "shout", "--max-jobs", "3", "--wait", "5")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("worker.log").toFile());
            pb.environment().put("SPOOL_URL", spool.uri().toString());
            pb.environment().put("SPOOL_API_KEY", workerKey);
            Process worker = pb.start();
            boolean exited = worker.waitFor(60, TimeUnit.SECONDS);
            if (!exited) {
                worker.destroyForcibly();
            }
            assertThat(exited).as("the worker stops after 3 jobs; its output: %s", Files.readString(dir.resolve("worker.log"))).isTrue();
            assertThat(worker.exitValue()).as(Files.readString(dir.resolve("worker.log"))).isZero();

            Job first = tenant.waitFor(ids.get(0), Duration.ofSeconds(5), j -> {});
            assertThat(first.status()).isEqualTo("succeeded");
            assertThat(first.result().get("text").asText()).isEqualTo("HELLO FROM PYTHON");
            assertThat(first.usage().units()).isEqualTo(3);
            assertThat(tenant.get(ids.get(1)).result().get("text").asText()).isEqualTo("SECOND JOB");
            Job empty = tenant.get(ids.get(2));
            assertThat(empty.status()).isEqualTo("failed");
            assertThat(empty.error().code()).isEqualTo("ValueError");
        }
    }
}
