package dev.spool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spool.Config;
import dev.spool.Server;
import dev.spool.client.Job;
import dev.spool.client.SpoolClient;
import dev.spool.client.SubmitRequest;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Growing up: an embedded installation moves to PostgreSQL with one command, keys and jobs intact. */
class MigrateDataTest {
    @TempDir
    Path dir;

    @Test
    void anEmbeddedInstallationMovesToPostgresWithItsJobsAndKeys() throws Exception {
        String key;
        String jobId;
        try (Server embedded = Server.start(Config.load(Optional.empty(), Map.of(), Map.of(
                "http.port", "0", "storage.data_dir", dir.toString(), "runner.shutdown_grace_seconds", "0")))) {
            key = embedded.createdAdminKey().orElseThrow();
            SpoolClient client = SpoolClient.builder(URI.create("http://127.0.0.1:" + embedded.port())).apiKey(key).build();
            jobId = client.waitFor(client.submit(SubmitRequest.of("text.stats",
                    SpoolClient.JSON.readTree("{\"text\": \"moving day\"}"))).id(), Duration.ofSeconds(10), j -> {}).id();
        }

        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
            String url = pg.getJdbcUrl("postgres", "postgres");
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = Main.run(new PrintWriter(out), new PrintWriter(err),
                    "migrate-data", "--from", dir.resolve("spool.db").toString(), "--to", url);
            assertThat(code).as(err.toString()).isZero();
            assertThat(out.toString()).contains("jobs").contains("1 rows");

            try (Server shared = Server.start(Config.load(Optional.empty(), Map.of(), Map.of(
                    "http.port", "0", "storage.database", url)))) {
                assertThat(shared.createdAdminKey()).as("the copied admin key is still there").isEmpty();
                SpoolClient client = SpoolClient.builder(URI.create("http://127.0.0.1:" + shared.port())).apiKey(key).build();
                Job job = client.get(jobId);
                assertThat(job.status()).isEqualTo("succeeded");
                assertThat(job.result().get("words").asInt()).isEqualTo(2);
            }
        }
    }
}
