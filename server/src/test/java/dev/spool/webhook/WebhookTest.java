package dev.spool.webhook;

import static dev.spool.testing.TestJobs.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spool.client.SpoolClient;
import dev.spool.client.WebhookVerifier;
import dev.spool.testing.Receiver;
import dev.spool.testing.TestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Webhooks end to end: a real server, a loopback receiver (allow-listed), signatures checked by an independent verifier. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebhookTest {
    @TempDir
    static Path dir;

    private TestServer spool;
    private Receiver receiver;
    private String keyA;
    private String keyB;

    @BeforeAll
    void start() {
        receiver = new Receiver();
        spool = new TestServer(dir.resolve("data"), Map.of(), """
                webhooks:
                  allow_hosts: [127.0.0.1]
                  retry_schedule: 100ms,100ms,100ms,100ms
                """);
        SpoolClient admin = spool.client(spool.adminKey);
        keyA = admin.createKey("a", "tenant-a", null).key();
        keyB = admin.createKey("b", "tenant-b", null).key();
    }

    @AfterAll
    void stop() {
        spool.close();
        receiver.close();
    }

    private String submit(String key, String body) {
        return spool.call("POST", "/v1/jobs", key, body, 201).get("id").asText();
    }

    /** Runs the spec-written Python verifier: true when a signature in the header matches. */
    private static boolean verifiedIndependently(String secret, Receiver.Received r) throws IOException, InterruptedException {
        Path body = Files.write(Files.createTempFile(dir, "body", ".json"), r.body());
        Path script = Path.of("src/test/resources/verify_standard_webhook.py");
        Process p = new ProcessBuilder("python3", script.toString(), secret, r.header("webhook-id"),
                r.header("webhook-timestamp"), r.header("webhook-signature"), body.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        return p.waitFor() == 0 && out.equals("valid");
    }

    @Test
    void aJobsOwnWebhookGetsItsEndingSignedPerStandardWebhooks() throws Exception {
        String id = submit(keyA, "{\"type\": \"echo\", \"input\": {\"hi\": 1}, \"webhook\": {\"url\": \""
                + receiver.url("/own") + "\"}}");
        await().atMost(Duration.ofSeconds(20)).until(() -> receiver.received("/own").stream()
                .anyMatch(r -> json(new String(r.body())).path("data").path("id").asText().equals(id)));
        Receiver.Received got = receiver.received("/own").stream()
                .filter(r -> json(new String(r.body())).path("data").path("id").asText().equals(id)).findFirst().orElseThrow();

        JsonNode payload = json(new String(got.body(), StandardCharsets.UTF_8));
        assertThat(payload.get("type").asText()).isEqualTo("job.succeeded");
        assertThat(payload.get("data").get("status").asText()).isEqualTo("succeeded");
        assertThat(payload.get("data").get("result")).isEqualTo(json("{\"hi\": 1}"));
        assertThat(got.header("webhook-id")).startsWith("msg_");
        assertThat(Long.parseLong(got.header("webhook-timestamp"))).isCloseTo(Instant.now().getEpochSecond(),
                org.assertj.core.data.Offset.offset(120L));
        assertThat(got.header("content-type")).startsWith("application/json");

        String secret = spool.call("GET", "/v1/webhooks/default/secret", keyA, null, 200).get("secret").asText();
        assertThat(verifiedIndependently(secret, got)).isTrue();
        new WebhookVerifier(secret).verify(got.headers(), got.body());
        // Another tenant's secret does not verify it, and neither does a changed body.
        String otherSecret = spool.call("GET", "/v1/webhooks/default/secret", keyB, null, 200).get("secret").asText();
        assertThat(verifiedIndependently(otherSecret, got)).isFalse();
        byte[] tampered = new String(got.body()).replace("succeeded", "failed").getBytes();
        assertThat(verifiedIndependently(secret, new Receiver.Received("/own", got.headers(), tampered))).isFalse();

        // Only the ending was sent (the default), and the job's delivery log shows it delivered.
        JsonNode log = spool.call("GET", "/v1/jobs/" + id + "/deliveries", keyA, null, 200).get("data");
        assertThat(log).hasSize(1);
        assertThat(log.get(0).get("state").asText()).isEqualTo("delivered");
        assertThat(log.get(0).get("id").asText()).isEqualTo(got.header("webhook-id"));
        assertThat(spool.call("GET", "/v1/jobs/" + id, keyA, null, 200).get("webhook").get("events"))
                .isEqualTo(json("[\"cancelled\", \"failed\", \"succeeded\"]"));
    }

    @Test
    void anEndpointGetsItsTenantsSubscribedEventsInOrderPerJobAndNoOtherTenants() {
        JsonNode endpoint = spool.call("POST", "/v1/webhooks", keyA, "{\"url\": \"" + receiver.url("/tenant-a")
                + "\", \"events\": [\"started\", \"succeeded\"], \"description\": \"all of a\"}", 201);
        assertThat(endpoint.get("secret").asText()).startsWith("whsec_");
        String endpointId = endpoint.get("id").asText();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ids.add(submit(keyA, "{\"type\": \"echo\", \"input\": {\"i\": " + i + "}}"));
        }
        String other = submit(keyB, "{\"type\": \"echo\", \"input\": {}}");

        await().atMost(Duration.ofSeconds(30)).until(() -> receiver.received("/tenant-a").size() >= 40);
        for (String id : ids) {
            List<String> types = receiver.received("/tenant-a").stream().map(r -> json(new String(r.body())))
                    .filter(p -> p.get("data").get("id").asText().equals(id)).map(p -> p.get("type").asText()).toList();
            assertThat(types).as(id).containsExactly("job.started", "job.succeeded");
        }
        assertThat(receiver.received("/tenant-a")).noneMatch(r -> new String(r.body()).contains(other));
        String secret = endpoint.get("secret").asText();
        receiver.received("/tenant-a").forEach(r -> new WebhookVerifier(secret).verify(r.headers(), r.body()));

        JsonNode log = spool.call("GET", "/v1/webhooks/" + endpointId + "/deliveries?limit=15", keyA, null, 200);
        assertThat(log.get("data")).hasSize(15);
        assertThat(log.get("has_more").asBoolean()).isTrue();
        JsonNode rest = spool.call("GET", "/v1/webhooks/" + endpointId + "/deliveries?limit=200&cursor="
                + log.get("next_cursor").asText(), keyA, null, 200);
        assertThat(rest.get("data").size() + 15).isGreaterThanOrEqualTo(40);
        // Tenant b sees none of it.
        spool.call("GET", "/v1/webhooks/" + endpointId, keyB, null, 404);
        spool.call("GET", "/v1/webhooks/" + endpointId + "/deliveries", keyB, null, 404);
        spool.call("GET", "/v1/deliveries/" + log.get("data").get(0).get("id").asText(), keyB, null, 404);
        spool.call("POST", "/v1/deliveries/" + log.get("data").get(0).get("id").asText() + "/replay", keyB, null, 404);
        spool.call("DELETE", "/v1/webhooks/" + endpointId, keyA, null, 204);
    }

    @Test
    void aFailingReceiverIsTriedAgainWithTheSameIdAndEveryTryIsLogged() {
        AtomicInteger calls = new AtomicInteger();
        receiver.answer(r -> r.path().equals("/flaky") && calls.incrementAndGet() <= 2 ? 500 : 204);
        try {
            String id = submit(keyA, "{\"type\": \"echo\", \"input\": {}, \"webhook\": {\"url\": \""
                    + receiver.url("/flaky") + "\", \"events\": [\"succeeded\"]}}");
            await().atMost(Duration.ofSeconds(20)).until(() -> receiver.received("/flaky").size() >= 3);
            List<Receiver.Received> tries = receiver.received("/flaky");
            assertThat(tries.stream().map(r -> r.header("webhook-id")).distinct()).hasSize(1);
            assertThat(tries.stream().map(r -> new String(r.body())).distinct()).hasSize(1);

            String deliveryId = tries.getFirst().header("webhook-id");
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    spool.call("GET", "/v1/deliveries/" + deliveryId, keyA, null, 200).get("state").asText().equals("delivered"));
            JsonNode delivery = spool.call("GET", "/v1/deliveries/" + deliveryId, keyA, null, 200);
            assertThat(delivery.get("attempts").asInt()).isEqualTo(3);
            assertThat(delivery.get("tries").findValuesAsText("status")).isEqualTo(List.of("500", "500", "204"));
            assertThat(delivery.get("tries").get(0).get("response").asText()).isEqualTo("answer 500");
            assertThat(delivery.get("payload").get("data").get("id").asText()).isEqualTo(id);

            // A replay sends it once more, with the same id and body.
            spool.call("POST", "/v1/deliveries/" + deliveryId + "/replay", keyA, null, 202);
            await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received("/flaky").size() >= 4);
            assertThat(receiver.received("/flaky").get(3).header("webhook-id")).isEqualTo(deliveryId);
            assertThat(receiver.received("/flaky").get(3).body()).isEqualTo(tries.getFirst().body());
        } finally {
            receiver.answer(r -> 204);
        }
    }

    @Test
    void aReceiverThatNeverAcceptsIsGivenUpAfterTheScheduleAndARedirectIsNeverFollowed() {
        receiver.answer(r -> r.path().equals("/moved") ? 302 : 204);
        try {
            submit(keyA, "{\"type\": \"echo\", \"input\": {}, \"webhook\": {\"url\": \"" + receiver.url("/moved") + "\"}}");
            // The first try and four retries: then it is given up.
            await().atMost(Duration.ofSeconds(20)).until(() -> receiver.received("/moved").size() >= 5);
            String deliveryId = receiver.received("/moved").getFirst().header("webhook-id");
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    spool.call("GET", "/v1/deliveries/" + deliveryId, keyA, null, 200).get("state").asText().equals("failed"));
            JsonNode delivery = spool.call("GET", "/v1/deliveries/" + deliveryId, keyA, null, 200);
            assertThat(delivery.get("attempts").asInt()).isEqualTo(5);
            assertThat(delivery.get("last_error").asText()).contains("redirects are not followed");
            assertThat(receiver.received("/redirected")).isEmpty();
        } finally {
            receiver.answer(r -> 204);
        }
    }

    @Test
    void a410DisablesTheEndpointUntilItsOwnerEnablesItAgain() {
        receiver.answer(r -> r.path().equals("/gone") ? 410 : 204);
        try {
            String endpointId = spool.call("POST", "/v1/webhooks", keyB, "{\"url\": \"" + receiver.url("/gone") + "\"}", 201)
                    .get("id").asText();
            submit(keyB, "{\"type\": \"echo\", \"input\": {}}");
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    !spool.call("GET", "/v1/webhooks/" + endpointId, keyB, null, 200).get("enabled").asBoolean());
            assertThat(spool.call("GET", "/v1/webhooks/" + endpointId, keyB, null, 200).get("disabled_reason").asText())
                    .contains("410");
            int before = receiver.received("/gone").size();
            assertThat(before).isEqualTo(1);

            // Disabled: new events make no deliveries, a replay is refused and stores nothing.
            submit(keyB, "{\"type\": \"echo\", \"input\": {}}");
            JsonNode log = spool.call("GET", "/v1/webhooks/" + endpointId + "/deliveries", keyB, null, 200).get("data");
            assertThat(log).hasSize(1);
            spool.call("POST", "/v1/deliveries/" + log.get(0).get("id").asText() + "/replay", keyB, null, 409);
            assertThat(spool.call("GET", "/v1/deliveries/" + log.get(0).get("id").asText(), keyB, null, 200)
                    .get("state").asText()).isEqualTo("failed");

            receiver.answer(r -> 204);
            JsonNode enabled = spool.call("PATCH", "/v1/webhooks/" + endpointId, keyB, "{\"enabled\": true}", 200);
            assertThat(enabled.get("enabled").asBoolean()).isTrue();
            spool.call("POST", "/v1/deliveries/" + log.get(0).get("id").asText() + "/replay", keyB, null, 202);
            await().atMost(Duration.ofSeconds(10)).until(() -> receiver.received("/gone").size() == before + 1);
        } finally {
            receiver.answer(r -> 204);
        }
    }

    @Test
    void afterARotationBothSecretsSignUntilTheOverlapEnds() throws Exception {
        String old = spool.call("GET", "/v1/webhooks/default/secret", keyB, null, 200).get("secret").asText();
        JsonNode rotated = spool.call("POST", "/v1/webhooks/default/rotate-secret", keyB, "{\"keep_previous_seconds\": 3600}", 200);
        String fresh = rotated.get("secret").asText();
        assertThat(fresh).isNotEqualTo(old);
        assertThat(rotated.get("previous_secret").asText()).isEqualTo(old);

        String id = submit(keyB, "{\"type\": \"echo\", \"input\": {}, \"webhook\": {\"url\": \"" + receiver.url("/rotated") + "\"}}");
        await().atMost(Duration.ofSeconds(20)).until(() -> !receiver.received("/rotated").isEmpty());
        Receiver.Received got = receiver.received("/rotated").getFirst();
        assertThat(got.header("webhook-signature").split(" ")).hasSize(2);
        assertThat(verifiedIndependently(fresh, got)).isTrue();
        assertThat(verifiedIndependently(old, got)).isTrue();
        assertThat(new String(got.body())).contains(id);

        JsonNode again = spool.call("POST", "/v1/webhooks/default/rotate-secret", keyB, "{\"keep_previous_seconds\": 0}", 200);
        String newest = again.get("secret").asText();
        String id2 = submit(keyB, "{\"type\": \"echo\", \"input\": {}, \"webhook\": {\"url\": \"" + receiver.url("/rotated") + "\"}}");
        await().atMost(Duration.ofSeconds(20)).until(() -> receiver.received("/rotated").size() >= 2);
        Receiver.Received second = receiver.received("/rotated").get(1);
        assertThat(new String(second.body())).contains(id2);
        assertThat(second.header("webhook-signature").split(" ")).hasSize(1);
        assertThat(verifiedIndependently(newest, second)).isTrue();
        assertThat(verifiedIndependently(fresh, second)).isFalse();
    }

    @Test
    void badWebhookRequestsAreClearProblemsAndStoreNothing() {
        int jobsBefore = spool.call("GET", "/v1/jobs?limit=1000", keyA, null, 200).get("data").size();
        for (String hook : List.of(
                "{\"url\": \"http://169.254.169.254/latest/meta-data/\"}",
                "{\"url\": \"http://10.0.0.1/hook\"}",
                "{\"url\": \"ftp://example.com/\"}",
                "{\"url\": \"" + receiver.url("/x") + "\", \"events\": [\"exploded\"]}",
                "{\"url\": \"" + receiver.url("/x") + "\", \"events\": []}",
                "{\"events\": [\"succeeded\"]}",
                "{\"url\": \"" + receiver.url("/x") + "\", \"secret\": \"mine\"}")) {
            JsonNode problem = spool.call("POST", "/v1/jobs", keyA, "{\"type\": \"echo\", \"input\": {}, \"webhook\": " + hook + "}", 400);
            assertThat(problem.get("detail").asText()).as(hook).isNotBlank();
        }
        assertThat(spool.call("GET", "/v1/jobs?limit=1000", keyA, null, 200).get("data").size()).isEqualTo(jobsBefore);

        int endpointsBefore = spool.call("GET", "/v1/webhooks", keyA, null, 200).get("data").size();
        assertThat(spool.call("POST", "/v1/webhooks", keyA, "{\"url\": \"http://[::ffff:127.0.0.1]:9/\"}", 400)
                .get("detail").asText()).contains("not a public address");
        spool.call("POST", "/v1/webhooks", keyA, "{\"url\": \"http://127.0.0.1.nip.io/\", \"events\": [\"started\"]}", 400);
        spool.call("POST", "/v1/webhooks", keyA, "{\"url\": \"" + receiver.url("/x") + "\", \"events\": [\"done\"]}", 400);
        spool.call("POST", "/v1/webhooks", keyA, "{\"url\": \"" + receiver.url("/x") + "\", \"enabled\": false}", 400);
        spool.call("POST", "/v1/webhooks", keyA, "{\"url\": 5}", 400);
        spool.call("POST", "/v1/webhooks", keyA, "not json", 400);
        assertThat(spool.call("GET", "/v1/webhooks", keyA, null, 200).get("data").size()).isEqualTo(endpointsBefore);

        spool.call("GET", "/v1/webhooks/wh_nope", keyA, null, 404);
        spool.call("PATCH", "/v1/webhooks/wh_nope", keyA, "{\"enabled\": true}", 404);
        spool.call("POST", "/v1/webhooks/wh_nope/rotate-secret", keyA, null, 404);
        spool.call("GET", "/v1/deliveries/msg_nope", keyA, null, 404);
        spool.call("GET", "/v1/webhooks/default/deliveries?cursor=bogus", keyA, null, 400);
        spool.call("GET", "/v1/webhooks/default/deliveries?limit=0", keyA, null, 400);
        spool.call("POST", "/v1/webhooks/default/rotate-secret", keyA, "{\"keep_previous_seconds\": -1}", 400);
    }
}
