package dev.spool.limit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spool.auth.ApiKeys;
import dev.spool.testing.Postgres;
import dev.spool.testing.TestServer;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes on one PostgreSQL hold a tenant to one rate limit between them, not one each: their
 * token buckets live in the database (Bucket4j), each node taking at most a twentieth of the rate
 * before it tells the others.
 */
class LimitsAcrossNodesTest {
    @TempDir
    Path dir;

    private static final int RATE = 40;
    private static final double SECONDS = 3;

    @Test
    void aRequestRateHoldsForTheDeploymentAcrossTwoNodesAndItsRefusalsStoreNothing() throws Exception {
        String url = Postgres.newDatabase();
        String admin = ApiKeys.generateSecret();
        String yaml = """
                limits:
                  tenants:
                    shared: {requests_per_second: %d, burst: %d}
                types:
                  held: {executor: worker}
                """.formatted(RATE, RATE);
        Map<String, String> settings = Map.of("storage.database", url, "auth.admin_key", admin, "runner.slots", "0");
        try (TestServer a = new TestServer(dir.resolve("a"), settings, yaml); TestServer b = new TestServer(dir.resolve("b"), settings, yaml)) {
            String key = a.client(admin).createKey("shared", "shared", null).key();
            AtomicInteger accepted = new AtomicInteger();
            AtomicInteger refused = new AtomicInteger();
            long until = System.nanoTime() + (long) (SECONDS * 1e9);
            long started = System.nanoTime();
            try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    TestServer node = t % 2 == 0 ? a : b;
                    futures.add(pool.submit(() -> {
                        while (System.nanoTime() < until) {
                            HttpResponse<byte[]> r = node.post("/v1/jobs", key, "{\"type\": \"held\", \"input\": {}}");
                            if (r.statusCode() == 201) {
                                accepted.incrementAndGet();
                            } else {
                                assertThat(r.statusCode()).isEqualTo(429);
                                assertThat(r.headers().firstValue("retry-after")).isPresent();
                                refused.incrementAndGet();
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : futures) {
                    f.get();
                }
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            double allowed = RATE + RATE * seconds; // the burst, then the rate
            double tolerance = 2 * RateLimiter.unsynced(RATE) + 0.1 * allowed;
            System.out.printf("rate limit across 2 nodes: %d/s with burst %d over %.2f s: %d accepted = %.2f x the %.0f allowed "
                    + "(a bucket per node would allow %.0f), %d refused%n", RATE, RATE, seconds, accepted.get(),
                    accepted.get() / allowed, allowed, 2 * allowed, refused.get());
            assertThat(refused.get()).as("the nodes were driven past the limit").isPositive();
            assertThat((double) accepted.get()).as("within the stated tolerance of the deployment's limit")
                    .isLessThanOrEqualTo(allowed + tolerance)
                    .isGreaterThanOrEqualTo(0.8 * allowed);
            assertThat(count(url, "SELECT count(*) FROM jobs WHERE tenant = 'shared'")).as("429s store nothing")
                    .isEqualTo(accepted.get());
        }
    }

    private static long count(String url, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
