package dev.spool.cli;

import static dev.spool.cli.Main.printJson;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spool.cli.Main.ClientOptions;
import dev.spool.client.BulkFilter;
import dev.spool.client.BulkResult;
import dev.spool.client.Schedule;
import dev.spool.client.SpoolClient;
import dev.spool.client.SubmitRequest;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** An operator's commands: queues, bulk actions by filter, cron schedules. */
final class OperateCommands {
    private OperateCommands() {}

    @Command(name = "queues", mixinStandardHelpOptions = true,
            description = "Print the queues (depth, running, oldest queued age, paused); with an admin key, pause or resume one.")
    static final class Queues implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        ClientOptions client;

        @Option(names = "--pause", paramLabel = "QUEUE", description = "Admin keys: stop claims from taking the queue's jobs, on every node.")
        String pause;

        @Option(names = "--resume", paramLabel = "QUEUE", description = "Admin keys: let claims take the queue's jobs again.")
        String resume;

        @Override
        public Integer call() {
            SpoolClient spool = client.client();
            if (pause != null) {
                printJson(spec.commandLine().getOut(), spool.pauseQueue(pause));
            } else if (resume != null) {
                printJson(spec.commandLine().getOut(), spool.resumeQueue(resume));
            } else {
                printJson(spec.commandLine().getOut(), spool.queues());
            }
            return 0;
        }
    }

    @Command(name = "bulk", mixinStandardHelpOptions = true,
            description = "Cancel, retry or delete every job that matches the filters (the list's). "
                    + "Try --dry-run first: it prints how many jobs the action would touch.")
    static final class Bulk implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        ClientOptions client;

        @Parameters(paramLabel = "ACTION", description = "cancel, retry or delete.")
        String action;

        @Option(names = "--status", split = ",", description = "Statuses, comma-separated.")
        List<String> status;

        @Option(names = "--type")
        String type;

        @Option(names = "--queue")
        String queue;

        @Option(names = "--batch")
        String batch;

        @Option(names = "--metadata", paramLabel = "KEY=VALUE", description = "Jobs with this metadata entry; repeat for several.")
        Map<String, String> metadata;

        @Option(names = "--created-after", description = "RFC 3339 time.")
        Instant createdAfter;

        @Option(names = "--created-before", description = "RFC 3339 time.")
        Instant createdBefore;

        @Option(names = "--all", description = "Every job of the tenant that the action applies to (when no filter is given).")
        boolean all;

        @Option(names = "--dry-run", description = "Only count the jobs it would act on.")
        boolean dryRun;

        @Option(names = "--idempotency-key", description = "Makes the call safe to repeat: a repeat prints the first call's answer.")
        String idempotencyKey;

        @Override
        public Integer call() {
            BulkFilter filter = new BulkFilter(status, type, queue, batch, metadata, createdAfter, createdBefore,
                    all ? Boolean.TRUE : null, dryRun ? Boolean.TRUE : null);
            SpoolClient spool = client.client();
            BulkResult result = switch (action) {
                case "cancel" -> spool.cancelJobs(filter, idempotencyKey);
                case "retry" -> spool.retryJobs(filter, idempotencyKey);
                case "delete" -> spool.deleteJobs(filter, idempotencyKey);
                default -> throw new IllegalArgumentException("ACTION is cancel, retry or delete, not " + action);
            };
            printJson(spec.commandLine().getOut(), result);
            return 0;
        }
    }

    @Command(name = "schedules", mixinStandardHelpOptions = true,
            description = "Cron schedules: each tick submits a job.",
            subcommands = {Schedules.Create.class, Schedules.Update.class})
    static final class Schedules {
        /** The timing and job options of create and update; null fields are left as they are. */
        static final class Fields {
            @Option(names = "--name")
            String name;

            @Option(names = "--cron", description = "Five fields (minute hour day-of-month month day-of-week), or six with seconds first.")
            String cron;

            @Option(names = "--timezone", description = "An IANA time zone (default UTC).")
            String timezone;

            @Option(names = "--type", description = "The job's type.")
            String type;

            @Option(names = "--input", description = "The job's input, JSON (default {}).")
            String input;

            @Option(names = "--queue", description = "The job's queue (default: its type's).")
            String queue;

            @Option(names = "--overlap", description = "allow, or skip: no job for a tick while the last one is unfinished.")
            String overlap;

            @Option(names = "--missed", description = "run_once (default), or skip: what ticks no node ran in time become.")
            String missed;

            Schedule.Request request() {
                SubmitRequest job = null;
                if (type != null || input != null || queue != null) {
                    if (type == null) {
                        throw new IllegalArgumentException("--input and --queue need --type: the job is given whole");
                    }
                    JsonNode in = Main.parseJson("--input", input == null ? "{}" : input);
                    job = SubmitRequest.of(type, in);
                    if (queue != null) {
                        job = job.withQueue(queue);
                    }
                }
                return new Schedule.Request(name, cron, timezone, job, overlap, missed, null);
            }
        }

        @Command(name = "create", mixinStandardHelpOptions = true, description = "Make a schedule and print it with its next runs.")
        static final class Create implements Callable<Integer> {
            @CommandLine.Spec
            CommandLine.Model.CommandSpec spec;

            @Mixin
            ClientOptions client;

            @Mixin
            Fields fields;

            @Override
            public Integer call() {
                if (fields.cron == null || fields.type == null) {
                    throw new IllegalArgumentException("create needs --cron and --type");
                }
                printJson(spec.commandLine().getOut(), client.client().createSchedule(fields.request()));
                return 0;
            }
        }

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        // The commands on one schedule (or on the list) are methods: each is one call of the client.

        @Command(name = "list", mixinStandardHelpOptions = true, description = "Print the tenant's schedules.")
        int list(@Mixin ClientOptions client) {
            printJson(spec.commandLine().getOut(), client.client().schedules());
            return 0;
        }

        @Command(name = "get", mixinStandardHelpOptions = true, description = "Print a schedule with its next runs.")
        int get(@Mixin ClientOptions client, @Parameters(paramLabel = "ID") String id) {
            printJson(spec.commandLine().getOut(), client.client().schedule(id));
            return 0;
        }

        @Command(name = "pause", mixinStandardHelpOptions = true, description = "Pause a schedule.")
        int pause(@Mixin ClientOptions client, @Parameters(paramLabel = "ID") String id) {
            printJson(spec.commandLine().getOut(), client.client().pauseSchedule(id));
            return 0;
        }

        @Command(name = "resume", mixinStandardHelpOptions = true, description = "Resume a schedule from its next tick after now.")
        int resume(@Mixin ClientOptions client, @Parameters(paramLabel = "ID") String id) {
            printJson(spec.commandLine().getOut(), client.client().resumeSchedule(id));
            return 0;
        }

        @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a schedule (the jobs it made stay).")
        int delete(@Mixin ClientOptions client, @Parameters(paramLabel = "ID") String id) {
            client.client().deleteSchedule(id);
            Main.done(spec, "deleted", id);
            return 0;
        }

        @Command(name = "update", mixinStandardHelpOptions = true, description = "Change a schedule; options left out keep their values.")
        static final class Update implements Callable<Integer> {
            @CommandLine.Spec
            CommandLine.Model.CommandSpec spec;

            @Mixin
            ClientOptions client;

            @Mixin
            Fields fields;

            @Parameters(paramLabel = "ID")
            String id;

            @Override
            public Integer call() {
                printJson(spec.commandLine().getOut(), client.client().updateSchedule(id, fields.request()));
                return 0;
            }
        }

    }

    @Command(name = "batches", mixinStandardHelpOptions = true, description = "Submit, print or cancel batches of jobs.")
    static final class Batches {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Command(name = "submit", mixinStandardHelpOptions = true,
                description = "Submit the jobs of a JSON file (an array of submits, or {\"jobs\": [...]}) as one batch: all or none.")
        int submit(@Mixin ClientOptions client, @Parameters(paramLabel = "FILE", description = "The jobs, JSON.") java.nio.file.Path file,
                   @Option(names = "--idempotency-key", description = "A repeat with the same key and jobs prints the first batch.")
                   String idempotencyKey) throws java.io.IOException {
            JsonNode tree = Main.parseJson(file.toString(), java.nio.file.Files.readString(file));
            JsonNode jobs = tree.isArray() ? tree : tree.path("jobs");
            if (!jobs.isArray()) {
                throw new IllegalArgumentException(file + " must hold an array of submits, or an object with one under \"jobs\"");
            }
            printJson(spec.commandLine().getOut(), client.client().submitBatch(jobs, idempotencyKey));
            return 0;
        }

        @Command(name = "get", mixinStandardHelpOptions = true, description = "Print a batch: counts per status and each member.")
        int get(@Mixin ClientOptions client, @Parameters(paramLabel = "ID") String id) {
            printJson(spec.commandLine().getOut(), client.client().getBatch(id));
            return 0;
        }

        @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancel every queued or running member of a batch.")
        int cancel(@Mixin ClientOptions client, @Parameters(paramLabel = "ID") String id) {
            printJson(spec.commandLine().getOut(), client.client().cancelBatch(id));
            return 0;
        }
    }

    @Command(name = "webhooks", mixinStandardHelpOptions = true, description = "List, create or delete the tenant's webhook endpoints.")
    static final class WebhookEndpoints {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Command(name = "list", mixinStandardHelpOptions = true, description = "Print the endpoints.")
        int list(@Mixin ClientOptions client) {
            printJson(spec.commandLine().getOut(), client.client().webhooks());
            return 0;
        }

        @Command(name = "create", mixinStandardHelpOptions = true, description = "Register an endpoint and print it with its signing secret.")
        int create(@Mixin ClientOptions client, @Parameters(paramLabel = "URL") String url,
                   @Option(names = "--events", split = ",", description = "Event types, comma-separated (default: the terminal ones).")
                   List<String> events,
                   @Option(names = "--description") String description) {
            printJson(spec.commandLine().getOut(), client.client().createWebhook(url, events, description));
            return 0;
        }

        @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete an endpoint; its pending deliveries fail.")
        int delete(@Mixin ClientOptions client, @Parameters(paramLabel = "ID") String id) {
            client.client().deleteWebhook(id);
            Main.done(spec, "deleted", id);
            return 0;
        }
    }
}
