package dev.spool.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.spool.job.ErrorCode;
import dev.spool.job.SpoolException;
import dev.spool.testing.Postgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The writer's lanes and its batches without a savepoint a piece, on a real PostgreSQL. */
class GroupCommitWriterTest {
    private String url;
    private GroupCommitWriter writer;
    private final ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();

    @BeforeEach
    void open() throws SQLException {
        url = Postgres.newDatabase();
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
        }
    }

    @AfterEach
    void close() {
        if (writer != null) {
            writer.close();
        }
        callers.close();
    }

    private GroupCommitWriter writer(int lanes) throws SQLException {
        writer = new GroupCommitWriter(() -> DriverManager.getConnection(url), lanes, 64, Duration.ofSeconds(10),
                new Reachability("test database"));
        return writer;
    }

    private static int insert(Connection c, int id, String v) throws SQLException {
        try (var ps = c.prepareStatement("INSERT INTO t (id, v) VALUES (?, ?)")) {
            ps.setInt(1, id);
            ps.setString(2, v);
            return ps.executeUpdate();
        }
    }

    private List<Integer> ids() throws SQLException {
        List<Integer> ids = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id FROM t ORDER BY id")) {
            while (rs.next()) {
                ids.add(rs.getInt(1));
            }
        }
        return ids;
    }

    @Test
    void whileOneLaneIsHeldAnotherCommitsTheWorkThatArrivesMeanwhile() throws Exception {
        GroupCommitWriter w = writer(2);
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Integer> slow = CompletableFuture.supplyAsync(() -> w.submit(c -> {
            int n = insert(c, 1, "slow");
            held.countDown();
            waitFor(release); // its transaction stays open
            return n;
        }), callers);
        assertThat(held.await(10, TimeUnit.SECONDS)).isTrue();

        // With one lane this would wait behind the open transaction; with two it commits now.
        Integer quick = w.submit(c -> insert(c, 2, "quick"));
        assertThat(quick).isEqualTo(1);
        assertThat(ids()).containsExactly(2);

        release.countDown();
        assertThat(slow.get(10, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(ids()).containsExactly(1, 2);
    }

    @Test
    void aFailingPieceFailsAloneAndTheOthersOfItsBatchCommit() throws Exception {
        GroupCommitWriter w = writer(1);
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // Hold the one lane so that the next pieces gather into one batch behind it.
        CompletableFuture<Integer> first = CompletableFuture.supplyAsync(() -> w.submit(c -> {
            held.countDown();
            waitFor(release);
            return insert(c, 1, "first");
        }), callers);
        assertThat(held.await(10, TimeUnit.SECONDS)).isTrue();
        List<CompletableFuture<Integer>> batch = new ArrayList<>();
        batch.add(CompletableFuture.supplyAsync(() -> w.submit(c -> insert(c, 10, "a")), callers));
        batch.add(CompletableFuture.supplyAsync(() -> w.submit(c -> insert(c, 1, "a duplicate key")), callers));
        batch.add(CompletableFuture.supplyAsync(() -> w.submit(c -> {
            insert(c, 12, "rolled back with its piece");
            throw new SpoolException(ErrorCode.INVALID_STATE, "refused after writing");
        }), callers));
        batch.add(CompletableFuture.supplyAsync(() -> w.submit(c -> insert(c, 11, "b")), callers));
        await().atMost(Duration.ofSeconds(10)).until(() -> writerQueued(w) == 4);
        long[] before = w.counts();
        release.countDown();

        assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(batch.get(0).get(10, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(batch.get(3).get(10, TimeUnit.SECONDS)).isEqualTo(1);
        assertThatThrownBy(() -> batch.get(1).join()).hasRootCauseInstanceOf(SQLException.class);
        assertThatThrownBy(() -> batch.get(2).join()).hasCauseInstanceOf(SpoolException.class)
                .hasMessageContaining("refused after writing");
        assertThat(ids()).containsExactly(1, 10, 11);
        long[] after = w.counts();
        assertThat(after[1] - before[1]).as("batches run again with savepoints").isEqualTo(1);
    }

    @Test
    void aBatchWithoutFailuresRunsOnceWithoutSavepoints() throws Exception {
        GroupCommitWriter w = writer(1);
        for (int i = 0; i < 20; i++) {
            int id = i;
            Integer inserted = w.submit(c -> insert(c, id, "v"));
            assertThat(inserted).isEqualTo(1);
        }
        assertThat(w.counts()[1]).isZero();
        assertThat(ids()).hasSize(20);
    }

    @Test
    void aClosedWriterRefusesNewWork() throws Exception {
        GroupCommitWriter w = writer(3);
        w.close();
        writer = null;
        assertThatThrownBy(() -> w.submit(c -> insert(c, 1, "late")))
                .isInstanceOfSatisfying(SpoolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
    }

    private static void waitFor(CountDownLatch latch) {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("never released");
            }
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int writerQueued(GroupCommitWriter w) {
        return w.queued();
    }
}
