package dev.spool.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short run of the benchmark ({@code --quick}), on SQLite and on a real PostgreSQL: every
 * scenario runs end to end (Spool nodes and worker processes started, jobs run, figures read back)
 * and the table, the JSON and the chart are written. It checks that the benchmark works, never
 * how fast anything is: the targets are for the full run, on a quiet machine.
 */
class BenchSmokeTest {
    @TempDir
    Path out;

    @Test
    void quickRunMeasuresEveryScenarioOnBothDatabases() throws Exception {
        Bench.Options quick = Bench.Options.quick();
        Bench.Results results = Bench.run(quick);

        assertThat(results.dbs()).containsExactly("SQLite", "PostgreSQL");
        for (String db : results.dbs()) {
            for (String scenario : List.of("ceiling_job", "ceiling_batch", "burst", "single", "workers")) {
                assertThat(results.median(db, scenario, "jobs_per_s")).as("%s %s", db, scenario).isPositive();
            }
            assertThat(results.median(db, "latency", "p99_ms")).as("%s latency", db)
                    .isGreaterThanOrEqualTo(results.median(db, "latency", "p50_ms")).isNotNaN();
            assertThat(results.median(db, "reads", "req_per_s")).as("%s reads", db).isPositive();
            if (Wrk.find().isPresent()) { // Debian's wrk, when installed, measures the reads a second time
                assertThat(results.median(db, "reads", "wrk_req_per_s")).as("%s reads by wrk", db).isPositive();
                assertThat(results.median(db, "reads", "wrk_cores")).as("%s wrk's processor", db).isPositive();
            }
            for (long size : quick.scale()) {
                assertThat(results.median(db, "scale_" + size, "claim_p99_ms")).as("%s claim at %d", db, size).isPositive();
                assertThat(results.median(db, "scale_" + size, "list_p99_ms")).as("%s list at %d", db, size).isPositive();
            }
            for (String scenario : List.of("burst", "single", "workers", "latency", "reads")) {
                assertThat(results.peakRss(db, scenario)).as("%s %s RSS", db, scenario).isBetween(10.0, 24_000.0);
            }
        }
        assertThat(results.median("PostgreSQL", "latency_nodes", "p50_ms")).isNotNaN();
        assertThat(results.median("SQLite", "latency_nodes", "p50_ms")).as("one node only on SQLite").isNaN();

        String table = results.table(quick);
        assertThat(table.lines()).anyMatch(l -> l.startsWith("| burst: 2,000 jobs via POST /v1/batches"));
        assertThat(table.lines().filter(l -> l.contains("×")).count()).as("ratios: burst, single, workers, claim, list").isEqualTo(5);
        String svg = Chart.svg(results, quick);
        assertThat(svg).startsWith("<svg").contains("SQLite").contains("PostgreSQL").endsWith("</svg>\n");
        Files.writeString(out.resolve("chart.svg"), svg);
    }

    @Test
    void optionsAreReadAndBadOnesRefused() {
        Bench.Options o = Bench.parse(new String[] {"--db", "sqlite", "--rounds", "5", "--worker-jobs", "300", "--scale", "10,20"});
        assertThat(o.dbs()).containsExactly("sqlite");
        assertThat(o.rounds()).isEqualTo(5);
        assertThat(o.workerJobs()).isEqualTo(300);
        assertThat(o.scale()).containsExactly(10L, 20L);
        assertThat(o.burst()).as("the full run's").isEqualTo(100_000);
        assertThat(Bench.parse(new String[] {"--quick"}).burst()).isEqualTo(2_000);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Bench.parse(new String[] {"--db", "mysql"}))
                .hasMessageContaining("--db takes sqlite, postgres");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Bench.parse(new String[] {"--rounds", "0"}))
                .hasMessageContaining("rounds must be positive");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Bench.parse(new String[] {"--frobnicate", "1"}))
                .hasMessageContaining("unknown option --frobnicate");
    }
}
