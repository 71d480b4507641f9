package dev.spool.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class JobRulesTest {
    @Test
    void theTransitionTableAllowsExactlyTheMovesDocsStateMachineLists() throws java.io.IOException {
        java.nio.file.Path docs = java.nio.file.Path.of("../docs/state-machine.md");
        Set<String> documented = new HashSet<>();
        var row = java.util.regex.Pattern.compile("^\\| (queued|running|succeeded|failed|cancelled) \\| ([a-z]+) \\|");
        for (String line : java.nio.file.Files.readAllLines(docs)) {
            var m = row.matcher(line);
            if (m.find()) {
                documented.add(m.group(1) + "->" + m.group(2));
            }
        }
        Set<String> allowed = new HashSet<>();
        for (JobStatus from : JobStatus.values()) {
            for (JobStatus to : JobStatus.values()) {
                if (from.canMoveTo(to)) {
                    allowed.add(from.wireName() + "->" + to.wireName());
                }
            }
        }
        assertThat(allowed).isEqualTo(documented);
        assertThat(allowed).containsExactlyInAnyOrder(
                "queued->running", "queued->cancelled",
                "running->succeeded", "running->failed", "running->cancelled", "running->queued",
                "failed->queued", "cancelled->queued");
    }

    @Test
    void backoffDoublesWithEachAttemptUpToItsCapWithJitterInTheUpperHalf() {
        Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60));

        assertThat(b.delay(1, 0)).isEqualTo(Duration.ofMillis(500));
        assertThat(b.delay(1, 0.999)).isBetween(Duration.ofMillis(999), Duration.ofSeconds(1));
        assertThat(b.delay(4, 0)).isEqualTo(Duration.ofSeconds(4));
        assertThat(b.delay(10, 0)).isEqualTo(Duration.ofSeconds(30));
        assertThat(b.delay(1000, 0.999)).isLessThanOrEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void jobIdsAreCanonicalUuidsThatSortByCreation() {
        JobId a = JobId.generate();
        JobId b = JobId.generate();
        assertThat(a).isLessThan(b);
        assertThat(JobId.parse(a.value().toUpperCase())).contains(a);
        assertThat(JobId.parse("not-a-uuid")).isEmpty();
        assertThat(JobId.parse("../../etc/passwd")).isEmpty();
        assertThat(JobId.parse(null)).isEmpty();
    }

    @Test
    void aNewJobRefusesOutOfRangeFields() {
        var ok = dev.spool.testing.TestJobs.newJob("echo");
        assertThatThrownBy(() -> dev.spool.testing.TestJobs.with(ok, 5000, null))
                .isInstanceOf(SpoolException.class).hasMessageContaining("priority");
        assertThatThrownBy(() -> dev.spool.testing.TestJobs.withMetadata(ok, java.util.Map.of("bad key", "v")))
                .isInstanceOf(SpoolException.class).hasMessageContaining("metadata key");
    }

    @Test
    void aPriceChargesOnlyJobsThatStarted() {
        Price p = new Price(new java.math.BigDecimal("0.01"), new java.math.BigDecimal("0.002"),
                new java.math.BigDecimal("0.0001"), "USD");
        assertThat(p.cost(0, 0, 0)).isEqualByComparingTo("0");
        assertThat(p.cost(1, 1500, 10)).isEqualByComparingTo("0.014");
    }
}
