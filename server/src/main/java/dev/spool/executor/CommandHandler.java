package dev.spool.executor;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spool.engine.JobContext;
import dev.spool.engine.JobHandler;
import java.util.List;

/** The {@code command} executor: the server runs a configured program for each job (see {@link ProgramRunner}). */
public record CommandHandler(List<String> command) implements JobHandler {
    public CommandHandler {
        if (command == null || command.isEmpty()) {
            throw new IllegalArgumentException("a command type needs 'command: [program, args...]'");
        }
        command = List.copyOf(command);
    }

    @Override
    public JsonNode run(JobContext job) throws Exception {
        var environment = ProgramRunner.environment(job.job().id().value(), job.job().type(), job.job().attempt());
        return ProgramRunner.run(command, environment, job.input(),
                ProgramRunner.listener(job::log, job::progress, job::attach));
    }
}
