package dev.spool.executor;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spool.engine.JobContext;
import dev.spool.engine.JobHandler;
import java.util.List;

/** The {@code command} executor: the server runs a configured program for each job (see {@link ProgramRunner}). */
public record CommandHandler(List<String> command) implements JobHandler {
    /** The content type of an output file, guessed from its name. */
    static String contentType(java.nio.file.Path file) {
        String guess = java.net.URLConnection.guessContentTypeFromName(file.getFileName().toString());
        return guess == null ? "application/octet-stream" : guess;
    }

    public CommandHandler {
        if (command == null || command.isEmpty()) {
            throw new IllegalArgumentException("a command type needs 'command: [program, args...]'");
        }
        command = List.copyOf(command);
    }

    @Override
    public JsonNode run(JobContext job) throws Exception {
        var environment = ProgramRunner.environment(job.job().id().value(), job.job().type(), job.job().attempt());
        return ProgramRunner.run(command, environment, job.input(), new ProgramRunner.Listener() {
            @Override
            public void log(String line) {
                job.log(line);
            }

            @Override
            public void progress(double fraction, String message) {
                job.progress(fraction, message);
            }

            @Override
            public void output(String name, java.nio.file.Path file) throws dev.spool.engine.JobFailure {
                try {
                    job.attach(name, contentType(file), file);
                } catch (java.io.IOException | RuntimeException e) {
                    throw new dev.spool.engine.JobFailure("output_rejected", "output file " + name + ": " + e.getMessage(), false);
                }
            }
        });
    }
}
