package dev.spool.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.spool.Config;
import dev.spool.Server;
import dev.spool.auth.ApiKeys;
import dev.spool.client.Job;
import dev.spool.client.JobPage;
import dev.spool.client.Limits;
import dev.spool.client.ListQuery;
import dev.spool.client.LogLine;
import dev.spool.client.SpoolApiException;
import dev.spool.client.SpoolClient;
import dev.spool.client.SpoolWorker;
import dev.spool.client.SubmitRequest;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

/** The {@code spool} command: the server, and a client for its API. */
@Command(name = "spool", mixinStandardHelpOptions = true, version = "spool 0.1.0",
        description = "Spool: a self-hosted async jobs API server.",
        subcommands = {Main.Serve.class, Main.Submit.class, Main.ListJobs.class, Main.Keys.class, Main.MigrateData.class,
                Main.Worker.class, OperateCommands.Queues.class, OperateCommands.Bulk.class, OperateCommands.Schedules.class,
                OperateCommands.Batches.class, OperateCommands.WebhookEndpoints.class})
public final class Main {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** How results are printed. */
    enum Output { text, json }

    @Option(names = {"-o", "--output"}, scope = CommandLine.ScopeType.INHERIT, defaultValue = "text", paramLabel = "text|json",
            description = "text: tables and lines for people; json: JSON for scripts (a stream: one object a line). Default: ${DEFAULT-VALUE}.")
    Output output = Output.text;

    /** Whether the command line that runs {@code spec} asked for {@code --output json}. */
    static boolean json(CommandLine.Model.CommandSpec spec) {
        return spec.root().userObject() instanceof Main main && main.output == Output.json;
    }

    /** What a command that has no result prints with {@code --output json}: {@code {"deleted": id}}, say; nothing for text. */
    static void done(CommandLine.Model.CommandSpec spec, String what, String id) {
        if (json(spec)) {
            spec.commandLine().getOut().println(toJson(Map.of(what, id)));
            spec.commandLine().getOut().flush();
        }
    }

    /** When a progress bar is drawn on standard error. */
    enum Progress { auto, always, never }

    /** A bar is for a person watching: on a terminal (auto), never under {@code --output json}. */
    static boolean showProgress(Progress progress, CommandLine.Model.CommandSpec spec) {
        return switch (progress) {
            case always -> true;
            case never -> false;
            case auto -> !json(spec) && terminal();
        };
    }

    /** Whether this process talks to a terminal (Console.isTerminal from Java 22; before it, a console is one). */
    static boolean terminal() {
        java.io.Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }

    // The commands that act on one job are methods: each is one call of the client.

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Print a job.")
    int get(@Mixin ClientOptions client, @Parameters(paramLabel = "ID", description = "Job id.") String id) {
        printJson(spec.commandLine().getOut(), client.client().get(id));
        return 0;
    }

    @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancel a job.")
    int cancel(@Mixin ClientOptions client, @Parameters(paramLabel = "ID", description = "Job id.") String id) {
        printJson(spec.commandLine().getOut(), client.client().cancel(id));
        return 0;
    }

    @Command(name = "retry", mixinStandardHelpOptions = true, description = "Queue a failed or cancelled job again.")
    int retry(@Mixin ClientOptions client, @Parameters(paramLabel = "ID", description = "Job id.") String id) {
        printJson(spec.commandLine().getOut(), client.client().retry(id));
        return 0;
    }

    @Command(name = "wait", mixinStandardHelpOptions = true,
            description = "Follow a job's live events until it ends, showing its progress; then print it.")
    int await(@Mixin ClientOptions client, @Parameters(paramLabel = "ID", description = "Job id.") String id,
              @Option(names = "--timeout", defaultValue = "PT1H",
                      description = "How long to wait (ISO-8601 duration; default ${DEFAULT-VALUE}).") Duration timeout,
              @Option(names = "--progress", defaultValue = "auto", paramLabel = "auto|always|never",
                      description = "The progress bar on standard error: auto draws it on a terminal only. Default: ${DEFAULT-VALUE}.")
              Progress progress) {
        return follow(client.client(), id, timeout, showProgress(progress, spec), spec);
    }

