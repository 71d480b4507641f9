package dev.spool.chaos;

import static dev.spool.testing.TestJobs.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spool.auth.ApiKeys;
import dev.spool.client.SpoolClient;
import dev.spool.client.SubmitRequest;
import dev.spool.testing.Node;
import dev.spool.testing.Receiver;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The acceptance run: 1,000 jobs, a receiver that fails half of all requests at random, and the
 * server killed with SIGKILL twice while it works. Every subscribed event must reach the receiver
 * (answered 2xx) at least once, and every try of one event must carry the same webhook-id and body.
 */
class WebhookChaosTest {
    private static final int JOBS = 1000;

    @TempDir
    Path dir;

    @Test
    void everySubscribedEventArrivesDespiteAFlakyReceiverAndTwoKills() throws Exception {
        Random random = new Random(42);
        Map<String, Set<String>> bodiesById = new ConcurrentHashMap<>();
        Set<String> acceptedIds = ConcurrentHashMap.newKeySet();
        try (Receiver receiver = new Receiver()) {
            receiver.answer(r -> {
                String id = r.header("webhook-id");
                bodiesById.computeIfAbsent(id, k -> ConcurrentHashMap.newKeySet()).add(new String(r.body(), StandardCharsets.UTF_8));
                boolean ok;
                synchronized (random) {
                    ok = random.nextBoolean();
                }
                if (ok) {
                    acceptedIds.add(id);
                }
                return ok ? 204 : 500;
            });
            Path config = Files.writeString(dir.resolve("spool.yaml"), """
                    webhooks:
                      allow_hosts: [127.0.0.1]
                      timeout_ms: 1000
                      retry_schedule: %s
                    """.formatted(String.join(",", java.util.Collections.nCopies(40, "50ms"))));
            String adminKey = ApiKeys.generateSecret();
            Map<String, String> settings = Map.of("config", config.toString(), "storage.data_dir", dir.resolve("data").toString(),
                    "auth.admin_key", adminKey, "jobs.lease_seconds", "2", "runner.heartbeat_ms", "500",
                    "jobs.maintenance_interval_ms", "100", "runner.poll_ms", "50");

            String tenantKey;
            List<String> jobIds = new ArrayList<>();
            Node first = new Node(settings);
            try {
                SpoolClient admin = first.client(adminKey);
                tenantKey = admin.createKey("chaos", "chaos", null).key();
                HttpResponse<String> created = HttpClient.newHttpClient().send(HttpRequest.newBuilder(first.uri().resolve("/v1/webhooks"))
                        .header("Authorization", "Bearer " + tenantKey).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"url\": \"" + receiver.url("/events")
                                + "\", \"events\": [\"started\", \"succeeded\"]}")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
                SpoolClient tenant = first.client(tenantKey);
                for (int b = 0; b < JOBS / 100; b++) {
                    List<SubmitRequest> batch = new ArrayList<>();
                    for (int i = 0; i < 100; i++) {
                        batch.add(SubmitRequest.of("sleep", json("{\"seconds\": 0.01}")));
                    }
                    tenant.submitBatch(batch).jobs().forEach(m -> jobIds.add(m.id()));
                }
                await().atMost(Duration.ofSeconds(60)).until(() -> acceptedIds.size() >= 300);
            } finally {
                first.kill();
            }
            int afterFirstKill = acceptedIds.size();
            try (Node second = new Node(settings)) {
                await().atMost(Duration.ofSeconds(60)).until(() -> acceptedIds.size() >= afterFirstKill + 500);
                second.kill();
            }
            try (Node third = new Node(settings)) {
                SpoolClient tenant = third.client(tenantKey);
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1))
                        .until(() -> tenant.list(dev.spool.client.ListQuery.builder().status("succeeded").limit(1000).build())
                                .data().size() == JOBS);
                // Every event subscribed to: one delivery each, delivered, and the receiver accepted that id.
                Map<String, List<JsonNode>> deliveriesByJob = new HashMap<>();
                HttpClient http = HttpClient.newHttpClient();
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                    deliveriesByJob.clear();
                    for (String id : jobIds) {
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(third.uri().resolve("/v1/jobs/" + id + "/deliveries?limit=200"))
                                .header("Authorization", "Bearer " + tenantKey).build(), HttpResponse.BodyHandlers.ofString());
                        List<JsonNode> list = new ArrayList<>();
                        json(r.body()).get("data").forEach(list::add);
                        deliveriesByJob.put(id, list);
                    }
                    return deliveriesByJob.values().stream().flatMap(List::stream)
                            .allMatch(d -> d.get("state").asText().equals("delivered"));
                });
                for (String id : jobIds) {
                    List<JsonNode> deliveries = deliveriesByJob.get(id);
                    Map<String, Long> byType = deliveries.stream().collect(Collectors.groupingBy(d -> d.get("type").asText(), Collectors.counting()));
                    assertThat(byType.get("job.succeeded")).as(id).isEqualTo(1L);
                    assertThat(byType.get("job.started")).as(id).isGreaterThanOrEqualTo(1L);
                    for (JsonNode d : deliveries) {
                        String deliveryId = d.get("id").asText();
                        assertThat(acceptedIds).as("delivery %s of job %s", deliveryId, id).contains(deliveryId);
                        assertThat(bodiesById.get(deliveryId)).as("bodies sent under %s", deliveryId).hasSize(1);
                    }
                }
                long tries = bodiesById.values().stream().mapToLong(Set::size).sum();
                System.out.printf("webhook chaos: %d jobs, %d deliveries, %d requests received, %d accepted ids%n", JOBS,
                        deliveriesByJob.values().stream().mapToInt(List::size).sum(), receiver.received().size(), acceptedIds.size());
                assertThat(tries).isEqualTo(bodiesById.size()); // one body per id, whatever the number of tries
            }
        }
    }
}
