package dev.spool.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Spool's promises under faults, together and under load (see {@link ChaosRun} and
 * docs/reliability.md). The README's test command runs a short version of each plan; {@code
 * ./mvnw verify -Pchaos} (system property {@code chaos=long}) runs the long one: 20,000 jobs on two
 * PostgreSQL nodes (one with its clock 2 s ahead) through 5 node SIGKILLs, 10 worker SIGKILLs,
 * 2 worker SIGSTOPs, 3 database outages of 10 s, 2 connection kills, 2 exhausted connection pools
 * and 2 full artifact disks, and 20,000 jobs on SQLite through 5 node SIGKILLs and a full disk.
 * The runs need root (the artifact disks are small tmpfs mounts) and Debian's {@code faketime}.
 */
class ChaosTest {
    private static final boolean LONG = "long".equals(System.getProperty("chaos"));

    /** Each run's processes' logs and data stay in target/chaos/<plan>/ for a look after a failure. */
    private static Path dir(ChaosRun.Plan plan) throws java.io.IOException {
        Path dir = Path.of("target", "chaos", plan.name()).toAbsolutePath();
        if (Files.exists(dir)) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return Files.createDirectories(dir);
    }

    @Test
    void twoPostgresNodesLoseNothingDuplicateNothingAndAcceptOneOutcomePerJobThroughFaults() throws Exception {
        ChaosRun.Plan plan = LONG
                ? new ChaosRun.Plan("postgresql-long", true, 2, 4, 20_000, Duration.ofSeconds(120), 5, 10, 2, 3,
                        Duration.ofSeconds(10), 2, 0, 0, Duration.ZERO, Duration.ZERO)
                : new ChaosRun.Plan("postgresql-short", true, 2, 2, 1_000, Duration.ofSeconds(20), 1, 2, 1, 1,
                        Duration.ofSeconds(3), 1, 1, 1, Duration.ofSeconds(3), Duration.ofSeconds(2));
        assertClean(new ChaosRun(plan, dir(plan)).run(), true);
        if (LONG) {
            // The faults of resources, long: connection slots all taken, artifact disks full, one
            // clock ahead, with node kills. Every count must be zero; how long the backlog takes to
            // drain afterwards is reported, not bounded: on this 2-core machine that is the external
            // workers' throughput (issue 17), not recovery. (The short plan above has one of each.)
            ChaosRun.Plan resources = new ChaosRun.Plan("postgresql-resources-long", true, 2, 4, 20_000,
                    Duration.ofSeconds(120), 3, 0, 0, 0, Duration.ZERO, 0, 3, 3, Duration.ofSeconds(3), Duration.ofSeconds(2));
            assertClean(new ChaosRun(resources, dir(resources)).run(), false);
        }
    }

    @Test
    void oneSqliteNodeLosesNothingThroughItsOwnSigkills() throws Exception {
        ChaosRun.Plan plan = LONG
                ? new ChaosRun.Plan("sqlite-long", false, 1, 4, 20_000, Duration.ofSeconds(120), 5, 0, 0, 0,
                        Duration.ZERO, 0, 0, 1, Duration.ofSeconds(3), Duration.ZERO)
                : new ChaosRun.Plan("sqlite-short", false, 1, 2, 500, Duration.ofSeconds(10), 1, 1, 0, 0,
                        Duration.ZERO, 0, 0, 1, Duration.ofSeconds(3), Duration.ZERO);
        assertClean(new ChaosRun(plan, dir(plan)).run(), true);
    }

    private void assertClean(ChaosRun.Report report, boolean drainBounded) throws Exception {
        System.out.println(report);
        Files.writeString(Path.of("target", "chaos-" + report.plan().name() + ".txt"), report + "\n");
        assertThat(report.acknowledged()).isEqualTo(report.plan().jobs());
        assertThat(report.lost()).as("lost").isZero();
        assertThat(report.duplicated()).as("duplicated").isZero();
        assertThat(report.doubleAccepted()).as("double-accepted").isZero();
        // The workers' own record of accepted completions must be there, or double-acceptance by a
        // worker could not be seen: most jobs succeed, each through a worker's report.
        assertThat(report.acceptedByWorkers()).as("completions the workers recorded as accepted")
                .isGreaterThan(report.plan().jobs() / 2);
        assertThat(report.stuck()).as("stuck").isZero();
        assertThat(report.webhooksLost()).as("webhooks lost").isZero();
        assertThat(report.webhooksUnderTwoIds()).as("webhooks under two ids").isZero();
        if (drainBounded) {
            assertThat(report.terminalAfterLastFaultMs()).as("every job terminal within 60 s of the last fault")
                    .isBetween(0L, 60_000L);
        }
    }
}
