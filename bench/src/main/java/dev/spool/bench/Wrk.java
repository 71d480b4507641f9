package dev.spool.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Debian's {@code wrk} as a load generator for reads: written in C, it costs less processor than
 * the server it loads, so the server's figure is not the generator's. Its own processor time is
 * measured and printed beside the figure.
 */
final class Wrk {
    /** What one wrk run gave: requests a second, the 99th percentile, and the processor both sides used. */
    record Result(double requestsPerSecond, double p99Ms, double wrkCores, double serverCores) {}

    private static final Pattern RATE = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern P99 = Pattern.compile("\\s99%\\s+([0-9.]+)(us|ms|s)");
    private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses:\\s+(\\d+)");

    private Wrk() {}

    /** The wrk binary on this machine, if there is one. */
    static Optional<Path> find() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(dir, "wrk");
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** Runs wrk against {@code url} with {@code connections} on one thread for {@code duration}. */
    static Result run(Path wrk, String url, String apiKey, int connections, Duration duration, SpoolNode server)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(wrk.toString(), "-t1", "-c" + connections,
                "-d" + duration.toSeconds() + "s", "--latency", "-H", "Authorization: Bearer " + apiKey, url));
        double serverBefore = server.cpuSeconds();
        long start = System.nanoTime();
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        double wrkCpu = 0;
        StringBuilder out = new StringBuilder();
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                out.append(new String(p.getInputStream().readAllBytes()));
            } catch (IOException ignored) {
                // the process ended
            }
        });
        while (p.isAlive()) {
            try {
                wrkCpu = cpuSeconds(p.pid()); // the last reading before it exits: within 50 ms of its total
            } catch (IOException gone) {
                break;
            }
            Thread.sleep(50);
        }
        p.waitFor();
        reader.join();
        double elapsed = (System.nanoTime() - start) / 1e9;
        double serverCpu = server.cpuSeconds() - serverBefore;
        String text = out.toString();
        Matcher rate = RATE.matcher(text);
        Matcher p99 = P99.matcher(text);
        if (p.exitValue() != 0 || !rate.find() || !p99.find()) {
            throw new IllegalStateException("wrk failed:\n" + text);
        }
        Matcher failed = NON_2XX.matcher(text);
        if (failed.find()) {
            throw new IllegalStateException("wrk saw " + failed.group(1) + " answers that were not 2xx:\n" + text);
        }
        double p99Ms = Double.parseDouble(p99.group(1)) * switch (p99.group(2)) {
            case "us" -> 0.001;
            case "s" -> 1000;
            default -> 1;
        };
        return new Result(Double.parseDouble(rate.group(1)), p99Ms, wrkCpu / elapsed, serverCpu / elapsed);
    }

    /** Processor time of a process so far, in seconds (user + system, from /proc). */
    static double cpuSeconds(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime (fields 14, 15)
        return ticks / 100.0;
    }
}
