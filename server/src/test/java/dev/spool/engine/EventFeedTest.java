package dev.spool.engine;

import static dev.spool.testing.TestJobs.newJob;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spool.job.FeedEvent;
import dev.spool.store.PostgresStore;
import dev.spool.store.SqliteStore;
import dev.spool.testing.Postgres;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The event feed publishes every committed event once, in sequence order, on this node and from other nodes. */
class EventFeedTest {
    private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

    @TempDir
    Path dir;

    /** Collects what a subscription receives on a thread of its own. */
    private static List<FeedEvent> collect(EventFeed.Subscription sub) {
        List<FeedEvent> got = new CopyOnWriteArrayList<>();
        Thread.ofVirtual().start(() -> {
            try {
                while (true) {
                    FeedEvent e = sub.next(Duration.ofSeconds(1));
                    if (e != null) {
                        got.add(e);
                    }
                }
            } catch (InterruptedException | EventFeed.CutOff done) {
                // closed
            }
        });
        return got;
    }

    @Test
    void onOneNodeEveryEventArrivesOnceInOrder() {
        try (SqliteStore store = SqliteStore.open(dir.resolve("spool.db"), 64, 2);
             EventFeed feed = new EventFeed(store.events(), Duration.ofSeconds(5))) {
            EventFeed.Subscription sub = feed.subscribe(e -> true);
            List<FeedEvent> got = collect(sub);
            for (int i = 0; i < 50; i++) {
                store.jobInsert(newJob("echo"), T0, Duration.ofDays(1));
            }
            // Woken by the commits, not by the 5 s poll.
            await().atMost(Duration.ofSeconds(3)).until(() -> got.size() == 50);
            assertThat(got.stream().map(e -> e.event().seq()).toList()).isSorted().doesNotHaveDuplicates();
            sub.close();
        }
    }

    @Test
    void eventsWrittenConcurrentlyOnOtherNodesArriveOnceInSequenceOrder() throws Exception {
        String url = Postgres.newDatabase();
        PostgresStore.Settings settings = new PostgresStore.Settings(url, "spool", 2, 30_000, 64);
        List<PostgresStore> writers = new ArrayList<>();
        try (PostgresStore reader = PostgresStore.open(settings); EventFeed feed = new EventFeed(reader.events(), Duration.ofSeconds(5))) {
            for (int i = 0; i < 3; i++) {
                writers.add(PostgresStore.open(settings));
            }
            EventFeed.Subscription sub = feed.subscribe(e -> true);
            List<FeedEvent> got = collect(sub);
            ExecutorService pool = Executors.newFixedThreadPool(6);
            List<Future<?>> runs = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                PostgresStore w = writers.get(t % writers.size());
                runs.add(pool.submit(() -> {
                    for (int i = 0; i < 100; i++) {
                        w.jobInsert(newJob("echo"), T0, Duration.ofDays(1));
                    }
                }));
            }
            for (Future<?> f : runs) {
                f.get();
            }
            pool.shutdown();
            // Told by NOTIFY from the other nodes, not by the 5 s poll (holes wait at most 2 s).
            await().atMost(Duration.ofSeconds(4)).until(() -> got.size() == 600);
            List<Long> seqs = got.stream().map(e -> e.event().seq()).toList();
            assertThat(seqs).isSorted().doesNotHaveDuplicates();
            assertThat(seqs).containsExactlyElementsOf(reader.events().eventsBetween(0, Long.MAX_VALUE, null, null, 1000)
                    .stream().map(e -> e.event().seq()).toList());
            sub.close();
        } finally {
            writers.forEach(PostgresStore::close);
        }
    }
}
