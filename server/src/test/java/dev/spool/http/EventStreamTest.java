package dev.spool.http;

import static dev.spool.testing.TestJobs.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spool.client.SpoolClient;
import dev.spool.client.SubmitRequest;
import dev.spool.testing.TestServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Live events: a job's stream, the tenant's stream, resuming with Last-Event-ID, and Prefer: wait. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EventStreamTest {
    @TempDir
    static Path dir;

    private TestServer spool;
    private String keyA;
    private String keyB;
    private final HttpClient http = HttpClient.newHttpClient();

    /** One server-sent event. */
    record Sse(long id, String event, JsonNode data) {}

    /** A stream being read on a thread of its own; close it to stop. */
    final class Reader implements AutoCloseable {
        final List<Sse> events = new CopyOnWriteArrayList<>();
        final HttpResponse<InputStream> response;
        volatile boolean ended;

        Reader(String path, String key, String lastEventId) throws Exception {
            HttpRequest.Builder r = spool.request(path, key).header("Accept", "text/event-stream");
            if (lastEventId != null) {
                r.header("Last-Event-ID", lastEventId);
            }
            response = http.send(r.build(), HttpResponse.BodyHandlers.ofInputStream());
            Thread.ofVirtual().start(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                    long id = -1;
                    String event = null;
                    String data = null;
                    for (String line; (line = in.readLine()) != null; ) {
                        if (line.isEmpty()) {
                            if (data != null) {
                                events.add(new Sse(id, event, json(data)));
                            }
                            id = -1;
                            event = null;
                            data = null;
                        } else if (line.startsWith("id: ")) {
                            id = Long.parseLong(line.substring(4));
                        } else if (line.startsWith("event: ")) {
                            event = line.substring(7);
                        } else if (line.startsWith("data: ")) {
                            data = line.substring(6);
                        }
                    }
                } catch (IOException closed) {
                    // closed by the test
                }
                ended = true;
            });
        }

        List<String> kinds() {
            return events.stream().map(Sse::event).toList();
        }

        @Override
        public void close() throws IOException {
            response.body().close();
        }
    }

    @BeforeAll
    void start() {
        spool = new TestServer(dir, Map.of());
        SpoolClient admin = spool.client(spool.adminKey);
        keyA = admin.createKey("a", "stream-a", null).key();
        keyB = admin.createKey("b", "stream-b", null).key();
    }

    @AfterAll
    void stop() {
        spool.close();
    }

    @Test
    void aSubscriberThatArrivesAfterTheEndStillGetsTheWholeHistoryAndTheStreamEnds() throws Exception {
        SpoolClient a = spool.client(keyA);
        String id = a.submit(SubmitRequest.of("echo", json("{\"x\": 1}"))).id();
        a.waitFor(id, Duration.ofSeconds(20), j -> {});
        try (Reader stream = new Reader("/v1/jobs/" + id + "/events", keyA, null)) {
            assertThat(stream.response.statusCode()).isEqualTo(200);
            assertThat(stream.response.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
            await().atMost(Duration.ofSeconds(10)).until(() -> stream.ended);
            assertThat(stream.kinds()).containsExactly("submitted", "started", "succeeded");
            assertThat(stream.events.getLast().data().get("status").asText()).isEqualTo("succeeded");
            assertThat(stream.events.stream().map(Sse::id).toList()).isSorted().doesNotHaveDuplicates();
            // Resumed after the last event: nothing more, and it ends at once.
            try (Reader after = new Reader("/v1/jobs/" + id + "/events", keyA, Long.toString(stream.events.getLast().id()))) {
                await().atMost(Duration.ofSeconds(10)).until(() -> after.ended);
                assertThat(after.events).isEmpty();
            }
        }
    }

    @Test
    void aLiveStreamFollowsARunningJobAndResumesWithoutLossOrRepeats() throws Exception {
        SpoolClient a = spool.client(keyA);
        String id = a.submit(SubmitRequest.of("sleep", json("{\"seconds\": 1.5}"))).id();
        long resumeAfter;
        try (Reader stream = new Reader("/v1/jobs/" + id + "/events", keyA, null)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> stream.kinds().contains("started"));
            resumeAfter = stream.events.getLast().id();
        }
        try (Reader resumed = new Reader("/v1/jobs/" + id + "/events", keyA, Long.toString(resumeAfter))) {
            await().atMost(Duration.ofSeconds(20)).until(() -> resumed.ended);
            assertThat(resumed.kinds()).doesNotContain("submitted", "started").endsWith("succeeded").contains("progress");
            assertThat(resumed.events.getFirst().id()).isGreaterThan(resumeAfter);
            List<Long> all = a.events(id).stream().map(dev.spool.client.JobEvent::seq).filter(s -> s > resumeAfter).toList();
            assertThat(resumed.events.stream().map(Sse::id).toList()).isEqualTo(all);
        }
    }

    @Test
    void theTenantStreamCarriesOnlyItsOwnFilteredEventsAndResumesFromAnEventId() throws Exception {
        SpoolClient a = spool.client(keyA);
        SpoolClient b = spool.client(keyB);
        try (Reader stream = new Reader("/v1/events?type=echo&kind=submitted,succeeded", keyA, null)) {
            await().atMost(Duration.ofSeconds(5)).until(() -> stream.response.statusCode() == 200);
            Thread.sleep(200); // the subscription is made before the answer's headers; this only lets the reader start
            String mine = a.submit(SubmitRequest.of("echo", json("{}"))).id();
            String sleeper = a.submit(SubmitRequest.of("sleep", json("{\"seconds\": 0}"))).id();
            String theirs = b.submit(SubmitRequest.of("echo", json("{}"))).id();
            await().atMost(Duration.ofSeconds(20)).until(() -> stream.events.stream()
                    .anyMatch(e -> e.data().get("job_id").asText().equals(mine) && e.event().equals("succeeded")));
            b.waitFor(theirs, Duration.ofSeconds(20), j -> {});
            a.waitFor(sleeper, Duration.ofSeconds(20), j -> {});
            assertThat(stream.events).allMatch(e -> e.data().get("job_id").asText().equals(mine));
            assertThat(stream.kinds()).containsExactly("submitted", "succeeded");

            // Resuming from before the first: the same two again, from the store.
            try (Reader resumed = new Reader("/v1/events?type=echo&kind=submitted,succeeded", keyA,
                    Long.toString(stream.events.getFirst().id() - 1))) {
                await().atMost(Duration.ofSeconds(10)).until(() -> resumed.events.size() >= 2);
                assertThat(resumed.events.subList(0, 2)).isEqualTo(stream.events);
            }
        }
    }

    @Test
    void preferWaitAnswersWhenTheJobChangesAndAtOnceWhenItHasEnded() {
        SpoolClient a = spool.client(keyA);
        String id = a.submit(SubmitRequest.of("sleep", json("{\"seconds\": 30}")).withMetadata(Map.of("w", "1"))).id();
        await().atMost(Duration.ofSeconds(10)).until(() -> a.get(id).status().equals("running"));
        JsonNode before = json(new String(spool.send(spool.request("/v1/jobs/" + id, keyA).GET()).body()));
        long start = System.nanoTime();
        @SuppressWarnings("unchecked")
        HttpResponse<byte[]>[] answer = new HttpResponse[1];
        Thread waiting = Thread.ofVirtual().start(() -> answer[0] = spool.send(spool.request("/v1/jobs/" + id, keyA)
                .header("Prefer", "wait=20").GET()));
        a.cancel(id);
        await().atMost(Duration.ofSeconds(15)).until(() -> answer[0] != null);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
        assertThat(answer[0].statusCode()).isEqualTo(200);
        assertThat(answer[0].headers().firstValue("Preference-Applied")).hasValue("wait=20");
        JsonNode job = json(new String(answer[0].body()));
        // The first change is the cancel request, unless a progress report of the sleep got in first.
        assertThat(job.get("cancel_requested").asBoolean() || job.get("status").asText().equals("cancelled")
                || !job.get("progress").equals(before.get("progress"))).isTrue();

        a.waitFor(id, Duration.ofSeconds(20), j -> {});
        long ended = System.nanoTime();
        HttpResponse<byte[]> done = spool.send(spool.request("/v1/jobs/" + id, keyA).header("Prefer", "wait=30").GET());
        assertThat(Duration.ofNanos(System.nanoTime() - ended)).isLessThan(Duration.ofSeconds(10));
        assertThat(json(new String(done.body())).get("status").asText()).isEqualTo("cancelled");
        assertThat(waiting.isAlive()).isFalse();
    }

    @Test
    void streamsRefuseWhatTheyCannotServe() {
        String id = spool.client(keyA).submit(SubmitRequest.of("echo", json("{}"))).id();
        HttpResponse<byte[]> bad = spool.send(spool.request("/v1/jobs/" + id + "/events", keyA)
                .header("Accept", "text/event-stream").header("Last-Event-ID", "yesterday").GET());
        assertThat(bad.statusCode()).isEqualTo(400);
        HttpResponse<byte[]> other = spool.send(spool.request("/v1/jobs/" + id + "/events", keyB)
                .header("Accept", "text/event-stream").GET());
        assertThat(other.statusCode()).isEqualTo(404);
        HttpResponse<byte[]> unknown = spool.send(spool.request("/v1/events?colour=red", keyA)
                .header("Accept", "text/event-stream").GET());
        assertThat(unknown.statusCode()).isEqualTo(400);
        HttpResponse<byte[]> noKey = spool.send(spool.request("/v1/events", null).GET());
        assertThat(noKey.statusCode()).isEqualTo(401);
    }
}
