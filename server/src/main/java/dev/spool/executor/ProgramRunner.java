package dev.spool.executor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spool.engine.JobFailure;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a program for one job, the contract shared by the {@code command} executor and {@code spool
 * worker}: the input JSON on standard input; standard output is the result (JSON, or else {@code
 * {"text": ...}}); each standard error line goes to the log, except {@code spool:progress <fraction>
 * [message]}, which reports progress; files written into {@code $SPOOL_OUTPUT_DIR} become the job's
 * artifacts. Exit 0 succeeds; any other exit is a retryable failure. An interrupt (cancel,
 * timeout) kills the program and everything it started.
 */
public final class ProgramRunner {
    /** Where the program's log lines, progress and output files go. */
    public interface Listener {
        void log(String line);

        void progress(double fraction, String message);

        /** A file the program left in {@code $SPOOL_OUTPUT_DIR}, after it exited successfully. */
        void output(String name, java.nio.file.Path file) throws JobFailure;
    }

    /** Where an output file goes: an artifact of the running attempt. */
    @FunctionalInterface
    public interface Output {
        void attach(String name, String contentType, java.nio.file.Path file) throws Exception;
    }

    /**
     * A listener that passes log lines and progress on, and stores output files with a content type
     * guessed from their names; a file that cannot be stored fails the attempt (not retried).
     */
    public static Listener listener(Consumer<String> log,
                                    BiConsumer<Double, String> progress, Output output) {
        return new Listener() {
            @Override
            public void log(String line) {
                log.accept(line);
            }

            @Override
            public void progress(double fraction, String message) {
                progress.accept(fraction, message);
            }

            @Override
            public void output(String name, java.nio.file.Path file) throws JobFailure {
                String type = java.net.URLConnection.guessContentTypeFromName(name);
                try {
                    output.attach(name, type == null ? "application/octet-stream" : type, file);
                } catch (Exception e) {
                    throw new JobFailure("output_rejected", "output file " + name + ": " + e.getMessage(), false);
                }
            }
        };
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PROGRESS = Pattern.compile("spool:progress\\s+([0-9.]+)\\s*(.*)");
    private static final int TAIL = 5;

    private ProgramRunner() {}

    /** What the program finds in its environment about its job. */
    public static Map<String, String> environment(String jobId, String type, int attempt) {
        return Map.of("SPOOL_JOB_ID", jobId, "SPOOL_JOB_TYPE", type, "SPOOL_ATTEMPT", Integer.toString(attempt));
    }

    /**
     * Runs the program. Files it writes directly into {@code $SPOOL_OUTPUT_DIR} (a fresh folder per
     * run, removed afterwards) are handed to {@link Listener#output} after a successful exit.
     */
    public static JsonNode run(List<String> command, Map<String, String> environment, JsonNode input, Listener listener)
            throws InterruptedException, JobFailure {
        java.nio.file.Path outputDir;
        try {
            outputDir = java.nio.file.Files.createTempDirectory("spool-output-");
        } catch (IOException e) {
            throw new JobFailure("no_output_dir", "cannot make an output folder: " + e.getMessage(), true);
        }
        try {
            JsonNode result = runIn(outputDir, command, environment, input, listener);
            try (var files = java.nio.file.Files.list(outputDir)) {
                for (java.nio.file.Path file : files.filter(java.nio.file.Files::isRegularFile).sorted().toList()) {
                    listener.output(file.getFileName().toString(), file);
                }
            } catch (IOException e) {
                throw new JobFailure("output_unreadable", "cannot read the output folder: " + e.getMessage(), true);
            }
            return result;
        } finally {
            deleteTree(outputDir);
        }
    }

    private static void deleteTree(java.nio.file.Path dir) {
        try (var paths = java.nio.file.Files.walk(dir)) {
            for (java.nio.file.Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a temporary folder left behind is not worth failing the job for
        }
    }

    private static JsonNode runIn(java.nio.file.Path outputDir, List<String> command, Map<String, String> environment,
                                  JsonNode input, Listener listener) throws InterruptedException, JobFailure {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        builder.environment().put("SPOOL_OUTPUT_DIR", outputDir.toString());
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new JobFailure("cannot_start", "cannot start " + command.getFirst() + ": " + e.getMessage(), false);
        }
        try {
            Deque<String> tail = new ArrayDeque<>();
            Thread errors = Thread.ofVirtual().start(() -> readErrors(process.getErrorStream(), listener, tail));
            byte[][] out = new byte[1][];
            Thread output = Thread.ofVirtual().start(() -> out[0] = readAll(process.getInputStream()));
            try (OutputStream in = process.getOutputStream()) {
                in.write(JSON.writeValueAsBytes(input));
            } catch (IOException e) {
                // The program did not read its input; its exit status says whether that mattered.
            }
            int exit = process.waitFor();
            output.join();
            errors.join();
            if (exit != 0) {
                String why;
                synchronized (tail) {
                    why = tail.isEmpty() ? "" : ": " + String.join(" | ", tail);
                }
                throw new JobFailure("exit_" + exit, command.getFirst() + " exited with status " + exit + why, true);
            }
            return result(new String(out[0] == null ? new byte[0] : out[0], StandardCharsets.UTF_8));
        } finally {
            if (process.isAlive() || process.descendants().anyMatch(ProcessHandle::isAlive)) {
                kill(process);
            }
        }
    }

    /** The program's standard output as the result: its JSON, or the text itself. */
    static JsonNode result(String stdout) {
        String text = stdout.strip();
        if (!text.isEmpty()) {
            try {
                return JSON.readTree(text);
            } catch (IOException notJson) {
                // fall through: plain text
            }
        }
        return JSON.createObjectNode().put("text", stdout);
    }

    private static void readErrors(InputStream stream, Listener listener, Deque<String> tail) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                Matcher m = PROGRESS.matcher(line);
                if (m.matches()) {
                    try {
                        listener.progress(Double.parseDouble(m.group(1)), m.group(2).isBlank() ? null : m.group(2));
                        continue;
                    } catch (NumberFormatException e) {
                        // not a progress line after all: log it
                    }
                }
                listener.log(line);
                synchronized (tail) {
                    tail.addLast(line);
                    if (tail.size() > TAIL) {
                        tail.removeFirst();
                    }
                }
            }
        } catch (IOException e) {
            // the program closed its standard error; nothing more to read
        }
    }

    private static byte[] readAll(InputStream stream) {
        try (stream) {
            return stream.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }

    /** Asks the program and its children to stop, then forces them after two seconds. */
    private static void kill(Process process) {
        List<ProcessHandle> tree = process.descendants().toList();
        tree.forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(2, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }
}
