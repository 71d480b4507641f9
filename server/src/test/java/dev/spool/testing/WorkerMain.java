package dev.spool.testing;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.spool.client.SpoolClient;
import dev.spool.client.SpoolWorker;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * An external worker in a process of its own, for tests that kill or freeze it: {@code WorkerMain
 * <base url> <worker key> <type> <slots>} runs the Java worker runtime on jobs of that type; each
 * job sleeps {@code input.ms}, uploads a small file when {@code input.attach}, and succeeds with
 * {@code {"n": input.n}}. It prints {@code ACCEPTED
 * <job id>} for every completion Spool accepted (a 2xx complete, or a succeeded item of a 2xx batch
 * of reports), the worker's own record of what it got accepted, for the chaos checker.
 */
public final class WorkerMain {
    public static void main(String[] args) throws InterruptedException {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        SpoolClient client = SpoolClient.builder(URI.create(args[0])).apiKey(args[1]).timeout(Duration.ofSeconds(10))
                .onResponse(response -> accepted(response, out)).build();
        try (SpoolWorker worker = SpoolWorker.builder(client).types(args[2]).concurrency(Integer.parseInt(args[3]))
                .waitSeconds(1)
                .handler(job -> {
                    Thread.sleep(job.input().path("ms").asLong(10));
                    if (job.input().path("attach").asBoolean(false)) {
                        java.nio.file.Path file = java.nio.file.Files.createTempFile("chaos-", ".txt");
                        try {
                            java.nio.file.Files.writeString(file, ("job " + job.job().id() + "\n").repeat(40));
                            job.attach("out.txt", "text/plain", file);
                        } finally {
                            java.nio.file.Files.deleteIfExists(file);
                        }
                    }
                    return JsonNodeFactory.instance.objectNode().put("n", job.input().path("n").asLong());
                })
                .start()) {
            out.println("READY");
            Thread.currentThread().join();
        }
    }

    /**
     * Prints every success report Spool accepted: a 2xx single complete, or, in a 2xx batch of
     * reports, each item that came back succeeded (a refused item carries its problem instead).
     */
    private static void accepted(HttpResponse<byte[]> response, PrintStream out) {
        String path = response.request().uri().getPath(); // /v1/worker/jobs/{id}/complete or /v1/worker/reports
        if (response.statusCode() / 100 != 2) {
            return;
        }
        if (path.endsWith("/complete")) {
            out.println("ACCEPTED " + path.split("/")[4]);
        } else if (path.equals("/v1/worker/reports")) {
            try {
                for (var item : SpoolClient.JSON.readTree(response.body()).path("results")) {
                    if (!item.has("error") && item.path("status").asText().equals("succeeded")) {
                        out.println("ACCEPTED " + item.path("id").asText());
                    }
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }
}
