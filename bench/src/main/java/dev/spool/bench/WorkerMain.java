package dev.spool.bench;

import dev.spool.client.SpoolClient;
import dev.spool.client.SpoolWorker;
import java.net.URI;

/**
 * An external worker process for the bench: Spool's Java worker ({@link SpoolWorker}) over the
 * HTTP worker protocol, with a handler that does nothing. Runs until its standard input closes.
 *
 * <p>{@code WorkerMain <base uri> <worker key> <type> <concurrency>}
 */
public final class WorkerMain {
    private WorkerMain() {}

    public static void main(String[] args) throws Exception {
        SpoolClient client = SpoolClient.builder(URI.create(args[0])).apiKey(args[1]).build();
        try (SpoolWorker worker = SpoolWorker.builder(client)
                .workerId("bench-" + ProcessHandle.current().pid())
                .types(args[2])
                .concurrency(Integer.parseInt(args[3]))
                .waitSeconds(1)
                .handler(job -> job.input())
                .start()) {
            System.in.transferTo(java.io.OutputStream.nullOutputStream());
        }
    }
}
