package dev.spool.limit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spool.client.SubmitRequest;
import dev.spool.testing.RawHttp;
import dev.spool.testing.TestJobs;
import dev.spool.testing.TestServer;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rate limits, quotas and usage over HTTP, on the embedded database: over a limit the answer is a
 * 429 with Retry-After and the draft's RateLimit headers (in each dialect's own shape under
 * /compat), and nothing is stored; quotas set through the admin API refuse at their bound; usage
 * adds up what the jobs show, in JSON and CSV, and another tenant's is not to be had.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LimitsTest {
    @TempDir
    static Path dir;
    private TestServer spool;
    private RawHttp raw;

    @BeforeAll
    void start() {
        spool = new TestServer(dir.resolve("data"), Map.of(), """
                limits:
                  tenants:
                    chatty: {requests_per_second: 2, burst: 3}
                    vendor: {requests_per_second: 1, burst: 1}
                    submitter: {submits_per_minute: 3}
                types:
                  echo: {price: {per_job: 0.0125, currency: EUR}}
                  held: {executor: worker}
                """);
        raw = new RawHttp(spool.server.port());
    }

    @AfterAll
    void stop() {
        spool.close();
    }

    private String key(String tenant) {
        return spool.client(spool.adminKey).createKey(tenant, tenant, null).key();
    }

    private RawHttp.Answer get(String target, String key) {
        return raw.send("GET", target, List.<String[]>of(new String[] {"Authorization", "Bearer " + key}), null);
    }

    @Test
    void aTenantOverItsRequestRateIsRefusedWith429RetryAfterAndTheDraftsHeaders() {
        String chatty = key("chatty");
        long started = System.nanoTime();
        List<RawHttp.Answer> answers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            answers.add(get("/v1/jobs", chatty));
        }
        double seconds = (System.nanoTime() - started) / 1e9;

        List<RawHttp.Answer> ok = answers.stream().filter(a -> a.status() == 200).toList();
        List<RawHttp.Answer> refused = answers.stream().filter(a -> a.status() == 429).toList();
        assertThat(ok.size() + refused.size()).isEqualTo(8);
        assertThat(ok.size()).as("burst 3, then 2 a second over %.2f s", seconds).isBetween(3, 3 + (int) Math.ceil(seconds * 2));
        assertThat(refused).isNotEmpty();
        RawHttp.Answer first = ok.getFirst();
        assertThat(first.header("ratelimit-policy")).isEqualTo("\"tenant\";q=2;w=1");
        assertThat(first.header("ratelimit")).matches("\"tenant\";r=2;t=\\d+");
        RawHttp.Answer no = refused.getFirst();
        assertThat(no.header("content-type")).isEqualTo("application/problem+json");
        assertThat(no.header("retry-after")).isEqualTo("1");
        assertThat(no.header("ratelimit")).matches("\"tenant\";r=0;t=1");
        assertThat(TestJobs.json(no.text()).get("code").asText()).isEqualTo("rate_limited");
        // Another tenant is not held to it; nor is the same tenant's traffic once the bucket refills.
        assertThat(get("/v1/jobs", key("calm")).status()).isEqualTo(200);
        assertThat(get("/v1/jobs", key("calm")).header("ratelimit")).isNull();
    }

    @Test
    void submitsOverTheRateAreRefusedAndStoreNothing() {
        String submitter = key("submitter");
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            statuses.add(spool.post("/v1/jobs", submitter, "{\"type\": \"held\", \"input\": {}}").statusCode());
        }
        HttpResponse<byte[]> batch = spool.post("/v1/batches", submitter,
                "{\"jobs\": [" + String.join(",", java.util.Collections.nCopies(4, "{\"type\": \"held\", \"input\": {}}")) + "]}");

        assertThat(statuses).containsExactly(201, 201, 201, 429, 429);
        assertThat(batch.statusCode()).as(new String(batch.body(), StandardCharsets.UTF_8)).isEqualTo(400);
        assertThat(spool.client(submitter).list(dev.spool.client.ListQuery.builder().build()).data()).hasSize(3);
    }

    @Test
    void eachDialectAnswersALimitInItsOwnShape() {
        String vendor = key("vendor");
        record Call(String method, String target, String header, String body) {}
        List<Call> calls = List.of(
                new Call("GET", "/compat/daily/v1/batch-processor", "Bearer " + vendor, null),
                new Call("GET", "/compat/gepetto/v1/job/nothing", "Bearer " + vendor, null),
                new Call("POST", "/compat/rodin/api/v2/status", "Bearer " + vendor, "{\"subscription_key\": \"x\"}"),
                new Call("GET", "/compat/hamsa/v1/jobs?jobId=x", "Token " + vendor, null));
        List<String> bodies = new ArrayList<>();
        for (Call c : calls) {
            RawHttp.Answer refused = null;
            for (int i = 0; i < 4 && refused == null; i++) {
                List<String[]> headers = new ArrayList<>();
                headers.add(new String[] {"Authorization", c.header()});
                if (c.body() != null) {
                    headers.add(new String[] {"Content-Type", "application/json"});
                }
                RawHttp.Answer a = raw.send(c.method(), c.target(), headers,
                        c.body() == null ? null : c.body().getBytes(StandardCharsets.UTF_8));
                if (a.status() == 429) {
                    refused = a;
                }
            }
            assertThat(refused).as(c.target()).isNotNull();
            assertThat(refused.header("retry-after")).as(c.target()).matches("\\d+");
            assertThat(refused.header("ratelimit-policy")).isEqualTo("\"tenant\";q=1;w=1");
            bodies.add(refused.text());
        }
        assertThat(TestJobs.json(bodies.get(0)).get("error").asText()).isEqualTo("rate-limit-error");
        assertThat(TestJobs.json(bodies.get(1)).get("error").asText()).startsWith("Over the limit");
        assertThat(TestJobs.json(bodies.get(2)).get("error").asText()).isEqualTo("TOO_MANY_REQUESTS");
        assertThat(TestJobs.json(bodies.get(3)).get("messageKey").asText()).isEqualTo("TOO_MANY_REQUESTS");
        assertThat(TestJobs.json(bodies.get(3)).get("success").asBoolean()).isFalse();
    }

    @Test
    void quotasSetThroughTheAdminApiRefuseAtTheirBoundAndAreShownToTheTenant() {
        String quoted = key("quoted");
        JsonNode set = spool.call("PUT", "/v1/tenants/quoted/limits", spool.adminKey,
                "{\"max_queued\": 2, \"max_file_bytes\": 10}", 200);
        assertThat(set.get("set").toString()).isEqualTo("{\"max_queued\":2,\"max_file_bytes\":10}");
        assertThat(set.get("limits").get("max_queued").asLong()).isEqualTo(2);
        assertThat(set.get("limits").get("requests_per_second").asLong()).isZero();

        assertThat(spool.post("/v1/jobs", quoted, "{\"type\": \"held\", \"input\": {}}").statusCode()).isEqualTo(201);
        HttpResponse<byte[]> bigFile = spool.post("/v1/jobs", quoted,
                "{\"type\": \"held\", \"input\": {}, \"sources\": [{\"kind\": \"text\", \"text\": \"more than ten bytes\"}]}");
        assertThat(bigFile.statusCode()).isEqualTo(429);
        assertThat(TestJobs.json(new String(bigFile.body(), StandardCharsets.UTF_8)).get("code").asText()).isEqualTo("quota_exceeded");
        assertThat(spool.post("/v1/jobs", quoted, "{\"type\": \"held\", \"input\": {}}").statusCode()).isEqualTo(201);
        HttpResponse<byte[]> third = spool.post("/v1/jobs", quoted, "{\"type\": \"held\", \"input\": {}}");
        assertThat(third.statusCode()).isEqualTo(429);
        assertThat(new String(third.body(), StandardCharsets.UTF_8)).contains("quota_exceeded", "at most 2 jobs queued");

        JsonNode mine = spool.call("GET", "/v1/limits", quoted, null, 200);
        assertThat(mine.get("tenant_id").asText()).isEqualTo("quoted");
        assertThat(mine.get("held").get("queued").asLong()).isEqualTo(2);
        assertThat(mine.get("limits").get("max_queued").asLong()).isEqualTo(2);

        // Only admins set limits; bad ones are refused and change nothing.
        spool.call("PUT", "/v1/tenants/quoted/limits", quoted, "{\"max_queued\": 100}", 403);
        spool.call("PUT", "/v1/tenants/quoted/limits", spool.adminKey, "{\"max_queued\": -1}", 400);
        spool.call("PUT", "/v1/tenants/quoted/limits", spool.adminKey, "{\"max_queue\": 1}", 400);
        spool.call("PUT", "/v1/tenants/quoted/limits", spool.adminKey, "{\"max_queued\": \"5\"}", 400);
        assertThat(spool.call("GET", "/v1/tenants/quoted/limits", spool.adminKey, null, 200).get("set").get("max_queued").asLong())
                .isEqualTo(2);

        spool.call("DELETE", "/v1/tenants/quoted/limits", spool.adminKey, null, 204);
        spool.call("DELETE", "/v1/tenants/quoted/limits", spool.adminKey, null, 404);
        assertThat(spool.post("/v1/jobs", quoted, "{\"type\": \"held\", \"input\": {}}").statusCode()).isEqualTo(201);
    }

    @Test
    void usageAddsUpTheTenantsJobsInJsonAndCsvAndIsNotToBeHadByAnotherTenant() {
        String payer = key("payer");
        var client = spool.client(payer);
        long runMs = 0;
        for (int i = 0; i < 3; i++) {
            var job = client.waitFor(client.submit(SubmitRequest.of("echo", TestJobs.json("{\"n\": " + i + "}"))).id(),
                    Duration.ofSeconds(30), j -> {});
            assertThat(job.status()).isEqualTo("succeeded");
            runMs += job.usage().runMs();
        }
        client.cancel(client.submit(SubmitRequest.of("held", TestJobs.json("{}"))).id());

        JsonNode usage = spool.call("GET", "/v1/usage?group_by=type", payer, null, 200);
        assertThat(usage.get("tenant_id").asText()).isEqualTo("payer");
        JsonNode echo = usage.get("data").get(0);
        assertThat(echo.get("type").asText()).isEqualTo("echo");
        assertThat(echo.get("jobs").toString()).isEqualTo("{\"succeeded\":3,\"failed\":0,\"cancelled\":0,\"total\":3}");
        assertThat(echo.get("run_ms").asLong()).isEqualTo(runMs);
        assertThat(echo.get("cost").get("amount_micros").asLong()).isEqualTo(37_500);
        assertThat(echo.get("cost").get("amount").decimalValue()).isEqualByComparingTo("0.0375");
        assertThat(echo.get("cost").get("currency").asText()).isEqualTo("EUR");
        assertThat(usage.get("data").get(1).get("jobs").get("cancelled").asLong()).isEqualTo(1);

        var csv = spool.send(spool.request("/v1/usage?group_by=day,type", payer).header("Accept", "text/csv").GET());
        assertThat(csv.headers().firstValue("content-type")).hasValue("text/csv; charset=utf-8");
        String[] lines = new String(csv.body(), StandardCharsets.UTF_8).split("\r\n");
        assertThat(lines[0]).isEqualTo("day,type,currency,succeeded,failed,cancelled,run_ms,units,cost");
        assertThat(lines[1]).endsWith(",echo,EUR,3,0,0," + runMs + ",0,0.037500");

        // Another tenant's usage answers as a tenant that does not exist; an admin sees every tenant's.
        String other = key("other-payer");
        RawHttp.Answer theirs = get("/v1/usage?tenant_id=payer", other);
        RawHttp.Answer nobodys = get("/v1/usage?tenant_id=payer-lookalike", other);
        assertThat(theirs.status()).isEqualTo(404);
        assertThat(theirs.text()).isEqualTo(nobodys.text());
        assertThat(get("/v1/limits?tenant_id=payer", other).text()).isEqualTo(get("/v1/limits?tenant_id=nobody", other).text());
        JsonNode all = spool.call("GET", "/v1/usage?tenant_id=*&group_by=tenant", spool.adminKey, null, 200);
        assertThat(all.get("data").findValuesAsText("tenant_id")).contains("payer");
        spool.call("GET", "/v1/usage?group_by=tenant", payer, null, 400);
        spool.call("GET", "/v1/usage?from=2026-13-01", payer, null, 400);
        spool.call("GET", "/v1/usage?from=2020-01-01&to=2026-01-01", payer, null, 400);
    }
}
