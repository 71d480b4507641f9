package dev.spool;

import static dev.spool.testing.TestJobs.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spool.auth.ApiKeys;
import dev.spool.client.Job;
import dev.spool.client.SpoolClient;
import dev.spool.client.SubmitRequest;
import dev.spool.testing.Node;
import dev.spool.testing.Postgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Several Spool processes on one real PostgreSQL share the work, and lose nothing when one dies. */
class MultiNodeTest {

    private static Map<String, String> nodeSettings(String url, String key, int slots, int pollMs) {
        Map<String, String> s = new HashMap<>();
        s.put("storage.database", url);
        s.put("storage.read_connections", "4");
        s.put("auth.admin_key", key);
        s.put("runner.slots", Integer.toString(slots));
        s.put("runner.poll_ms", Integer.toString(pollMs));
        s.put("runner.heartbeat_ms", "500");
        s.put("jobs.lease_seconds", "3");
        s.put("jobs.backoff_base_seconds", "0.1");
        s.put("jobs.maintenance_interval_ms", "250");
        s.put("runner.shutdown_grace_seconds", "1");
        return s;
    }

    @Test
    void threeNodesRunEveryJobToExactlyOneOutcomeEvenWhenOneIsKilledMidRun() throws Exception {
        String url = Postgres.newDatabase();
        String key = ApiKeys.generateSecret();
        int total = 2000;
        List<Node> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                nodes.add(new Node(nodeSettings(url, key, 4, 200)));
            }
            List<SpoolClient> clients = nodes.stream().map(n -> n.client(key)).toList();

            ExecutorService submitters = Executors.newFixedThreadPool(6);
            List<Future<String>> submitted = new ArrayList<>();
            for (int i = 0; i < total; i++) {
                SpoolClient client = clients.get(i % clients.size()); // round-robin across the nodes
                submitted.add(submitters.submit(() -> client.submit(SubmitRequest.of("sleep", json("{\"seconds\": 0.02}"))).id()));
            }
            for (Future<String> f : submitted) {
                f.get();
            }
            submitters.shutdown();

            // Mid-run, with jobs in its hands: the third node dies without a word.
            await().atMost(Duration.ofSeconds(60)).until(() -> count(url, "status = 'succeeded'") >= total / 3);
            nodes.get(2).kill();

            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250))
                    .until(() -> count(url, "status = 'succeeded'") == total);

            assertThat(count(url, "status <> 'succeeded'")).isZero();
            assertThat(scalar(url, """
                    SELECT count(*) FROM (SELECT job_id FROM job_events WHERE kind = 'succeeded'
                                          GROUP BY job_id HAVING count(*) <> 1) more_than_one
                    """)).as("jobs with other than exactly one accepted outcome").isZero();
            long rescued = scalar(url, "SELECT count(*) FROM job_events WHERE kind = 'retry_scheduled' AND data LIKE '%lease_expired%'");
            assertThat(rescued).as("jobs the killed node held, rescued after their leases expired").isPositive();
            System.out.printf("multi-node: %d jobs on 3 nodes, one killed mid-run; %d rescued after its leases expired%n",
                    total, rescued);
        } finally {
            nodes.forEach(Node::close);
        }
    }

    @Test
    void aJobSubmittedOnOneNodeStartsOnAnotherWithinMilliseconds() throws Exception {
        String url = Postgres.newDatabase();
        String key = ApiKeys.generateSecret();
        // Node A runs nothing; node B polls only every 5 s, so a fast start can only come from NOTIFY.
        try (Node a = new Node(nodeSettings(url, key, 0, 5000)); Node b = new Node(nodeSettings(url, key, 4, 5000))) {
            SpoolClient onA = a.client(key);
            List<Long> startMs = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                Job job = onA.waitFor(onA.submit(SubmitRequest.of("echo", json("{}"))).id(), Duration.ofSeconds(30), j -> {});
                assertThat(job.status()).isEqualTo("succeeded");
                startMs.add(Duration.between(job.createdAt(), job.startedAt()).toMillis());
            }
            List<Long> sorted = startMs.stream().sorted().toList();
            long median = sorted.get(sorted.size() / 2);
            System.out.printf("submit on node A -> start on node B: median %d ms, max %d ms over %d jobs%n",
                    median, sorted.getLast(), sorted.size());
            assertThat(median).as("well under the 5 s poll interval: woken by NOTIFY").isLessThan(1000);
        }
    }

    private static long count(String url, String where) throws SQLException {
        return scalar(url, "SELECT count(*) FROM jobs WHERE " + where);
    }

    private static long scalar(String url, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
