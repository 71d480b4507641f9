package dev.spool.engine;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spool.job.InputFile;
import dev.spool.job.Job;
import java.util.List;

/** What a running {@link JobHandler} sees of its job and how it reports back. */
public interface JobContext {
    Job job();

    default JsonNode input() {
        return job().input();
    }

    /** Records progress; it reaches the store within the runner's progress interval. */
    void progress(double fraction, String message);

    /** Appends a line to the job's log; lines reach the store with the next heartbeat. */
    void log(String line);

    /** The files uploaded with the job. */
    List<InputFile> inputs();

    /** Reads an input file, streamed; the caller closes it. */
    java.io.InputStream openInput(String name) throws java.io.IOException;

    /** Stores a file as an output artifact of this attempt (streamed from {@code file}). */
    void attach(String name, String contentType, java.nio.file.Path file) throws java.io.IOException;

    /** Adds to the units this attempt used, which the type's price may charge per unit. */
    void addUnits(long units);

    /** Throws {@link InterruptedException} when the job was cancelled, timed out or is being given back. */
    void checkpoint() throws InterruptedException;
}