    /** Follows the job to its end (with a progress line on standard error when asked), prints it; 0 if it succeeded. */
    static int follow(SpoolClient spool, String id, Duration timeout, boolean progress, CommandLine.Model.CommandSpec spec) {
        ProgressLine line = new ProgressLine(spec.commandLine().getErr());
        Job done = spool.waitFor(id, timeout, progress ? line::show : job -> { });
        if (progress) {
            line.end();
        }
        printJson(spec.commandLine().getOut(), done);
        return "succeeded".equals(done.status()) ? 0 : 1;
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a job that is not running.")
    int delete(@Mixin ClientOptions client, @Parameters(paramLabel = "ID", description = "Job id.") String id) {
        client.client().delete(id);
        done(spec, "deleted", id);
        return 0;
    }

    @Command(name = "logs", mixinStandardHelpOptions = true,
            description = "Print a job's log lines; with --follow, as they are written, until the job ends.")
    int logs(@Mixin ClientOptions client, @Parameters(paramLabel = "ID", description = "Job id.") String id,
             @Option(names = {"-f", "--follow"}, description = "Follow the log until the job ends.") boolean follow,
             @Option(names = "--json", description = "One JSON object a line (seq, at, attempt, line) instead of the text (as --output json does).") boolean json) {
        PrintWriter out = spec.commandLine().getOut();
        Consumer<LogLine> print = l -> {
            out.println(json || json(spec) ? toJson(l) : l.line());
            out.flush();
        };
        if (follow) {
            client.client().followLogs(id, 0, Instant.MAX, print);
        } else {
            client.client().logs(id).forEach(print);
        }
        return 0;
    }

    @Command(name = "events", mixinStandardHelpOptions = true,
            description = "Print a job's events (one JSON object a line); with --follow, live until the job ends.")
    int events(@Mixin ClientOptions client, @Parameters(paramLabel = "ID", description = "Job id.") String id,
               @Option(names = {"-f", "--follow"}, description = "Follow the job's events until it ends.") boolean follow) {
        PrintWriter out = spec.commandLine().getOut();
        if (follow) {
            client.client().followEvents(id, 0, Instant.MAX, e -> {
                out.println(toJson(e));
                out.flush();
            });
        } else {
            client.client().events(id).forEach(e -> out.println(toJson(e)));
        }
        out.flush();
        return 0;
    }

    @Command(name = "artifacts", mixinStandardHelpOptions = true,
            description = "List a job's files; with --download NAME, save one (streamed) to --to or to a file of its name.")
    int artifacts(@Mixin ClientOptions client, @Parameters(paramLabel = "ID", description = "Job id.") String id,
                  @Option(names = "--download", paramLabel = "NAME", description = "The file to download.") String name,
                  @Option(names = "--to", paramLabel = "PATH", description = "Where to save it (default: ./NAME).") Path to) {
        if (name == null) {
            printJson(spec.commandLine().getOut(), client.client().artifacts(id));
            return 0;
        }
        Path target = to != null ? to : Path.of(name).getFileName();
        client.client().download(id, name, target);
        if (json(spec)) {
            spec.commandLine().getOut().println(toJson(Map.of("saved", target.toString())));
            spec.commandLine().getOut().flush();
        } else {
            spec.commandLine().getErr().println("saved " + target);
            spec.commandLine().getErr().flush();
        }
        return 0;
    }

    @Command(name = "health", mixinStandardHelpOptions = true,
            description = "Exit 0 when the server at --url answers /readyz with 200 (ready), 1 otherwise: a container's healthcheck.")
    int health(@Option(names = "--url", defaultValue = "${env:SPOOL_URL:-http://127.0.0.1:8080}",
            description = "Spool's base URL (env SPOOL_URL).") String url,
               @Option(names = "--timeout", defaultValue = "5", description = "Seconds to wait for the answer.") int timeout) {
        try (HttpClient http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(timeout)).build()) {
            HttpResponse<String> res = http.send(HttpRequest.newBuilder(
                            URI.create(url.replaceAll("/+$", "") + "/readyz")).timeout(Duration.ofSeconds(timeout)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (res.statusCode() == 200) {
                spec.commandLine().getOut().println(json(spec) ? toJson(Map.of("ready", true, "status", 200)) : "ready");
                spec.commandLine().getOut().flush();
                return 0;
            }
            notReady("HTTP " + res.statusCode() + " " + res.body());
        } catch (IOException e) {
            notReady(String.valueOf(e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 1;
    }

    private void notReady(String why) {
        if (json(spec)) {
            spec.commandLine().getOut().println(toJson(Map.of("ready", false, "error", why)));
            spec.commandLine().getOut().flush();
        } else {
            spec.commandLine().getErr().println("not ready: " + why);
            spec.commandLine().getErr().flush();
        }
    }

    @Command(name = "types", mixinStandardHelpOptions = true, description = "Print the declared job types, with their input schemas and prices.")
    int types(@Mixin ClientOptions client) {
        printJson(spec.commandLine().getOut(), client.client().types());
        return 0;
    }

    @Command(name = "workers", mixinStandardHelpOptions = true,
            description = "Print the workers seen lately (admin keys): their types, the jobs they hold, their free slots.")
    int workers(@Mixin ClientOptions client) {
        printJson(spec.commandLine().getOut(), client.client().workers());
        return 0;
    }

    static String toJson(Object value) {
        try {
            return SpoolClient.JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Command(name = "completion", mixinStandardHelpOptions = true,
            description = "Print a shell completion script for spool: source <(spool completion bash), or in zsh "
                    + "source <(spool completion zsh). Generated by picocli from the commands themselves.")
    int completion(@Parameters(paramLabel = "SHELL", defaultValue = "bash", description = "bash or zsh (default ${DEFAULT-VALUE}).")
                   String shell) {
        if (!shell.equals("bash") && !shell.equals("zsh")) {
            throw new IllegalArgumentException("SHELL is bash or zsh, not " + shell);
        }
        // picocli's script serves both: in zsh it loads bashcompinit itself.
        spec.commandLine().getOut().print(picocli.AutoComplete.bash("spool", spec.root().commandLine()));
        spec.commandLine().getOut().flush();
        return 0;
    }

    @Command(name = "usage", mixinStandardHelpOptions = true,
            description = "Print what the tenant's jobs used: jobs by outcome, run time, units and cost by currency.")
    int usage(@Mixin ClientOptions client,
              @Option(names = "--from", description = "First day, YYYY-MM-DD (default: the first of the month of --to).") LocalDate from,
              @Option(names = "--to", description = "Last day, YYYY-MM-DD (default: today, UTC).") LocalDate to,
              @Option(names = "--group-by", split = ",", paramLabel = "GROUP",
                      description = "Any of day, type, queue, key (and tenant with --tenant '*'), comma-separated.") List<String> groupBy,
              @Option(names = "--tenant", description = "Admin keys: another tenant, or '*' for every tenant.") String tenant,
              @Option(names = "--csv", description = "Print CSV instead of JSON.") boolean csv) {
        String[] groups = groupBy == null ? new String[0] : groupBy.toArray(String[]::new);
        if (csv) {
            spec.commandLine().getOut().print(client.client().usageCsv(from, to, tenant, groups));
            spec.commandLine().getOut().flush();
        } else {
            printJson(spec.commandLine().getOut(), client.client().usage(from, to, tenant, groups));
        }
        return 0;
    }

    /** The fields {@code spool limits --set} takes, as the API names them. */
    static final List<String> LIMIT_FIELDS = List.of("requests_per_second", "burst", "submits_per_minute",
            "key_requests_per_second", "key_burst", "key_submits_per_minute", "max_queued", "max_running", "max_file_bytes");

    @Command(name = "limits", mixinStandardHelpOptions = true,
            description = "Print the tenant's rate limits and quotas and what it holds against them; "
                    + "with an admin key, print, set or clear another tenant's.")
    int limits(@Mixin ClientOptions client,
               @Option(names = "--tenant", description = "Admin keys: the tenant to print, set or clear.") String tenant,
               @Option(names = "--set", paramLabel = "FIELD=N",
                       description = "With --tenant: set FIELD (requests_per_second, burst, submits_per_minute, key_requests_per_second, "
                               + "key_burst, key_submits_per_minute, max_queued, max_running, max_file_bytes) to N, replacing what was "
                               + "set before; 0 lifts that limit. Repeat for several.") Map<String, Long> set,
               @Option(names = "--clear", description = "With --tenant: remove what was set; the configuration's limits apply again.")
               boolean clear) {
        SpoolClient spool = client.client();
        if ((set != null || clear) && tenant == null) {
            throw new IllegalArgumentException("--set and --clear need --tenant");
        }
        if (clear) {
            spool.deleteTenantLimits(tenant);
            return 0;
        }
        if (set != null) {
            for (String field : set.keySet()) {
                if (!LIMIT_FIELDS.contains(field)) {
                    throw new IllegalArgumentException("--set takes one of " + String.join(", ", LIMIT_FIELDS) + ", not " + field);
                }
            }
            printJson(spec.commandLine().getOut(), spool.setTenantLimits(tenant, SpoolClient.JSON.convertValue(set, Limits.class)));
            return 0;
        }
        printJson(spec.commandLine().getOut(), tenant == null ? spool.limits() : spool.tenantLimits(tenant));
        return 0;
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true, java.nio.charset.StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, java.nio.charset.StandardCharsets.UTF_8);
        System.exit(run(out, err, args));
    }

    /** Runs the command line and returns its exit code: 0 success, 1 a failed job or API error, 2 bad usage. */
    static int run(PrintWriter out, PrintWriter err, String... args) {
        return new CommandLine(new Main())
                .setOut(out)
                .setErr(err)
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    switch (e) {
                        case SpoolApiException api -> cmd.getErr().println("error: " + api.getMessage());
                        case IllegalArgumentException bad -> {
                            cmd.getErr().println("error: " + bad.getMessage());
                            return 2;
                        }
                        case UncheckedIOException io -> cmd.getErr().println("error: " + io.getMessage());
                        case IllegalStateException failed -> cmd.getErr().println("error: " + failed.getMessage());
                        default -> throw e;
                    }
                    return 1;
                })
                .execute(args);
    }

    /** Where the API is and which key to use. */
    static final class ClientOptions {
        @Option(names = "--url", defaultValue = "${env:SPOOL_URL:-http://127.0.0.1:8080}",
                description = "Spool's base URL (env SPOOL_URL; default ${DEFAULT-VALUE}).")
        String url;

        @Option(names = "--api-key", defaultValue = "${env:SPOOL_API_KEY}",
                description = "API key (env SPOOL_API_KEY).")
        String apiKey;

        SpoolClient client() {
            if (apiKey == null || apiKey.isBlank()) {
                throw new IllegalArgumentException("no API key: pass --api-key or set SPOOL_API_KEY");
            }
            return SpoolClient.builder(URI.create(url)).apiKey(apiKey).build();
        }
    }

    /** {@code text} as JSON; an {@code IllegalArgumentException} naming {@code option} when it is not. */
    static JsonNode parseJson(String option, String text) {
        try {
            return SpoolClient.JSON.readTree(text);
        } catch (IOException e) {
            throw new IllegalArgumentException(option + " is not valid JSON: " + e.getMessage());
        }
    }

    static void printJson(PrintWriter out, Object value) {
        try {
            out.println(SpoolClient.JSON.writer().with(SerializationFeature.INDENT_OUTPUT).writeValueAsString(value));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.flush();
    }

    @Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the Spool server.")
    static final class Serve implements Callable<Integer> {
        @Option(names = "--config", defaultValue = "${env:SPOOL_CONFIG}", description = "YAML configuration file (env SPOOL_CONFIG).")
        Path config;

        @Option(names = "--host", description = "Address to listen on (http.host).")
        String host;

        @Option(names = "--port", description = "Port to listen on; 0 picks a free one (http.port).")
        Integer port;

        @Option(names = "--data-dir", description = "Folder for the embedded database (storage.data_dir).")
        String dataDir;

        @Option(names = "--database", description = "A PostgreSQL URL, to share one database between several nodes (storage.database).")
        String database;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws InterruptedException {
            Map<String, String> overrides = new LinkedHashMap<>();
            if (host != null) {
                overrides.put("http.host", host);
            }
            if (port != null) {
                overrides.put("http.port", port.toString());
            }
            if (dataDir != null) {
                overrides.put("storage.data_dir", dataDir);
            }
            if (database != null) {
                overrides.put("storage.database", database);
            }
            Config cfg = Config.load(Optional.ofNullable(config), System.getenv(), overrides);
            Server server = Server.start(cfg);
            PrintWriter out = spec.commandLine().getOut();
            server.createdAdminKey().ifPresent(key -> {
                out.println();
                out.println("  An admin API key was created. It is shown only this once; keep it safe:");
                out.println();
                out.println("    " + key);
                out.println();
                out.println("  Try:  export SPOOL_API_KEY=" + key);
                out.println("        curl -s -H \"Authorization: Bearer $SPOOL_API_KEY\" http://"
                        + cfg.http().host() + ":" + server.port() + "/v1/types");
                out.println();
                out.flush();
            });
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                server.close();
                stopped.countDown();
            }, "spool-shutdown"));
            stopped.await();
            return 0;
        }
    }

    @Command(name = "worker", mixinStandardHelpOptions = true,
            description = "Run a program for each job of the given types: input JSON on stdin, result on stdout, log on stderr. Needs a worker key.")
    static final class Worker implements Callable<Integer> {
        @Mixin
        ClientOptions client;

        @Option(names = "--type", required = true, description = "A type to run (declared with executor: worker); repeatable.")
        java.util.List<String> types;

        @Option(names = "--concurrency", defaultValue = "1", description = "Jobs run at once (default ${DEFAULT-VALUE}).")
        int concurrency;

        @Option(names = "--worker-id", description = "A stable id for this worker; host and pid by default.")
        String workerId;

        @Option(names = "--wait-seconds", defaultValue = "10", description = "How long one claim waits for work (default ${DEFAULT-VALUE}); stopping may take this long.")
        int waitSeconds;

        @Option(names = "--grace", defaultValue = "PT30S", description = "On stop, how long running jobs may finish before they are handed back (default ${DEFAULT-VALUE}).")
        Duration grace;

        @Parameters(arity = "1..*", paramLabel = "PROGRAM", description = "The program and its arguments, after --.")
        java.util.List<String> command;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            SpoolWorker.Builder builder = SpoolWorker.builder(client.client()).types(types.toArray(String[]::new))
                    .concurrency(concurrency).grace(grace).waitSeconds(waitSeconds).handler(new ProgramHandler(command));
            if (workerId != null) {
                builder.workerId(workerId).name(workerId);
            }
            SpoolWorker worker = builder.start();
            spec.commandLine().getErr().println("spool worker: running " + String.join(" ", command) + " for "
                    + String.join(", ", types) + " (" + concurrency + " at once)");
            spec.commandLine().getErr().flush();
            CountDownLatch stopped = new CountDownLatch(1);
            Thread hook = new Thread(() -> {
                worker.close();
                stopped.countDown();
            }, "spool-worker-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                stopped.await();
            } catch (InterruptedException e) {
                // stopped from within this JVM (tests): close here instead of in the hook
                Runtime.getRuntime().removeShutdownHook(hook);
                worker.close();
            }
            return 0;
        }
    }

    @Command(name = "migrate-data", mixinStandardHelpOptions = true,
            description = "Copy an embedded installation (jobs, history, keys) into an empty PostgreSQL database. Stop Spool first.")
    static final class MigrateData implements Callable<Integer> {
        @Option(names = "--from", required = true, description = "The SQLite file: spool.db in the data folder.")
        Path from;

        @Option(names = "--to", required = true, description = "The PostgreSQL URL, as for storage.database.")
        String to;

        @Option(names = "--schema", defaultValue = "public", description = "The target schema (default ${DEFAULT-VALUE}).")
        String schema;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            Config.Storage target = Config.load(Optional.empty(), Map.of(),
                    Map.of("storage.database", to, "storage.schema", schema)).storage();
            var copied = dev.spool.store.DataCopy.sqliteToPostgres(from, new dev.spool.store.PostgresStore.Settings(
                    target.database(), target.schema(), 1, target.statementTimeoutMs(), 1));
            PrintWriter out = spec.commandLine().getOut();
            if (json(spec)) {
                printJson(out, Map.of("copied", copied));
                return 0;
            }
            copied.forEach((table, rows) -> out.printf("%-18s %d rows%n", table, rows));
            out.println("Done. Start Spool with --database pointing at the new database.");
            out.flush();
            return 0;
        }
    }

