package dev.spool.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spool.client.SpoolWorker;
import dev.spool.engine.JobFailure;
import dev.spool.executor.ProgramRunner;
import java.util.List;

/** {@code spool worker}'s handler: the program contract of {@link ProgramRunner}, for a job claimed over HTTP. */
final class ProgramHandler implements SpoolWorker.Handler {
    private final List<String> command;

    ProgramHandler(List<String> command) {
        this.command = List.copyOf(command);
    }

    @Override
    public JsonNode run(SpoolWorker.Context job) throws Exception {
        var environment = ProgramRunner.environment(job.job().id(), job.job().type(), job.job().attempt());
        try {
            return ProgramRunner.run(command, environment, job.input(),
                    ProgramRunner.listener(job::log, job::progress, job::attach));
        } catch (JobFailure f) {
            throw new SpoolWorker.Failure(f.error().code(), f.error().message(), f.error().retryable());
        }
    }
}
