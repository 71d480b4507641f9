package dev.spool.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spool.testing.RawHttp;
import dev.spool.testing.TestJobs;
import dev.spool.testing.TestServer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The console's files and session over plain HTTP: its headers, its cookie, and what a cookie may do. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsoleSessionTest {
    @TempDir
    static Path dir;

    private TestServer spool;
    private RawHttp raw;
    private String tenantKey;
    private String workerKey;

    @BeforeAll
    void start() {
        spool = new TestServer(dir, Map.of());
        raw = new RawHttp(spool.server.port());
        var admin = spool.client(spool.adminKey);
        tenantKey = admin.createKey("t", "console", null).key();
        workerKey = admin.createKey("w", null, "worker").key();
    }

    @AfterAll
    void stop() {
        spool.close();
    }

    private static String[] header(String name, String value) {
        return new String[] {name, value};
    }

    @Test
    void thePageAndItsFilesComeWithAStrictPolicyAndTheRouterGetsEveryOtherPath() {
        RawHttp.Answer page = raw.send("GET", "/ui/", List.of(), null);
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.header("content-security-policy")).contains("script-src 'self'").doesNotContain("unsafe-inline");
        assertThat(page.header("x-frame-options")).isEqualTo("DENY");
        assertThat(page.header("cache-control")).isEqualTo("no-cache");
        assertThat(page.text()).doesNotContain("<script>").contains("<script type=\"module\"");
        Matcher script = Pattern.compile("src=\"(/ui/assets/[^\"]+\\.js)\"").matcher(page.text());
        assertThat(script.find()).isTrue();
        RawHttp.Answer js = raw.send("GET", script.group(1), List.of(), null);
        assertThat(js.status()).isEqualTo(200);
        assertThat(js.header("content-type")).startsWith("text/javascript");
        assertThat(js.header("cache-control")).contains("immutable");

        assertThat(raw.send("GET", "/ui/jobs/some-job", List.of(), null).text()).as("a view of the router").isEqualTo(page.text());
        assertThat(raw.send("GET", "/ui/assets/missing.js", List.of(), null).status()).isEqualTo(404);
        assertThat(raw.send("GET", "/ui", List.of(), null).header("location")).isEqualTo("/ui/");
    }

    @Test
    void signingInSetsAnHttpOnlyStrictCookieThatActsForTheKeyAndOnlyWithTheConsolesHeaderWhenItChangesSomething() {
        String body = "{\"api_key\": \"" + tenantKey + "\"}";
        List<String[]> json = List.<String[]>of(header("Content-Type", "application/json"));
        assertThat(raw.send("POST", "/ui/session", json, body.getBytes()).status()).as("without the console's header").isEqualTo(403);
        RawHttp.Answer signedIn = raw.send("POST", "/ui/session",
                List.<String[]>of(header("Content-Type", "application/json"), header("X-Spool-Console", "1")), body.getBytes());
        assertThat(signedIn.status()).isEqualTo(200);
        String cookie = signedIn.header("set-cookie").lines().filter(c -> c.startsWith("spool_console=")).findFirst().orElseThrow();
        assertThat(cookie).startsWith("spool_console=").contains("HttpOnly").contains("SameSite=Strict").contains("Path=/");
        assertThat(TestJobs.json(signedIn.text()).get("tenant").asText()).isEqualTo("console");
        String session = cookie.substring(0, cookie.indexOf(';'));

        assertThat(TestJobs.json(raw.send("GET", "/ui/session", List.<String[]>of(header("Cookie", session)), null).text())
                .get("signed_in").asBoolean()).isTrue();
        assertThat(TestJobs.json(raw.send("GET", "/ui/session", List.of(), null).text()).get("signed_in").asBoolean()).isFalse();
        assertThat(raw.send("GET", "/v1/jobs", List.<String[]>of(header("Cookie", session)), null).status()).as("reads with the cookie").isEqualTo(200);
        String submit = "{\"type\": \"echo\", \"input\": {}}";
        assertThat(raw.send("POST", "/v1/jobs", List.<String[]>of(header("Cookie", session), header("Content-Type", "application/json")),
                submit.getBytes()).status()).as("a change with the cookie alone: a cross-site request").isEqualTo(403);
        assertThat(raw.send("POST", "/v1/jobs", List.<String[]>of(header("Cookie", session), header("Content-Type", "application/json"),
                header("X-Spool-Console", "1")), submit.getBytes()).status()).isEqualTo(201);
        assertThat(raw.send("GET", "/v1/jobs", List.<String[]>of(header("Cookie", "spool_console=spool_nope_nope")), null).status()).isEqualTo(401);

        RawHttp.Answer out = raw.send("DELETE", "/ui/session", List.<String[]>of(header("Cookie", session), header("X-Spool-Console", "1")), null);
        assertThat(out.status()).isEqualTo(204);
        assertThat(out.header("set-cookie").lines()).anySatisfy(c -> assertThat(c).startsWith("spool_console=;").contains("Max-Age=0"));

        RawHttp.Answer worker = raw.send("POST", "/ui/session", List.<String[]>of(header("Content-Type", "application/json"),
                header("X-Spool-Console", "1")), ("{\"api_key\": \"" + workerKey + "\"}").getBytes());
        assertThat(worker.status()).as("a worker key").isEqualTo(403);
        assertThat(worker.header("set-cookie")).isNull();
        assertThat(raw.send("POST", "/ui/session", List.<String[]>of(header("Content-Type", "application/json"), header("X-Spool-Console", "1")),
                "{\"api_key\": \"spool_wrong_key\"}".getBytes()).status()).isEqualTo(401);
    }

    @Test
    void anAdminActsForATenantByHeaderOrByTheConsolesPickAndATenantKeyCannot() {
        String job = spool.call("POST", "/v1/jobs", tenantKey, "{\"type\": \"echo\", \"input\": {}}", 201).get("id").asText();
        assertThat(spool.send(spool.request("/v1/jobs/" + job, spool.adminKey).GET()).statusCode()).as("the admin's own tenant").isEqualTo(404);
        assertThat(spool.send(spool.request("/v1/jobs/" + job, spool.adminKey).header("Spool-Tenant", "console").GET()).statusCode())
                .isEqualTo(200);
        assertThat(spool.send(spool.request("/v1/jobs/" + job, tenantKey).header("Spool-Tenant", "default").GET()).statusCode())
                .as("a tenant key may not act for another").isEqualTo(403);
        assertThat(spool.send(spool.request("/v1/stats", spool.adminKey).header("Spool-Tenant", "console").GET()).statusCode())
                .as("the overview's figures, contract-checked").isEqualTo(200);

        RawHttp.Answer signedIn = raw.send("POST", "/ui/session", List.<String[]>of(header("Content-Type", "application/json"),
                header("X-Spool-Console", "1")), ("{\"api_key\": \"" + spool.adminKey + "\"}").getBytes());
        String session = signedIn.header("set-cookie").lines().filter(c -> c.startsWith("spool_console=")).findFirst().orElseThrow();
        session = session.substring(0, session.indexOf(';'));
        RawHttp.Answer picked = raw.send("PATCH", "/ui/session", List.<String[]>of(header("Cookie", session),
                header("Content-Type", "application/json"), header("X-Spool-Console", "1")), "{\"tenant\": \"console\"}".getBytes());
        assertThat(picked.status()).isEqualTo(200);
        assertThat(TestJobs.json(picked.text()).get("acting_for").asText()).isEqualTo("console");
        String tenantCookie = picked.header("set-cookie");
        String both = session + "; " + tenantCookie.substring(0, tenantCookie.indexOf(';'));
        assertThat(raw.send("GET", "/v1/jobs/" + job, List.<String[]>of(header("Cookie", both)), null).status()).isEqualTo(200);
        assertThat(raw.send("GET", "/v1/jobs/" + job, List.<String[]>of(header("Cookie", tenantCookie.substring(0, tenantCookie.indexOf(';'))),
                header("Authorization", "Bearer " + spool.adminKey)), null).status()).as("the pick counts with the session only").isEqualTo(404);
    }
}