    @Command(name = "submit", mixinStandardHelpOptions = true, description = "Submit a job and print it.")
    static final class Submit implements Callable<Integer> {
        @Mixin
        ClientOptions client;

        @Parameters(index = "0", description = "Job type (see GET /v1/types).")
        String type;

        @Option(names = "--input", required = true, description = "The input as a JSON object, or @FILE to read it from a file.")
        String input;

        @Option(names = "--priority", description = "Higher runs first (-1000 to 1000).")
        Integer priority;

        @Option(names = "--queue", description = "The queue (default: the type's).")
        String queue;

        @Option(names = "--title", description = "A label for people.")
        String title;

        @Option(names = "--metadata", description = "KEY=VALUE, repeatable.")
        Map<String, String> metadata;

        @Option(names = "--idempotency-key", description = "Submitting again with the same key returns the same job.")
        String idempotencyKey;

        @Option(names = "--wait", description = "Wait for the job to end, showing its progress.")
        boolean await;

        @Option(names = "--timeout", defaultValue = "PT1H", description = "How long --wait waits (ISO-8601 duration; default ${DEFAULT-VALUE}).")
        Duration timeout;

        @Option(names = "--progress", defaultValue = "auto", paramLabel = "auto|always|never",
                description = "With --wait, the progress bar on standard error: auto draws it on a terminal only. Default: ${DEFAULT-VALUE}.")
        Progress progress;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            JsonNode json = parseJson("--input", input.startsWith("@") ? Files.readString(Path.of(input.substring(1))) : input);
            SubmitRequest request = SubmitRequest.of(type, json);
            if (priority != null) {
                request = request.withPriority(priority);
            }
            if (queue != null) {
                request = request.withQueue(queue);
            }
            if (title != null) {
                request = request.withTitle(title);
            }
            if (metadata != null) {
                request = request.withMetadata(metadata);
            }
            SpoolClient spool = client.client();
            Job job = spool.submit(request, idempotencyKey);
            if (!await) {
                printJson(spec.commandLine().getOut(), job);
                return 0;
            }
            return follow(spool, job.id(), timeout, showProgress(progress, spec), spec);
        }
    }

    /** One line on standard error, redrawn in place: the job's status, a bar and its progress message. */
    static final class ProgressLine {
        private final PrintWriter err;
        private int lastLength;

        ProgressLine(PrintWriter err) {
            this.err = err;
        }

        void show(Job job) {
            StringBuilder sb = new StringBuilder(job.id()).append("  ").append(String.format("%-9s", job.status()));
            Job.Progress p = job.progress();
            if (p != null && p.fraction() != null) {
                int filled = (int) Math.round(p.fraction() * 20);
                sb.append(" [").append("#".repeat(filled)).append(".".repeat(20 - filled)).append("] ")
                        .append(String.format("%3d%%", Math.round(p.fraction() * 100)));
            }
            if (p != null && p.message() != null) {
                sb.append("  ").append(p.message());
            }
            String text = sb.toString();
            err.print("\r" + text + " ".repeat(Math.max(0, lastLength - text.length())));
            err.flush();
            lastLength = text.length();
        }

        void end() {
            err.println();
            err.flush();
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List jobs, newest first.")
    static final class ListJobs implements Callable<Integer> {
        @Mixin
        ClientOptions client;

        @Option(names = "--status", description = "Only these statuses, comma-separated.")
        String status;

        @Option(names = "--type", description = "Only this type.")
        String type;

        @Option(names = "--limit", defaultValue = "20", description = "At most this many (default ${DEFAULT-VALUE}).")
        int limit;

        @Option(names = "--cursor", description = "Continue from a previous listing's next cursor.")
        String cursor;

        @Option(names = "--json", description = "Print the API's JSON instead of a table (as --output json does).")
        boolean json;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            ListQuery.Builder q = ListQuery.builder().limit(limit);
            if (status != null) {
                q.status(status.split(","));
            }
            if (type != null) {
                q.type(type);
            }
            if (cursor != null) {
                q.cursor(cursor);
            }
            JobPage page = client.client().list(q.build());
            PrintWriter out = spec.commandLine().getOut();
            if (json || json(spec)) {
                printJson(out, page);
                return 0;
            }
            out.printf("%-36s  %-9s  %-16s  %s%n", "ID", "STATUS", "TYPE", "CREATED");
            page.data().forEach(j -> out.printf("%-36s  %-9s  %-16s  %s%n", j.id(), j.status(), j.type(), j.createdAt()));
            if (page.hasMore()) {
                out.println("more: spool list --cursor " + page.nextCursor());
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "keys", mixinStandardHelpOptions = true, description = "Manage API keys (needs an admin key).",
            subcommands = {Keys.Create.class, Keys.ListKeys.class, Keys.Revoke.class, Keys.Generate.class})
    static final class Keys {
        @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a key and print it (its secret is shown once).")
        static final class Create implements Callable<Integer> {
            @Mixin
            ClientOptions client;

            @Option(names = "--name", required = true, description = "What the key is for.")
            String name;

            @Option(names = "--tenant", description = "The tenant whose jobs the key sees (default: the admin key's own).")
            String tenant;

            @Option(names = "--role", defaultValue = "tenant",
                    description = "tenant (the default: the jobs API of its tenant), admin (also manages keys) or worker (claims jobs of every tenant).")
            String role;

            @CommandLine.Spec
            CommandLine.Model.CommandSpec spec;

            @Override
            public Integer call() {
                printJson(spec.commandLine().getOut(), client.client().createKey(name, tenant, role));
                return 0;
            }
        }

        @Command(name = "list", mixinStandardHelpOptions = true, description = "List keys (never their secrets).")
        static final class ListKeys implements Callable<Integer> {
            @Mixin
            ClientOptions client;

            @CommandLine.Spec
            CommandLine.Model.CommandSpec spec;

            @Override
            public Integer call() {
                PrintWriter out = spec.commandLine().getOut();
                if (json(spec)) {
                    printJson(out, client.client().listKeys());
                    return 0;
                }
                out.printf("%-20s  %-12s  %-16s  %-7s  %-8s  %s%n", "ID", "PREFIX", "TENANT", "ROLE", "STATE", "NAME");
                client.client().listKeys().forEach(k -> out.printf("%-20s  %-12s  %-16s  %-7s  %-8s  %s%n",
                        k.id(), k.prefix(), k.tenant(), k.role(), k.revokedAt() == null ? "active" : "revoked", k.name()));
                out.flush();
                return 0;
            }
        }

        @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a key.")
        static final class Revoke implements Callable<Integer> {
            @Mixin
            ClientOptions client;

            @CommandLine.Spec
            CommandLine.Model.CommandSpec spec;

            @Parameters(index = "0", description = "Key id (from keys list).")
            String id;

            @Override
            public Integer call() {
                client.client().revokeKey(id);
                done(spec, "revoked", id);
                return 0;
            }
        }

        @Command(name = "generate", mixinStandardHelpOptions = true,
                description = "Print a new random key, stored nowhere: for SPOOL_ADMIN_KEY.")
        static final class Generate implements Callable<Integer> {
            @CommandLine.Spec
            CommandLine.Model.CommandSpec spec;

            @Override
            public Integer call() {
                String key = ApiKeys.generateSecret();
                spec.commandLine().getOut().println(json(spec) ? toJson(Map.of("key", key)) : key);
                spec.commandLine().getOut().flush();
                return 0;
            }
        }
    }
}
