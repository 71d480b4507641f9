package dev.spool.webhook;

import static dev.spool.testing.TestJobs.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spool.job.Job;
import dev.spool.job.RetrySchedule;
import dev.spool.job.WebhookEvent;
import dev.spool.net.OutboundPolicy;
import dev.spool.store.SqliteStore;
import dev.spool.testing.MutableClock;
import dev.spool.testing.Receiver;
import dev.spool.testing.TestJobs;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dispatcher as a duty on a clock: each round is {@code runOnce(now)}, the schedule is followed
 * by advancing the clock, and the only wait is for the sends a round started (to a receiver on
 * this machine) to be recorded.
 */
public class DispatcherTest {
    private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
    /** 1 min, then 10 min; the random source that always draws 0 takes the jitter's low end, 10% less. */
    private static final Duration FIRST_RETRY = Duration.ofSeconds(54);
    private static final Duration SECOND_RETRY = Duration.ofSeconds(540);

    /** A body naming the event and the job: what these tests look at is when, and how often, it is sent. */
    public static final Payloads MINIMAL = (format, job, event, at, outputs) ->
            "{\"type\": \"" + event.type() + "\", \"id\": \"" + job.id().value() + "\", \"status\": \"" + job.status().wireName() + "\"}";

    @TempDir
    Path dir;

    private SqliteStore storage;
    private TestJobs jobs;
    private MutableClock clock;
    private Receiver receiver;
    private Dispatcher dispatcher;

    @BeforeEach
    void setUp() {
        storage = SqliteStore.open(dir.resolve("spool.db"), 8, 1);
        jobs = new TestJobs(storage);
        clock = new MutableClock(T0);
        receiver = new Receiver();
        Fanout fanout = new Fanout(storage.webhooks(), storage.files(), MINIMAL);
        dispatcher = new Dispatcher(storage.webhooks(), fanout,
                new OutboundPolicy(Set.of("127.0.0.1"), OutboundPolicy.Resolver.SYSTEM, "webhooks.allow_hosts"), clock,
                new Dispatcher.Settings(RetrySchedule.parse("1m,10m"), 4, Duration.ofSeconds(5), Duration.ofDays(1)), () -> 0L);
        storage.webhooks().webhookInsert(new WebhookEndpoint("wh_1", TENANT, receiver.url("/hook"), Set.of(WebhookEvent.STARTED),
                null, "native", null, null, T0, T0), "whsec_test");
    }

    @AfterEach
    void tearDown() {
        dispatcher.close();
        receiver.close();
        storage.close();
    }

    /** One round at {@code now}, and the wait for the sends it started; returns how many it started. */
    private int round(Instant now) throws InterruptedException {
        int started = dispatcher.runOnce(now);
        assertThat(dispatcher.awaitIdle(Duration.ofSeconds(10))).as("the round's sends were recorded").isTrue();
        return started;
    }

    private Delivery delivery(Job job) {
        List<Delivery> all = storage.webhooks().deliveryList(TENANT, null, job.id(), null, 10).items();
        assertThat(all).hasSize(1);
        return all.getFirst();
    }

    @Test
    void aFailingReceiverIsTriedAgainOnTheScheduleWithTheSameIdUntilItAccepts() throws Exception {
        receiver.answer(r -> 500);
        Job job = jobs.running("echo", T0);

        assertThat(round(T0)).isEqualTo(1);
        assertThat(round(clock.advance(FIRST_RETRY.minusSeconds(1)))).as("before the first retry is due").isZero();
        assertThat(round(clock.advance(Duration.ofSeconds(1)))).isEqualTo(1);
        receiver.answer(r -> 204);
        assertThat(round(clock.advance(SECOND_RETRY))).isEqualTo(1);
        assertThat(round(clock.advance(Duration.ofHours(1)))).as("nothing left to send").isZero();

        List<Receiver.Received> got = receiver.received("/hook");
        assertThat(got).hasSize(3);
        assertThat(got.stream().map(r -> r.header("webhook-id")).distinct()).containsExactly(delivery(job).id());
        assertThat(delivery(job).state()).isEqualTo(Delivery.State.DELIVERED);
        assertThat(delivery(job).attempts()).isEqualTo(3);
        assertThat(storage.webhooks().deliveryAttempts(delivery(job).id())).extracting(Delivery.Attempt::status)
                .containsExactly(500, 500, 204);
    }

    @Test
    void aReceiverThatNeverAcceptsIsGivenUpWhenTheScheduleIsSpent() throws Exception {
        receiver.answer(r -> 503);
        Job job = jobs.running("echo", T0);

        round(T0);
        round(clock.advance(FIRST_RETRY));
        round(clock.advance(SECOND_RETRY));
        assertThat(round(clock.advance(Duration.ofHours(1)))).as("the schedule is spent").isZero();

        assertThat(receiver.received("/hook")).hasSize(3);
        assertThat(delivery(job).state()).isEqualTo(Delivery.State.FAILED);
    }

    @Test
    void aGoneReceiverDisablesItsEndpointAndGetsNothingMore() throws Exception {
        receiver.answer(r -> 410);
        jobs.running("echo", T0);
        assertThat(round(T0)).isEqualTo(1);
        assertThat(storage.webhooks().webhookGet(TENANT, "wh_1").orElseThrow().disabledAt()).isEqualTo(T0);

        jobs.running("echo", clock.advance(Duration.ofSeconds(1)));
        assertThat(round(clock.advance(Duration.ofMinutes(5)))).isZero();
        assertThat(receiver.received("/hook")).hasSize(1);
    }

    @Test
    void aDeliveryLeasedByANodeThatDiedIsSentAgainOnceItsLeaseRunsOut() throws Exception {
        Job job = jobs.running("echo", T0);
        new Fanout(storage.webhooks(), storage.files(), MINIMAL).runOnce(T0); // the node that died: it expanded
        assertThat(storage.webhooks().deliveryClaim(T0, Duration.ofSeconds(30), 10)).hasSize(1); // and leased it

        assertThat(round(clock.advance(Duration.ofSeconds(29)))).as("still leased").isZero();
        assertThat(round(clock.advance(Duration.ofSeconds(2)))).isEqualTo(1);
        assertThat(receiver.received("/hook")).extracting(r -> r.header("webhook-id")).containsExactly(delivery(job).id());
        assertThat(delivery(job).state()).isEqualTo(Delivery.State.DELIVERED);
    }
}
