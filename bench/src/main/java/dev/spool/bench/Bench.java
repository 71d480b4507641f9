package dev.spool.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Spool's throughput, latency and memory beside the database's own ceiling, on SQLite and on
 * PostgreSQL (embedded, started here), in one run; prints one table, each figure the median of
 * {@code --rounds} rounds, and writes it with a chart to {@code --out}.
 *
 * <p>{@code ./spool bench [--quick] [--db sqlite,postgres] [--rounds 3] [--out DIR] ...}; see {@link #usage()}.
 */
public final class Bench {
    /** The sizes of a run; {@link #quick()} is the smoke run CI does. */
    record Options(List<String> dbs, int rounds, int ceilingJobs, int burst, int single, int clients, int workers,
                   int workerJobs, int workerConcurrency, int rate, int latencySeconds, int readSeconds, int readConnections,
                   List<Long> scale, int scaleOps, int slots, List<String> serverJvm, Path out, List<String> only,
                   String serverYaml) {
        static Options full() {
            return new Options(List.of("sqlite", "postgres"), 3, 100_000, 100_000, 10_000, 64, 4, 20_000, 64, 500, 20, 10, 64,
                    List.of(10_000L, 1_000_000L, 10_000_000L), 500, -1, List.of(), Path.of("target/bench"), List.of(), "");
        }

        static Options quick() {
            return new Options(List.of("sqlite", "postgres"), 1, 2_000, 2_000, 200, 8, 2, 400, 8, 100, 1, 1, 8,
                    List.of(1_000L, 5_000L), 30, 64, List.of(), Path.of("target/bench"), List.of(), "");
        }

        Options withRounds(int n) {
            return new Options(dbs, n, ceilingJobs, burst, single, clients, workers, workerJobs, workerConcurrency, rate,
                    latencySeconds, readSeconds, readConnections, scale, scaleOps, slots, serverJvm, out, only, serverYaml);
        }
    }

    public static void main(String[] args) throws Exception {
        Options options = parse(args);
        Results results = run(options);
        String table = results.table(options);
        System.out.println(table);
        Files.createDirectories(options.out());
        Files.writeString(options.out().resolve("results.md"), table);
        Files.writeString(options.out().resolve("results.json"), results.json().toPrettyString());
        Files.writeString(options.out().resolve("chart.svg"), Chart.svg(results, options));
        System.out.println("Wrote " + options.out().resolve("results.md") + ", results.json and chart.svg");
        System.exit(0); // the embedded PostgreSQL's and HTTP clients' threads are not daemons
    }

    static Results run(Options options) throws Exception {
        Path work = Files.createTempDirectory("spool-bench");
        Results results = new Results();
        Scenarios scenarios = new Scenarios(options);
        try {
            for (String name : options.dbs()) {
                try (Db db = name.equals("postgres") ? new Db.Postgres(work) : new Db.Sqlite(work)) {
                    String d = db.name();
                    boolean pg = db instanceof Db.Postgres;
                    step(results, d, "ceiling_job", options, () -> Scenarios.Round.of(0, "jobs_per_s",
                            Ceiling.run(db.fresh(), pg, Math.max(500, options.ceilingJobs() / 20), 1)));
                    step(results, d, "ceiling_batch", options, () -> Scenarios.Round.of(0, "jobs_per_s",
                            Ceiling.run(db.fresh(), pg, options.ceilingJobs(), 100)));
                    step(results, d, "burst", options, () -> scenarios.burst(db));
                    step(results, d, "single", options, () -> scenarios.single(db));
                    step(results, d, "workers", options, () -> scenarios.workers(db));
                    step(results, d, "latency", options, () -> scenarios.latency(db, false));
                    if (pg) {
                        step(results, d, "latency_nodes", options, () -> scenarios.latency(db, true));
                    }
                    step(results, d, "reads", options, () -> scenarios.reads(db));
                    // one database filled per size; its rounds run inside (filling 10M jobs thrice is too slow)
                    Options once = options.withRounds(1);
                    for (long size : options.scale()) {
                        step(results, d, "scale_" + size, once, () -> scenarios.scale(db, size));
                    }
                }
            }
        } finally {
            deleteQuietly(work);
        }
        return results;
    }

    @FunctionalInterface
    private interface RoundRun {
        Scenarios.Round run() throws Exception;
    }

    private static void step(Results results, String db, String scenario, Options options, RoundRun round) throws Exception {
        if (!options.only().isEmpty() && options.only().stream().noneMatch(scenario::startsWith)) {
            return;
        }
        for (int i = 1; i <= options.rounds(); i++) {
            long start = System.nanoTime();
            Scenarios.Round r = round.run();
            System.err.printf(Locale.ROOT, "%s %s round %d/%d: %s, peak RSS %.0f MiB (%.0f s)%n", db, scenario, i,
                    options.rounds(), r.figures(), r.peakRssMib(), (System.nanoTime() - start) / 1e9);
            results.add(db, scenario, r);
        }
    }

    /** Every round's figures, by database and scenario. */
    static final class Results {
        final Map<String, Map<String, List<Scenarios.Round>>> rounds = new LinkedHashMap<>();

        void add(String db, String scenario, Scenarios.Round round) {
            rounds.computeIfAbsent(db, k -> new LinkedHashMap<>()).computeIfAbsent(scenario, k -> new ArrayList<>()).add(round);
        }

        /** The median of a figure over the rounds, or NaN where it was not measured. */
        double median(String db, String scenario, String figure) {
            List<Scenarios.Round> rs = rounds.getOrDefault(db, Map.of()).get(scenario);
            if (rs == null) {
                return Double.NaN;
            }
            return Stats.median(rs.stream().map(r -> r.figures().get(figure)).toList());
        }

        double peakRss(String db, String scenario) {
            return rounds.getOrDefault(db, Map.of()).getOrDefault(scenario, List.of()).stream()
                    .mapToDouble(Scenarios.Round::peakRssMib).max().orElse(Double.NaN);
        }

        List<String> dbs() {
            return List.copyOf(rounds.keySet());
        }

        String table(Options o) {
            List<String[]> rows = new ArrayList<>();
            rows.add(row("jobs/s", "ceiling: plain JDBC, 3 commits a job", "ceiling_job", "jobs_per_s", null, null));
            rows.add(row("jobs/s", "ceiling: plain JDBC, batched 100", "ceiling_batch", "jobs_per_s", null, null));
            rows.add(row("jobs/s", "burst: %,d jobs via POST /v1/batches".formatted(o.burst()), "burst", "jobs_per_s",
                    "ceiling_batch", "jobs_per_s"));
            rows.add(row("jobs/s", "single submits: %d clients, POST /v1/jobs".formatted(o.clients()), "single", "jobs_per_s",
                    "ceiling_job", "jobs_per_s"));
            rows.add(row("jobs/s", "external workers: %d processes over HTTP, %,d jobs".formatted(o.workers(), o.workerJobs()), "workers", "jobs_per_s",
                    "ceiling_batch", "jobs_per_s"));
            for (String p : List.of("p50", "p99", "p999")) {
                String label = p.equals("p999") ? "p99.9" : p;
                rows.add(row("ms", "latency at %d jobs/s, submit→start %s".formatted(o.rate(), label), "latency", p + "_ms", null, null));
            }
            for (String p : List.of("p50", "p99", "p999")) {
                String label = p.equals("p999") ? "p99.9" : p;
                rows.add(row("ms", "  across two nodes %s".formatted(label), "latency_nodes", p + "_ms", null, null));
            }
            rows.add(row("req/s", "reads: GET /v1/jobs/{id}, %d connections".formatted(o.readConnections()), "reads", "req_per_s",
                    null, null));
            rows.add(row("ms", "  reads p99", "reads", "p99_ms", null, null));
            rows.add(row("req/s", "reads, the same with wrk (1 thread, %d connections)".formatted(o.readConnections()), "reads",
                    "wrk_req_per_s", null, null));
            rows.add(row("ms", "  wrk reads p99", "reads", "wrk_p99_ms", null, null));
            rows.add(row("cores", "  processor used by wrk", "reads", "wrk_cores", null, null));
            rows.add(row("cores", "  processor used by the server meanwhile", "reads", "server_cores", null, null));
            String smallest = "scale_" + o.scale().getFirst();
            for (long size : o.scale()) {
                rows.add(row("ms", "scale: claim p99, %s jobs stored".formatted(count(size)), "scale_" + size, "claim_p99_ms",
                        size == o.scale().getFirst() ? null : smallest, "claim_p99_ms"));
            }
            for (long size : o.scale()) {
                rows.add(row("ms", "scale: list p99, %s jobs stored".formatted(count(size)), "scale_" + size, "list_p99_ms",
                        size == o.scale().getFirst() ? null : smallest, "list_p99_ms"));
            }
            List<String> scenarios = new ArrayList<>(List.of("burst", "single", "workers", "latency", "latency_nodes", "reads"));
            o.scale().forEach(s -> scenarios.add("scale_" + s));
            for (String s : scenarios) {
                String[] r = new String[2 + 2 * dbs().size()];
                r[0] = "  peak RSS of the server: " + s.replace('_', ' ');
                r[1] = "MiB";
                for (int i = 0; i < dbs().size(); i++) {
                    r[2 + 2 * i] = number(peakRss(dbs().get(i), s));
                    r[3 + 2 * i] = "";
                }
                rows.add(r);
            }
            String[] header = new String[2 + 2 * dbs().size()];
            header[0] = "figure (median of %d round%s)".formatted(o.rounds(), o.rounds() == 1 ? "" : "s");
            header[1] = "unit";
            for (int i = 0; i < dbs().size(); i++) {
                header[2 + 2 * i] = dbs().get(i);
                header[3 + 2 * i] = "ratio";
            }
            return markdown(header, rows);
        }

        private String[] row(String unit, String label, String scenario, String figure, String baseScenario, String baseFigure) {
            String[] r = new String[2 + 2 * dbs().size()];
            r[0] = label;
            r[1] = unit;
            for (int i = 0; i < dbs().size(); i++) {
                String db = dbs().get(i);
                double v = median(db, scenario, figure);
                r[2 + 2 * i] = number(v);
                double base = baseScenario == null ? Double.NaN : median(db, baseScenario, baseFigure);
                r[3 + 2 * i] = Double.isNaN(base) || Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.2f×", v / base);
            }
            return r;
        }

        ObjectNode json() {
            ObjectNode root = Http.JSON.createObjectNode();
            rounds.forEach((db, scenarios) -> {
                ObjectNode d = root.putObject(db);
                scenarios.forEach((scenario, rs) -> {
                    ObjectNode s = d.putObject(scenario);
                    rs.getFirst().figures().keySet().forEach(f -> s.put(f, median(db, scenario, f)));
                    s.put("peak_rss_mib", peakRss(db, scenario));
                    s.put("rounds", rs.size());
                });
            });
            return root;
        }
    }

    static String count(long n) {
        return n >= 1_000_000 ? (n / 1_000_000) + "M" : n >= 1_000 ? (n / 1_000) + "k" : String.valueOf(n);
    }

    static String number(double v) {
        if (Double.isNaN(v)) {
            return "—";
        }
        return v >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    static String markdown(String[] header, List<String[]> rows) {
        int[] width = new int[header.length];
        List<String[]> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        for (String[] r : all) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (int k = 0; k < all.size(); k++) {
            String[] r = all.get(k);
            out.append('|');
            for (int i = 0; i < r.length; i++) {
                String cell = i == 0 ? pad(r[i], width[i], false) : pad(r[i], width[i], true);
                out.append(' ').append(cell).append(" |");
            }
            out.append('\n');
            if (k == 0) {
                out.append('|');
                for (int i = 0; i < r.length; i++) {
                    out.append(i == 0 ? " :" : " ").append("-".repeat(Math.max(1, width[i] - (i == 0 ? 1 : 1))))
                            .append(i == 0 ? " |" : ": |");
                }
                out.append('\n');
            }
        }
        return out.toString();
    }

    private static String pad(String s, int width, boolean right) {
        String fill = " ".repeat(width - s.length());
        return right ? fill + s : s + fill;
    }

    static Options parse(String[] args) {
        Options o = Arrays.asList(args).contains("--quick") ? Options.quick() : Options.full();
        List<String> dbs = o.dbs();
        List<Long> scale = o.scale();
        List<String> serverJvm = o.serverJvm();
        Path out = o.out();
        List<String> only = o.only();
        String serverYaml = o.serverYaml();
        int rounds = o.rounds();
        int burst = o.burst();
        int single = o.single();
        int workerJobs = o.workerJobs();
        int rate = o.rate();
        int latencySeconds = o.latencySeconds();
        int readSeconds = o.readSeconds();
        int slots = o.slots();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--quick")) {
                continue;
            }
            if (a.equals("-h") || a.equals("--help")) {
                System.out.println(usage());
                System.exit(0);
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(a + " needs a value\n" + usage());
            }
            String v = args[++i];
            switch (a) {
                case "--db" -> dbs = List.of(v.split(","));
                case "--rounds" -> rounds = positive("rounds", v);
                case "--burst" -> burst = positive("burst", v);
                case "--single" -> single = positive("single", v);
                case "--worker-jobs" -> workerJobs = positive("workerJobs", v);
                case "--rate" -> rate = positive("rate", v);
                case "--latency-seconds" -> latencySeconds = positive("latencySeconds", v);
                case "--read-seconds" -> readSeconds = positive("readSeconds", v);
                case "--slots" -> slots = positive("slots", v);
                case "--scale" -> scale = Arrays.stream(v.split(",")).map(Long::parseLong).toList();
                case "--server-jvm" -> serverJvm = List.of(v.trim().split("\\s+"));
                case "--out" -> out = Path.of(v);
                case "--only" -> only = List.of(v.split(","));
                case "--server-yaml" -> serverYaml = read(v);
                default -> throw new IllegalArgumentException("unknown option " + a + "\n" + usage());
            }
        }
        for (String db : dbs) {
            if (!db.equals("sqlite") && !db.equals("postgres")) {
                throw new IllegalArgumentException("--db takes sqlite, postgres or both (comma-separated), not " + db);
            }
        }
        return new Options(dbs, rounds, o.ceilingJobs(), burst, single, o.clients(), o.workers(), workerJobs,
                o.workerConcurrency(), rate, latencySeconds, readSeconds, o.readConnections(), scale, o.scaleOps(), slots,
                serverJvm, out, only, serverYaml);
    }

    private static String read(String file) {
        try {
            return java.nio.file.Files.readString(Path.of(file));
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
        }
    }

    private static int positive(String name, String value) {
        int v = Integer.parseInt(value);
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be positive");
        }
        return v;
    }

    static String usage() {
        return """
                spool bench: Spool's throughput, latency and memory beside the database's own ceiling.

                  --quick               the short smoke run (what CI runs), instead of the full one
                  --db LIST             sqlite, postgres, or both (default sqlite,postgres)
                  --rounds N            rounds of each figure; the table shows the median (default 3)
                  --burst N             jobs in the burst and external-worker runs (default 100000)
                  --single N            jobs submitted one at a time by 64 clients (default 10000)
                  --worker-jobs N       jobs of the external-worker run (default 20000)
                  --rate N              open-loop jobs per second of the latency run (default 500)
                  --latency-seconds N   seconds of the latency run (default 20)
                  --read-seconds N      seconds of the read run (default 10)
                  --scale LIST          stored jobs of the scale runs (default 10000,1000000,10000000)
                  --slots N             in-process runner slots of the nodes that run jobs, all types in one pool
                                        (default: sized by type as ./spool serve does; echo gets runner.io_slots, 256)
                  --server-jvm "OPTS"   JVM options of the Spool nodes (default none, as ./spool serve)
                  --server-yaml FILE    more configuration for every Spool node (limits, say), added to its file
                  --out DIR             where results.md, results.json and chart.svg go (default target/bench)
                  --only LIST           run only the scenarios whose names start so (ceiling, burst, single,
                                        workers, latency, reads, scale), to profile one
                """;
    }

    private static void deleteQuietly(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException ignored) {
            // a temporary folder
        }
    }
}
