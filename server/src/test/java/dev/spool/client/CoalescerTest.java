package dev.spool.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Reports combined into batch calls: alone when idle, together while a call is on its way. */
class CoalescerTest {
    private final List<List<Integer>> calls = new CopyOnWriteArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    /** Answers each item with its double, refuses odd items above 100; the first call waits for {@link #release}. */
    private final Coalescer<Integer, Integer> coalescer = new Coalescer<>("test-sender", items -> {
        calls.add(items);
        if (calls.size() == 1) {
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
        List<Coalescer.Answer<Integer>> answers = new ArrayList<>();
        for (int i : items) {
            answers.add(i > 100 && i % 2 == 1 ? new Coalescer.Answer<>(null, new IllegalArgumentException("odd " + i))
                    : new Coalescer.Answer<>(i * 2, null));
        }
        return answers;
    }, 3, 1);

    @AfterEach
    void stop() {
        release.countDown();
        threads.close();
        coalescer.close();
    }

    @Test
    void anItemWithNobodyAheadGoesAtOnceAloneAndTheOnesThatCameMeanwhileGoTogether() {
        CompletableFuture<Integer> first = CompletableFuture.supplyAsync(() -> coalescer.submit(1), threads);
        await().atMost(Duration.ofSeconds(10)).until(() -> calls.size() == 1);
        assertThat(calls.getFirst()).containsExactly(1);

        List<CompletableFuture<Integer>> later = new ArrayList<>();
        for (int i = 2; i <= 5; i++) {
            int item = i;
            later.add(CompletableFuture.supplyAsync(() -> coalescer.submit(item), threads));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> coalescer.waiting() == 4);
        release.countDown();

        assertThat(first.join()).isEqualTo(2);
        assertThat(later).extracting(CompletableFuture::join).containsExactly(4, 6, 8, 10);
        assertThat(calls).hasSize(3); // 1 alone, then the four that waited, at most three a call
        assertThat(calls.get(1)).hasSize(3);
        assertThat(calls.get(2)).hasSize(1);
        assertThat(calls.stream().flatMap(List::stream)).containsExactlyInAnyOrder(1, 2, 3, 4, 5);
    }

    @Test
    void anInterruptedCallerNeitherBreaksTheCallCarryingOthersNorLosesItsOwnAnswer() throws Exception {
        CompletableFuture<Integer> first = CompletableFuture.supplyAsync(() -> coalescer.submit(1), threads);
        await().atMost(Duration.ofSeconds(10)).until(() -> calls.size() == 1);
        CompletableFuture<Boolean> keptItsInterrupt = new CompletableFuture<>();
        CompletableFuture<Integer> interrupted = new CompletableFuture<>();
        Thread caller = Thread.ofVirtual().start(() -> {
            interrupted.complete(coalescer.submit(7));
            keptItsInterrupt.complete(Thread.currentThread().isInterrupted());
        });
        CompletableFuture<Integer> other = CompletableFuture.supplyAsync(() -> coalescer.submit(8), threads);
        await().atMost(Duration.ofSeconds(10)).until(() -> coalescer.waiting() == 2);
        caller.interrupt(); // its job was stopped while its report waited to go
        release.countDown();

        assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(2);
        assertThat(interrupted.get(10, TimeUnit.SECONDS)).isEqualTo(14);
        assertThat(other.get(10, TimeUnit.SECONDS)).isEqualTo(16);
        assertThat(keptItsInterrupt.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(calls.get(1)).containsExactlyInAnyOrder(7, 8);
    }

    @Test
    void withTwoSendersOneSlowCallHoldsOnlyItsOwnItems() throws Exception {
        CountDownLatch slow = new CountDownLatch(1);
        Coalescer<Integer, Integer> two = new Coalescer<>("two", items -> {
            if (items.contains(1)) {
                waitFor(slow);
            }
            return items.stream().map(i -> new Coalescer.Answer<>(i * 10, null)).toList();
        }, 10, 2);
        try {
            CompletableFuture<Integer> held = CompletableFuture.supplyAsync(() -> two.submit(1), threads);
            await().atMost(Duration.ofSeconds(10)).until(() -> two.waiting() == 0);
            assertThat(two.submit(2)).as("answered while the first call is held").isEqualTo(20);
            assertThat(held).isNotDone();
            slow.countDown();
            assertThat(held.get(10, TimeUnit.SECONDS)).isEqualTo(10);
        } finally {
            slow.countDown();
            two.close();
        }
    }

    private static void waitFor(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void eachCallerGetsItsOwnItemsAnswerOrFailure() {
        release.countDown();
        assertThat(coalescer.submit(102)).isEqualTo(204);
        assertThatThrownBy(() -> coalescer.submit(101)).isInstanceOf(IllegalArgumentException.class).hasMessage("odd 101");
    }

    @Test
    void aCallThatFailsAsAWholeFailsEveryItemOfIt() {
        Coalescer<Integer, Integer> failing = new Coalescer<>("failing", items -> {
            throw new IllegalStateException("unreachable");
        }, 10, 1);
        assertThatThrownBy(() -> failing.submit(1)).isInstanceOf(IllegalStateException.class).hasMessage("unreachable");
        Coalescer<Integer, Integer> short_ = new Coalescer<>("short", items -> List.of(), 10, 1);
        assertThatThrownBy(() -> short_.submit(1)).isInstanceOf(IllegalStateException.class).hasMessageContaining("answers expected");
    }
}
