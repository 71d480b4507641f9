package dev.spool.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spool.client.ApiKey;
import dev.spool.client.SpoolClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.awaitility.Awaitility;

/**
 * One object of every kind the API names by id, owned by one tenant: a finished job with an input
 * file ({@link #FILE}), a running job, a batch, a webhook endpoint, a delivery to it, a schedule, and an API key.
 * The tenancy and bad-input suites put them in every id slot of every route.
 */
public record TenantObjects(String tenant, String key, ApiKey apiKey, Map<String, String> ids) {
    /** The name of the finished job's input file. */
    public static final String FILE = "in.txt";

    /** The kinds of object, as the tests name them. */
    public static final String JOB = "job", RUNNING_JOB = "running job", BATCH = "batch", WEBHOOK = "webhook",
            DELIVERY = "delivery", KEY = "key", TENANT = "tenant", SCHEDULE = "schedule";

    public String id(String kind) {
        return ids.get(kind);
    }

    /** Makes tenant {@code tenant}'s key and objects; webhooks go to {@code receiver} (the server must allow 127.0.0.1). */
    public static TenantObjects make(TestServer spool, Receiver receiver, String tenant) {
        SpoolClient admin = spool.client(spool.adminKey);
        ApiKey apiKey = admin.createKey(tenant, tenant, null);
        String key = apiKey.key();
        SpoolClient client = spool.client(key);
        Map<String, String> ids = new LinkedHashMap<>();
        ids.put(KEY, apiKey.id());
        ids.put(TENANT, tenant);
        ids.put(WEBHOOK, field(call(spool, spool.request("/v1/webhooks", key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"url\": \"" + receiver.url("/" + tenant) + "\"}")), 201), "id"));

        String boundary = "spool-objects";
        String multipart = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"job\"\r\n\r\n"
                + "{\"type\": \"echo\", \"input\": {\"owner\": \"" + tenant + "\"}}\r\n"
                + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + FILE + "\"\r\n"
                + "Content-Type: text/plain\r\n\r\nsecret of " + tenant + "\r\n--" + boundary + "--\r\n";
        String job = field(call(spool, spool.request("/v1/jobs", key)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(multipart)), 201), "id");
        client.waitFor(job, Duration.ofSeconds(10), j -> {});
        ids.put(JOB, job);
        ids.put(RUNNING_JOB, field(call(spool, spool.request("/v1/jobs", key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"type\": \"sleep\", \"input\": {\"seconds\": 600}}")), 201), "id"));
        ids.put(BATCH, field(call(spool, spool.request("/v1/batches", key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"jobs\": [{\"type\": \"echo\", \"input\": {}}]}")), 201), "id"));
        ids.put(SCHEDULE, field(call(spool, spool.request("/v1/schedules", key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"cron\": \"0 0 1 1 *\", \"job\": {\"type\": \"echo\", \"input\": {}}}")), 201), "id"));
        String webhook = ids.get(WEBHOOK);
        ids.put(DELIVERY, Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
            JsonNode list = read(call(spool, spool.request("/v1/webhooks/" + webhook + "/deliveries", key).GET(), 200));
            return list.get("data").isEmpty() ? null : list.get("data").get(0).get("id").asText();
        }, id -> id != null));
        return new TenantObjects(tenant, key, apiKey, ids);
    }

    private static HttpResponse<byte[]> call(TestServer spool, HttpRequest.Builder request, int expected) {
        HttpResponse<byte[]> answer = spool.send(request);
        assertThat(answer.statusCode()).as("%s: %s", answer.uri(), new String(answer.body(), StandardCharsets.UTF_8))
                .isEqualTo(expected);
        return answer;
    }

    private static String field(HttpResponse<byte[]> answer, String name) {
        return read(answer).get(name).asText();
    }

    private static JsonNode read(HttpResponse<byte[]> answer) {
        try {
            return TestJobs.JSON.readTree(answer.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
