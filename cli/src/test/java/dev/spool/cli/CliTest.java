package dev.spool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spool.Config;
import dev.spool.Server;
import dev.spool.client.SpoolClient;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The spool command against a real server, through the client module. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CliTest {
    @TempDir
    static Path dir;

    private Server server;
    private String url;
    private String key;

    record Run(int code, String out, String err) {
        JsonNode json() {
            try {
                return SpoolClient.JSON.readTree(out);
            } catch (java.io.IOException e) {
                throw new AssertionError("not JSON: " + out, e);
            }
        }
    }

    @BeforeAll
    void start() {
        server = Server.start(Config.load(Optional.empty(), Map.of(), Map.of(
                "http.port", "0", "storage.data_dir", dir.toString(), "runner.poll_ms", "50",
                "runner.progress_ms", "50", "runner.shutdown_grace_seconds", "0", "webhooks.allow_hosts", "127.0.0.1")));
        url = "http://127.0.0.1:" + server.port();
        key = server.createdAdminKey().orElseThrow();
    }

    @AfterAll
    void stop() {
        server.close();
    }

    private Run spool(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] all = new String[args.length + 4];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--url";
        all[args.length + 1] = url;
        all[args.length + 2] = "--api-key";
        all[args.length + 3] = key;
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), all);
        return new Run(code, out.toString(), err.toString());
    }

    /** A command with no --url and --api-key added. */
    private Run raw(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void usagePrintsTheTenantsJobsAsJsonOrCsvAndLimitsAreShownSetAndCleared() {
        assertThat(spool("submit", "echo", "--input", "{\"n\": 1}", "--wait").code()).isZero();

        Run usage = spool("usage", "--group-by", "type");
        assertThat(usage.code()).as(usage.err()).isZero();
        JsonNode echo = usage.json().get("data").findParents("type").stream()
                .filter(r -> r.get("type").asText().equals("echo")).findFirst().orElseThrow();
        assertThat(echo.get("jobs").get("succeeded").asLong()).isPositive();
        assertThat(echo.get("cost").get("currency").asText()).isEqualTo("USD");
        Run csv = spool("usage", "--group-by", "day,type", "--csv");
        assertThat(csv.out()).startsWith("day,type,currency,succeeded,failed,cancelled,run_ms,units,cost\r\n").contains(",echo,USD,");

        Run set = spool("limits", "--tenant", "cli-tenant", "--set", "max_queued=5", "--set", "requests_per_second=100");
        assertThat(set.code()).as(set.err()).isZero();
        assertThat(set.json().get("set").get("max_queued").asLong()).isEqualTo(5);
        assertThat(spool("limits", "--tenant", "cli-tenant").json().get("limits").get("requests_per_second").asLong()).isEqualTo(100);
        assertThat(spool("limits").json().get("held").has("queued")).isTrue();
        assertThat(spool("limits", "--tenant", "cli-tenant", "--clear").code()).isZero();
        assertThat(spool("limits", "--tenant", "cli-tenant").json().get("set").isEmpty()).isTrue();
        Run bad = spool("limits", "--tenant", "cli-tenant", "--set", "max_queue=5");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("max_queued");
    }

    @Test
    void submitWithWaitShowsProgressOnATerminalOnlyAndPrintsTheFinishedJob() {
        Run run = spool("submit", "sleep", "--input", "{\"seconds\": 1}", "--wait", "--progress", "always");
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.json().get("status").asText()).isEqualTo("succeeded");
        assertThat(run.err()).contains("running").contains("%");

        // Not on a terminal (as here, in a pipe or a script), auto draws no bar: standard error stays clean.
        Run piped = spool("submit", "sleep", "--input", "{\"seconds\": 1}", "--wait");
        assertThat(piped.code()).as(piped.err()).isZero();
        assertThat(piped.json().get("status").asText()).isEqualTo("succeeded");
        assertThat(piped.err()).isEmpty();
    }

    @Test
    void outputJsonTurnsEveryKindOfResultIntoJson() {
        String id = spool("submit", "echo", "--input", "{\"n\": 7}", "--wait").json().get("id").asText();

        // Tables become the API's JSON; the option goes before or after the command.
        assertThat(spool("list", "-o", "json").json().get("data").findValuesAsText("id")).contains(id);
        assertThat(spool("--output", "json", "list").json().get("data").findValuesAsText("id")).contains(id);
        assertThat(spool("list").out()).startsWith("ID ");
        JsonNode keys = spool("keys", "list", "-o", "json").json();
        assertThat(keys.isArray()).isTrue();
        assertThat(keys.findValuesAsText("role")).contains("admin");

        // Commands with no result say what they did.
        Run deleted = spool("delete", id, "-o", "json");
        assertThat(deleted.code()).as(deleted.err()).isZero();
        assertThat(deleted.json().get("deleted").asText()).isEqualTo(id);
        assertThat(spool("delete", spool("submit", "echo", "--input", "{}", "--wait").json().get("id").asText()).out()).isEmpty();
        assertThat(raw("keys", "generate", "-o", "json").json().get("key").asText()).startsWith("spool_");

        Run ready = raw("health", "--url", url, "-o", "json");
        assertThat(ready.code()).isZero();
        assertThat(ready.json().get("ready").asBoolean()).isTrue();
        Run down = raw("health", "--url", "http://127.0.0.1:1", "--output", "json");
        assertThat(down.code()).isEqualTo(1);
        assertThat(down.json().get("ready").asBoolean()).isFalse();
        assertThat(raw("health", "--url", url).out().trim()).isEqualTo("ready");
    }

    @Test
    void waitFollowsAJobsLiveEventsToItsEndAndReturnsAtOnceForOneThatEnded() {
        String id = spool("submit", "sleep", "--input", "{\"seconds\": 1}").json().get("id").asText();

        Run waited = spool("wait", id, "--progress", "always");
        assertThat(waited.code()).as(waited.err()).isZero();
        assertThat(waited.json().get("status").asText()).isEqualTo("succeeded");
        assertThat(waited.err()).contains("running").contains("%");

        long start = System.nanoTime();
        Run again = spool("wait", id);
        assertThat(again.code()).isZero();
        assertThat(again.json().get("id").asText()).isEqualTo(id);
        assertThat(java.time.Duration.ofNanos(System.nanoTime() - start)).isLessThan(java.time.Duration.ofSeconds(10));

        Run unknown = spool("wait", "01a2075c-0000-7000-8000-000000000000");
        assertThat(unknown.code()).isEqualTo(1);
        assertThat(unknown.err()).contains("404");
    }

    @Test
    void aJobCanBeSubmittedReadListedAndCancelled() {
        Run submitted = spool("submit", "sleep", "--input", "{\"seconds\": 60}", "--metadata", "who=cli");
        assertThat(submitted.code()).isZero();
        String id = submitted.json().get("id").asText();

        Run got = spool("get", id);
        assertThat(got.json().get("metadata").get("who").asText()).isEqualTo("cli");
        assertThat(spool("list").out()).contains(id);

        Run cancelled = spool("cancel", id);
        assertThat(cancelled.code()).isZero();
        assertThat(cancelled.json().get("status").asText()).isIn("cancelled", "running");
    }

    @Test
    void aFailedJobOrAnApiErrorExitsWithOneAndSaysWhy() {
        Run failed = spool("submit", "sleep", "--input", "{\"seconds\": 0, \"fail_attempts\": 9}", "--wait");
        assertThat(failed.code()).isEqualTo(1);
        assertThat(failed.json().get("status").asText()).isEqualTo("failed");

        Run unknown = spool("get", "nope");
        assertThat(unknown.code()).isEqualTo(1);
        assertThat(unknown.err()).contains("404").contains("not_found");

        Run badInput = spool("submit", "echo", "--input", "{nope");
        assertThat(badInput.code()).isEqualTo(2);
        assertThat(badInput.err()).contains("--input is not valid JSON");
    }

    @Test
    void queuesArePausedBulkActionsCountAndActAndSchedulesAreMadeAndRemoved() {
        Run paused = spool("queues", "--pause", "cli-q");
        assertThat(paused.code()).as(paused.err()).isZero();
        assertThat(paused.json().get("paused").asBoolean()).isTrue();
        for (int i = 0; i < 3; i++) {
            assertThat(spool("submit", "echo", "--input", "{}", "--queue", "cli-q", "--metadata", "run=cli-bulk").code()).isZero();
        }
        Run queues = spool("queues");
        assertThat(queues.json().findValuesAsText("name")).contains("cli-q");

        Run dry = spool("bulk", "cancel", "--metadata", "run=cli-bulk", "--dry-run");
        assertThat(dry.code()).as(dry.err()).isZero();
        assertThat(dry.json().get("matched").asInt()).isEqualTo(3);
        Run cancelled = spool("bulk", "cancel", "--metadata", "run=cli-bulk", "--idempotency-key", "cli-1");
        assertThat(cancelled.json().get("changed").asInt()).isEqualTo(3);
        assertThat(spool("bulk", "cancel", "--metadata", "run=cli-bulk", "--idempotency-key", "cli-1").json())
                .isEqualTo(cancelled.json());
        Run bad = spool("bulk", "explode", "--all");
        assertThat(bad.code()).isNotZero();
        assertThat(spool("bulk", "delete").err()).contains("at least one filter");
        assertThat(spool("queues", "--resume", "cli-q").json().get("paused").asBoolean()).isFalse();

        Run created = spool("schedules", "create", "--name", "nightly", "--cron", "0 3 * * *", "--timezone", "Asia/Tokyo",
                "--type", "echo", "--input", "{\"n\": 2}");
        assertThat(created.code()).as(created.err()).isZero();
        String id = created.json().get("id").asText();
        assertThat(created.json().get("next_runs")).hasSize(5);
        assertThat(created.json().get("next_run_at").asText()).contains("T18:00:00");
        assertThat(spool("schedules", "list").json().findValuesAsText("id")).contains(id);
        assertThat(spool("schedules", "pause", id).json().get("paused").asBoolean()).isTrue();
        assertThat(spool("schedules", "update", id, "--cron", "30 4 * * *").json().get("cron").asText()).isEqualTo("30 4 * * *");
        assertThat(spool("schedules", "resume", id).json().get("next_run_at").asText()).contains("T19:30:00");
        assertThat(spool("schedules", "delete", id).code()).isZero();
        assertThat(spool("schedules", "get", id).code()).isEqualTo(1);
    }

    @Test
    void logsEventsArtifactsTypesAndWorkersArePrinted() throws Exception {
        Run submitted = spool("submit", "echo", "--input", "{\"n\": 7}", "--wait");
        assertThat(submitted.code()).as(submitted.err()).isZero();
        String id = submitted.json().get("id").asText();

        Run events = spool("events", id);
        assertThat(events.code()).as(events.err()).isZero();
        assertThat(events.out().lines().map(l -> {
            try {
                return SpoolClient.JSON.readTree(l).get("kind").asText();
            } catch (java.io.IOException e) {
                throw new AssertionError(l, e);
            }
        })).contains("submitted", "started", "succeeded");
        Run followed = spool("events", id, "--follow");
        assertThat(followed.out().lines().count()).as("a finished job's stream: its history, then the end").isEqualTo(events.out().lines().count());

        Run logs = spool("logs", id, "--follow");
        assertThat(logs.code()).as(logs.err()).isZero();
        assertThat(spool("logs", id, "--json").code()).isZero();

        assertThat(spool("types").json().findValuesAsText("name")).contains("echo", "sleep");
        assertThat(spool("workers").code()).as("an admin key").isZero();
        Run files = spool("artifacts", id);
        assertThat(files.code()).as(files.err()).isZero();
        assertThat(files.json().isArray()).isTrue();
        String boundary = "cli-test";
        String form = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"job\"\r\n\r\n{\"type\": \"echo\", \"input\": {}}\r\n"
                + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"notes.txt\"\r\n"
                + "Content-Type: text/plain\r\n\r\nnotes from the cli test\r\n--" + boundary + "--\r\n";
        var answer = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/v1/jobs"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(form)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        String withFile = SpoolClient.JSON.readTree(answer.body()).get("id").asText();
        assertThat(spool("artifacts", withFile).json().findValuesAsText("name")).contains("notes.txt");
        Run saved = spool("artifacts", withFile, "--download", "notes.txt", "--to", dir.resolve("saved.txt").toString());
        assertThat(saved.code()).as(saved.err()).isZero();
        assertThat(java.nio.file.Files.readString(dir.resolve("saved.txt"))).isEqualTo("notes from the cli test");
        Run missing = spool("artifacts", id, "--download", "nope.txt", "--to", dir.resolve("nope.txt").toString());
        assertThat(missing.code()).isEqualTo(1);
        assertThat(dir.resolve("nope.txt")).doesNotExist();
    }

    @Test
    void batchesAreSubmittedOnceUnderAKeyPrintedAndCancelledAndWebhooksAreManaged() throws Exception {
        java.nio.file.Path file = dir.resolve("batch.json");
        java.nio.file.Files.writeString(file, "[{\"type\": \"sleep\", \"input\": {\"seconds\": 30}, \"title\": \"from the file\"}, "
                + "{\"type\": \"sleep\", \"input\": {\"seconds\": 30}}]");
        Run first = spool("batches", "submit", file.toString(), "--idempotency-key", "cli-batch-1");
        assertThat(first.code()).as(first.err()).isZero();
        String id = first.json().get("id").asText();
        assertThat(spool("batches", "submit", file.toString(), "--idempotency-key", "cli-batch-1").json().get("id").asText())
                .as("the same batch, not a second").isEqualTo(id);
        Run batch = spool("batches", "get", id);
        assertThat(batch.json().get("total").asInt()).isEqualTo(2);
        assertThat(batch.json().get("jobs").findValuesAsText("id")).anySatisfy(member ->
                assertThat(spool("get", member).json().path("title").asText()).isEqualTo("from the file"));
        Run cancelled = spool("batches", "cancel", id);
        assertThat(cancelled.json().get("matched").asInt()).isEqualTo(2);
        java.nio.file.Files.writeString(file, "{\"not\": \"jobs\"}");
        assertThat(spool("batches", "submit", file.toString()).code()).isEqualTo(2);

        Run created = spool("webhooks", "create", "http://127.0.0.1:9/hook", "--events", "job.succeeded,job.failed");
        assertThat(created.code()).as(created.err()).isZero();
        String endpoint = created.json().get("id").asText();
        assertThat(created.json().get("secret").asText()).startsWith("whsec_");
        assertThat(spool("webhooks", "list").json().findValuesAsText("id")).contains(endpoint);
        assertThat(spool("webhooks", "delete", endpoint).code()).isZero();
        assertThat(spool("webhooks", "list").json().findValuesAsText("id")).doesNotContain(endpoint);
    }

    /** The command without --url and --api-key: for commands that talk to no server. */
    private static Run bare(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void aCompletionScriptCoversTheCommandsAndWorksInBash() throws Exception {
        Run bash = bare("completion", "bash");
        assertThat(bash.code()).as(bash.err()).isZero();
        assertThat(bash.out()).contains("complete -F").contains("schedules").contains("bulk").contains("submit");
        assertThat(bare("completion", "zsh").out()).contains("bashcompinit");
        assertThat(bare("completion", "fish").code()).isEqualTo(2);

        // Loaded into a real bash, it completes "spool sch" to "schedules".
        java.nio.file.Path script = dir.resolve("spool-completion.bash");
        java.nio.file.Files.writeString(script, bash.out());
        Process p = new ProcessBuilder("bash", "-c", "source " + script + " && COMP_WORDS=(spool sch) COMP_CWORD=1 "
                + "&& _complete_spool && printf '%s\\n' \"${COMPREPLY[@]}\"").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out.lines()).contains("schedules");
    }

    @Test
    void keysCanBeCreatedListedAndRevoked() {
        Run created = spool("keys", "create", "--name", "ci", "--tenant", "team-a");
        assertThat(created.code()).isZero();
        String id = created.json().get("id").asText();
        assertThat(created.json().get("key").asText()).startsWith("spool_");

        assertThat(spool("keys", "list").out()).contains(id).contains("team-a");
        Run worker = spool("keys", "create", "--name", "gpu", "--role", "worker");
        assertThat(worker.json().get("role").asText()).isEqualTo("worker");
        assertThat(spool("keys", "revoke", id).code()).isZero();
        assertThat(spool("keys", "list").out()).contains("revoked");
    }
}
