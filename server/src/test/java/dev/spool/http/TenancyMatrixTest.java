package dev.spool.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spool.testing.OpenApi;
import dev.spool.testing.RawHttp;
import dev.spool.testing.Receiver;
import dev.spool.testing.TenantObjects;
import dev.spool.testing.TestJobs;
import dev.spool.testing.TestServer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tenancy matrix, generated from {@code /openapi.json}: every operation that takes an id (in
 * its path, or a {@code *_id} query parameter), called with another tenant's key on the first
 * tenant's object of every kind, answers exactly what the same call answers for an id that does
 * not exist — status, content type and body byte for byte — and changes nothing. The matrix is the
 * document's, so a new route enters it by being documented (and an undocumented route fails the
 * contract check of every test that calls it).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TenancyMatrixTest {
    @TempDir
    static Path dir;

    private TestServer spool;
    private Receiver receiver;
    private RawHttp raw;
    private OpenApi api;
    private TenantObjects alice;
    private TenantObjects bob;

    @BeforeAll
    void start() throws Exception {
        receiver = new Receiver();
        spool = new TestServer(dir, Map.of(), "webhooks:\n  allow_hosts: [127.0.0.1]\n");
        raw = new RawHttp(spool.server.port());
        api = new OpenApi(TestJobs.JSON.readTree(raw.send("GET", "/openapi.json", List.of(), null).body()));
        alice = TenantObjects.make(spool, receiver, "alice");
        bob = TenantObjects.make(spool, receiver, "bob");
    }

    @AfterAll
    void stop() {
        spool.close();
        receiver.close();
    }

    /** An id of the same form as {@code real} that names nothing: its last characters changed. */
    private static String lookalike(String real) {
        String alphabet = "0123456789abcdef";
        StringBuilder s = new StringBuilder(real);
        for (int i = Math.max(0, s.length() - 6); i < s.length(); i++) {
            if (Character.isLetterOrDigit(s.charAt(i))) {
                char c;
                do {
                    c = alphabet.charAt(ThreadLocalRandom.current().nextInt(alphabet.length()));
                } while (c == s.charAt(i));
                s.setCharAt(i, Character.isUpperCase(s.charAt(i)) ? Character.toUpperCase(c) : c);
            }
        }
        return s.toString();
    }

    /** The operation called with {@code id} in every id slot, as bob. */
    private RawHttp.Answer call(OpenApi.Operation op, String id) {
        String path = op.template().replace("{id}", URLEncoder.encode(id, StandardCharsets.UTF_8))
                .replace("{name}", TenantObjects.FILE);
        List<String> query = new ArrayList<>();
        for (OpenApi.Param p : op.in("query")) {
            if (namesAnObject(p)) {
                query.add(p.name() + "=" + URLEncoder.encode(id, StandardCharsets.UTF_8));
            } else if (p.required()) {
                query.add(p.name() + "=" + URLEncoder.encode(api.instance(p.schema(), Map.of()).asText(), StandardCharsets.UTF_8));
            }
        }
        String target = path + (query.isEmpty() ? "" : "?" + String.join("&", query));
        List<String[]> headers = new ArrayList<>();
        headers.add(new String[] {"Authorization", "Bearer " + bob.key()});
        byte[] body = null;
        JsonNode schema = op.bodies().get("application/json");
        if (schema != null) {
            headers.add(new String[] {"Content-Type", "application/json"});
            body = api.instance(schema, Map.of("type", TestJobs.JSON.getNodeFactory().textNode("echo"),
                    "url", TestJobs.JSON.getNodeFactory().textNode(receiver.url("/bob")))).toString().getBytes(StandardCharsets.UTF_8);
        } else if (!op.bodies().isEmpty()) {
            headers.add(new String[] {"Content-Type", op.bodies().keySet().iterator().next()});
            body = "bytes".getBytes(StandardCharsets.UTF_8);
        }
        return raw.send(op.method().toUpperCase(java.util.Locale.ROOT), target, headers, body);
    }

    /** A query parameter that names an object ({@code batch_id}, {@code job_id}); {@code last_event_id} is a cursor. */
    private static boolean namesAnObject(OpenApi.Param p) {
        return p.name().endsWith("_id") && !p.name().equals("last_event_id");
    }

    private static boolean takesAnId(OpenApi.Operation op) {
        return op.template().contains("{id}") || op.in("query").stream().anyMatch(TenancyMatrixTest::namesAnObject);
    }

    /**
     * The matrix is the document's, so the document must have every route the server registers:
     * a route added to the route table without its operation fails here.
     */
    @Test
    void everyRouteOfTheRouteTableIsAnOperationOfTheDocument() throws Exception {
        String table = java.nio.file.Files.readString(Path.of("src/main/java/dev/spool/http/ApiServer.java"));
        java.util.regex.Matcher route = java.util.regex.Pattern
                .compile("\\.(get|post|put|patch|delete)\\(\"(/[^\"]*)\"").matcher(table);
        List<String> documented = api.operations().stream().map(OpenApi.Operation::toString).toList();
        List<String> routes = new ArrayList<>();
        while (route.find()) {
            routes.add(route.group(1).toUpperCase(java.util.Locale.ROOT) + " " + route.group(2));
        }
        assertThat(routes).hasSizeGreaterThanOrEqualTo(40);
        assertThat(documented).containsAll(routes);
    }

    @Test
    void everyIdTakingOperationAnswersAnotherTenantsObjectOfEveryKindExactlyLikeAMissingOne() throws Exception {
        List<OpenApi.Operation> matrix = api.operations().stream().filter(TenancyMatrixTest::takesAnId).toList();
        List<String> kinds = List.copyOf(alice.ids().keySet());
        List<String> differences = new ArrayList<>();
        int cells = 0;
        for (OpenApi.Operation op : matrix) {
            for (String kind : kinds) {
                String real = alice.id(kind);
                RawHttp.Answer theirs = call(op, real);
                RawHttp.Answer nobodys = call(op, lookalike(real));
                cells++;
                assertThat(theirs.status()).as("%s on alice's %s", op, kind).isLessThan(500);
                if (theirs.status() != nobodys.status()
                        || !String.valueOf(theirs.header("content-type")).equals(String.valueOf(nobodys.header("content-type")))
                        || !theirs.text().equals(nobodys.text())) {
                    differences.add(op + " with alice's " + kind + ": " + theirs.status() + " " + theirs.text()
                            + "  vs missing: " + nobodys.status() + " " + nobodys.text());
                }
            }
        }
        System.out.printf("tenancy matrix: %d operations x %d kinds = %d cells, %d differences%n",
                matrix.size(), kinds.size(), cells, differences.size());
        assertThat(differences).isEmpty();
        assertThat(matrix).as("id-taking operations in the document").hasSizeGreaterThanOrEqualTo(25);

        // Nothing bob sent changed alice's objects.
        var aliceClient = spool.client(alice.key());
        var running = aliceClient.get(alice.id(TenantObjects.RUNNING_JOB));
        assertThat(running.status()).isIn("queued", "running");
        assertThat(running.cancelRequested()).isFalse();
        assertThat(aliceClient.get(alice.id(TenantObjects.JOB)).status()).isEqualTo("succeeded");
        JsonNode webhook = TestJobs.JSON.readTree(raw.send("GET", "/v1/webhooks/" + alice.id(TenantObjects.WEBHOOK),
                List.<String[]>of(new String[] {"Authorization", "Bearer " + alice.key()}), null).body());
        assertThat(webhook.get("enabled").asBoolean()).isTrue();
        assertThat(spool.client(spool.adminKey).listKeys()).anySatisfy(k -> {
            assertThat(k.id()).isEqualTo(alice.apiKey().id());
            assertThat(k.revokedAt()).isNull();
        });
    }
}
