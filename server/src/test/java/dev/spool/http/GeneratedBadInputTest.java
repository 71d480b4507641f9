package dev.spool.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spool.testing.OpenApi;
import dev.spool.testing.RawHttp;
import dev.spool.testing.Receiver;
import dev.spool.testing.TenantObjects;
import dev.spool.testing.TestJobs;
import dev.spool.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.core.Gen;
import org.quicktheories.core.RandomnessSource;
import org.quicktheories.impl.Constraint;

/**
 * Bad input, generated from the contract: requests built from every operation of {@code
 * /openapi.json} and its schemas, then broken — wrong types, missing and unknown fields, huge and
 * odd strings, deep nesting, invalid JSON and UTF-8, wrong and malformed content types, odd ids
 * and query values, no key, a bad key, another role's or tenant's key — and the same for the five
 * compatibility profiles' routes. Every answer is below 500; every native 4xx is problem+json with
 * its code, every profile's error is in its vendor's shape; and a refused write stores nothing.
 * QuickTheories draws the requests (and would shrink a failing one to its simplest form).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GeneratedBadInputTest {
    static final int NATIVE_REQUESTS = 16_000;
    static final int COMPAT_REQUESTS = 4_000;
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    @TempDir
    static Path dir;

    private TestServer spool;
    private Receiver receiver;
    private RawHttp raw;
    private OpenApi api;
    private TenantObjects alice;
    private TenantObjects bob;
    private String workerKey;
    private String revokedKey;
    private final List<String> spareKeyIds = new ArrayList<>();
    private Connection db;
    private final Map<Integer, Integer> statuses = new TreeMap<>();

    /** One request as sent, and how it was made (for the report of a failure). */
    record Probe(String method, String target, List<String[]> headers, byte[] body, String how) {
        @Override
        public String toString() {
            String shown = body == null ? "" : new String(body, 0, Math.min(body.length, 300), StandardCharsets.UTF_8);
            return method + " " + target + " " + how + " headers=" + headers.stream().map(Arrays::toString).toList()
                    + " body=" + shown;
        }
    }

    @BeforeAll
    void start() throws Exception {
        receiver = new Receiver();
        spool = new TestServer(dir, Map.of("http.max_body_bytes", "65536", "compat.sync_wait_seconds", "1"),
                "webhooks:\n  allow_hosts: [127.0.0.1]\n");
        raw = new RawHttp(spool.server.port());
        api = new OpenApi(TestJobs.JSON.readTree(raw.send("GET", "/openapi.json", List.of(), null).body()));
        alice = TenantObjects.make(spool, receiver, "alice");
        bob = TenantObjects.make(spool, receiver, "bob");
        var admin = spool.client(spool.adminKey);
        workerKey = admin.createKey("worker", null, "worker").key();
        var revoked = admin.createKey("revoked", "alice", null);
        admin.revokeKey(revoked.id());
        revokedKey = revoked.key();
        for (int i = 0; i < 20; i++) {
            spareKeyIds.add(admin.createKey("spare-" + i, "alice", null).id());
        }
        db = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("spool.db"));
    }

    @AfterAll
    void stop() throws SQLException {
        db.close();
        spool.close();
        receiver.close();
        System.out.println("generated bad-input requests by status: " + statuses);
    }

    // ---------------------------------------------------------------- what must hold

    /**
     * What requests can store, counted: rows of these tables are made or removed only by API
     * calls (background work changes statuses and writes events, deliveries and logs of running
     * jobs, none of which is counted here).
     */
    private String stored() {
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("""
                SELECT (SELECT count(*) FROM jobs), (SELECT count(*) FROM batches), (SELECT count(*) FROM api_keys),
                       (SELECT count(*) FROM api_keys WHERE revoked_at IS NOT NULL), (SELECT count(*) FROM webhook_endpoints),
                       (SELECT count(*) FROM idempotency_keys), (SELECT count(*) FROM artifacts)
                """)) {
            rs.next();
            StringBuilder b = new StringBuilder();
            for (int i = 1; i <= 7; i++) {
                b.append(rs.getLong(i)).append(' ');
            }
            return b.toString();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private void send(Probe probe, Predicate<RawHttp.Answer> errorShape, String shapeName) {
        String before = stored();
        RawHttp.Answer answer = raw.send(probe.method(), probe.target(), probe.headers(), probe.body());
        synchronized (statuses) {
            statuses.merge(answer.status(), 1, Integer::sum);
        }
        assertThat(answer.status()).as("%s answered %s", probe, answer.text()).isLessThan(500);
        boolean refused = answer.status() >= 400 || (answer.status() < 300 && isError(answer, errorShape));
        if (answer.status() >= 400) {
            assertThat(errorShape).as("%s answered %d %s, not %s", probe, answer.status(), answer.text(), shapeName)
                    .accepts(answer);
        }
        if (refused && !probe.method().equals("GET")) {
            assertThat(stored()).as("a refused %s stored something: %s", probe, answer.text()).isEqualTo(before);
        }
    }

    /** Rodin answers some errors with 201 and an {@code error} member; nothing else does. */
    private static boolean isError(RawHttp.Answer answer, Predicate<RawHttp.Answer> errorShape) {
        return answer.status() == 201 && answer.text().contains("\"error\"") && errorShape.test(answer);
    }

    private static JsonNode json(RawHttp.Answer answer) {
        try {
            return TestJobs.JSON.readTree(answer.body());
        } catch (Exception e) {
            return NODES.missingNode();
        }
    }

    private static boolean problem(RawHttp.Answer a) {
        JsonNode p = json(a);
        return String.valueOf(a.header("content-type")).startsWith("application/problem+json")
                && p.path("code").isTextual() && p.path("status").asInt() == a.status() && p.path("title").isTextual();
    }

    // ---------------------------------------------------------------- the native API

    @Test
    void requestsGeneratedFromTheContractAndBrokenNeverGet5xxAndRefusalsStoreNothing() {
        qt().withExamples(NATIVE_REQUESTS).withShrinkCycles(200).withGenerateAttempts(1)
                .forAll(nativeProbes())
                .checkAssert(probe -> send(probe, GeneratedBadInputTest::problem, "problem+json"));
    }

    private Gen<Probe> nativeProbes() {
        List<OpenApi.Operation> ops = api.operations();
        return in -> {
            OpenApi.Operation op = ops.get(choose(in, ops.size()));
            StringBuilder how = new StringBuilder();
            String path = op.template();
            if (path.contains("{id}")) {
                path = path.replace("{id}", id(in, op, how));
            }
            if (path.contains("{name}")) {
                path = path.replace("{name}", chance(in, 60) ? TenantObjects.FILE : segment(in, how));
            }
            String target = path + query(in, op, how);
            List<String[]> headers = new ArrayList<>();
            String auth = auth(in, op, how);
            if (auth != null) {
                headers.add(new String[] {"Authorization", auth});
            }
            byte[] body = null;
            if (!op.bodies().isEmpty() || chance(in, 10)) {
                JsonNode schema = op.bodies().getOrDefault("application/json", NODES.objectNode());
                body = body(in, api.instance(schema, hints()), how);
                String declared = op.bodies().isEmpty() ? "application/json" : op.bodies().keySet().iterator().next();
                String type = contentType(in, declared, how);
                if (type != null) {
                    headers.add(new String[] {"Content-Type", type});
                }
            }
            return new Probe(op.method().toUpperCase(Locale.ROOT), target, headers, body, how.toString());
        };
    }

    private Map<String, JsonNode> hints() {
        return Map.of("type", NODES.textNode("echo"), "url", NODES.textNode(receiver.url("/generated")),
                "input", NODES.objectNode(), "wait_seconds", NODES.numberNode(0));
    }

    /** A real object's id of any kind (alice's, bob's, a spare key), or an odd one. */
    private String id(RandomnessSource in, OpenApi.Operation op, StringBuilder how) {
        int pick = choose(in, 10);
        if (pick < 6) {
            TenantObjects owner = pick < 5 ? alice : bob;
            List<String> kinds = new ArrayList<>(owner.ids().keySet());
            kinds.remove(TenantObjects.KEY); // revoking alice's own key would only turn later requests into 401s
            String kind = kinds.get(choose(in, kinds.size()));
            how.append("[id: ").append(owner.tenant()).append("'s ").append(kind).append("] ");
            return owner.id(kind);
        }
        if (pick == 6) {
            return spareKeyIds.get(choose(in, spareKeyIds.size()));
        }
        return segment(in, how);
    }

    private static final List<String> RAW_SEGMENTS = List.of("%", "%2", "%zz", "%25", "..", ".", "%2e%2e", "%00", "a%2Fb",
            "%E0%A4%A", "%C0%AF", "%FF%FE", "%F0%9F%92%A9", "~", "'", "%22%3E%3Cscript%3E", "%0d%0aX-Injected:%201",
            "%20", "+", "job_%ZZ", "01a21cb2-2a0a-7aca-b7f9-8ba207a6b4ec%");

    /** An odd path segment: one of the known troublemakers, or random characters, percent-encoded. */
    private static String segment(RandomnessSource in, StringBuilder how) {
        String s = chance(in, 50) ? RAW_SEGMENTS.get(choose(in, RAW_SEGMENTS.size())) : encode(odd(in));
        how.append("[segment: ").append(s).append("] ");
        return s.isEmpty() ? "%20" : s;
    }

    private static final List<String> ODD_STRINGS = List.of("", " ", "null", "-1", "0", "1e309", "NaN", "true", "[]", "{}",
            "9223372036854775808", "\u0000", "\uFEFF", "😀", "\u202Eevil", "../../etc/passwd", "' OR 1=1 --", "%s%n",
            "a".repeat(300), "x".repeat(5000), "2026-13-45T25:61:61Z", "\\", "\"", "<", "\r\n", "ключ", "日本");

    private static String odd(RandomnessSource in) {
        if (chance(in, 60)) {
            return ODD_STRINGS.get(choose(in, ODD_STRINGS.size()));
        }
        int length = choose(in, 40);
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < length; i++) {
            s.appendCodePoint(chance(in, 70) ? 32 + choose(in, 95) : 128 + choose(in, 0x2FFF));
        }
        return s.toString();
    }

    private static String encode(String s) {
        StringBuilder out = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (Character.isLetterOrDigit(c) && c < 128 || c == '-' || c == '_' || c == '.' || c == '~') {
                out.append((char) c);
            } else {
                out.append('%').append(String.format("%02X", c));
            }
        }
        return out.toString();
    }

    private String query(RandomnessSource in, OpenApi.Operation op, StringBuilder how) {
        List<String> parts = new ArrayList<>();
        for (OpenApi.Param p : op.in("query")) {
            if (!chance(in, p.required() ? 85 : 45)) {
                continue;
            }
            if (p.schema().path("type").asText().equals("object")) { // a deepObject: metadata[KEY]=value
                String key = chance(in, 70) ? "team" : odd(in);
                parts.add(p.name() + "[" + encode(key) + "]=" + encode(chance(in, 50) ? "ml" : odd(in)));
                continue;
            }
            String value = chance(in, 50) ? api.instance(p.schema(), Map.of()).asText() : odd(in);
            if (p.schema().has("enum") && chance(in, 50)) {
                JsonNode values = p.schema().get("enum");
                value = values.get(choose(in, values.size())).asText();
            }
            parts.add(p.name() + "=" + encode(value));
            if (chance(in, 10)) {
                parts.add(p.name() + "=" + encode(value)); // the same value twice
            }
        }
        if (chance(in, 8)) {
            parts.add("colour=" + encode(odd(in)));
        }
        if (chance(in, 4)) {
            parts.add(List.of("a=%", "%=1", "x=%zz", "&&", "=", "limit=%00").get(choose(in, 6)));
        }
        String q = String.join("&", parts);
        if (!q.isEmpty()) {
            how.append("[query] ");
        }
        return q.isEmpty() ? "" : "?" + q;
    }

    private String auth(RandomnessSource in, OpenApi.Operation op, StringBuilder how) {
        String right = op.template().startsWith("/v1/worker/") ? workerKey
                : op.template().startsWith("/v1/keys") || op.template().equals("/v1/workers") ? spool.adminKey
                : alice.key();
        String wrongRole = right.equals(workerKey) ? alice.key() : workerKey;
        int pick = choose(in, 20);
        String[] names = {"right key", "no key", "unknown key", "odd key", "basic auth", "other role", "other tenant", "revoked key"};
        int kind = pick < 13 ? 0 : pick - 12;
        how.append("[auth: ").append(names[kind]).append("] ");
        return switch (kind) {
            case 0 -> "Bearer " + right;
            case 1 -> null;
            case 2 -> "Bearer spool_aaaaaaaaaaaa_" + "b".repeat(30);
            case 3 -> chance(in, 50) ? "Bearer" : "Bearer " + odd(in).replace("\r", "").replace("\n", "");
            case 4 -> "Basic Zm9vOmJhcg==";
            case 5 -> "Bearer " + wrongRole;
            case 6 -> "Bearer " + bob.key();
            default -> "Bearer " + revokedKey;
        };
    }

    private static final List<String> MALFORMED_TYPES = List.of("application/json; charset", "application/json;;;",
            "a/b/c", "application/json; charset=\"", ";", "/", "application/", "text/", "application/json; boundary=\"",
            "application/json; charset=utf-99", "application/json, text/plain", " ", "application/json; q=0.5; q");

    private static String contentType(RandomnessSource in, String declared, StringBuilder how) {
        int pick = choose(in, 20);
        String type = pick < 13 ? declared
                : pick == 13 ? null
                : pick == 14 ? "text/plain"
                : pick <= 16 ? MALFORMED_TYPES.get(choose(in, MALFORMED_TYPES.size()))
                : pick == 17 ? "multipart/form-data"
                : pick == 18 ? "multipart/form-data; boundary=zz"
                : "application/x-www-form-urlencoded";
        if (pick >= 13) {
            how.append("[content-type: ").append(type).append("] ");
        }
        return type;
    }

    enum Mutation {
        NONE, DROP_FIELD, UNKNOWN_FIELD, WRONG_TYPE, HUGE_STRING, LONG_STRING, ODD_STRING, DEEP_NESTING, TRUNCATED,
        NOT_UTF8, EMPTY, ARRAY, SCALAR, DUPLICATE_FIELD, NESTED_GARBAGE
    }

    private static final List<JsonNode> WRONG_VALUES = List.of(NODES.numberNode(123), NODES.textNode("str"),
            NODES.booleanNode(true), NODES.nullNode(), NODES.arrayNode(), NODES.objectNode(), NODES.numberNode(1.5),
            NODES.numberNode(-1), NODES.numberNode(new BigInteger("92233720368547758070")), NODES.numberNode(1e300),
            NODES.numberNode(0), NODES.arrayNode().add("a").add(1));

    private static byte[] body(RandomnessSource in, JsonNode valid, StringBuilder how) {
        Mutation m = Mutation.values()[choose(in, Mutation.values().length)];
        how.append("[body: ").append(m).append("] ");
        ObjectNode o = valid.isObject() ? ((ObjectNode) valid).deepCopy() : NODES.objectNode();
        List<String> fields = new ArrayList<>();
        o.fieldNames().forEachRemaining(fields::add);
        String field = fields.isEmpty() ? "type" : fields.get(choose(in, fields.size()));
        String text = switch (m) {
            case NONE -> valid.toString();
            case DROP_FIELD -> {
                o.remove(field);
                yield o.toString();
            }
            case UNKNOWN_FIELD -> o.put("zz_unknown", 1).toString();
            case WRONG_TYPE -> o.set(field, WRONG_VALUES.get(choose(in, WRONG_VALUES.size()))).toString();
            case HUGE_STRING -> o.put(field, "a".repeat(70_000)).toString();
            case LONG_STRING -> o.put(field, "é".repeat(5_000)).toString();
            case ODD_STRING -> o.put(field, odd(in)).toString();
            case DEEP_NESTING -> {
                int depth = chance(in, 50) ? 1_500 : 10_000;
                yield "{\"" + field + "\": " + "[".repeat(depth) + "]".repeat(depth) + "}";
            }
            case TRUNCATED -> {
                String s = o.toString();
                yield s.substring(0, Math.max(0, s.length() / 2));
            }
            case NOT_UTF8 -> null;
            case EMPTY -> "";
            case ARRAY -> "[" + o + "]";
            case SCALAR -> List.of("42", "\"x\"", "null", "true", "-0", "1e999").get(choose(in, 6));
            case DUPLICATE_FIELD -> {
                String s = o.toString();
                yield s.length() > 2 ? "{\"" + field + "\": 1, " + s.substring(1) : s;
            }
            case NESTED_GARBAGE -> {
                Iterator<Map.Entry<String, JsonNode>> it = o.fields();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> e = it.next();
                    if (e.getValue().isObject()) {
                        ((ObjectNode) e.getValue()).set("zz", WRONG_VALUES.get(choose(in, WRONG_VALUES.size())));
                    }
                }
                yield o.toString();
            }
        };
        if (text == null) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.writeBytes(("{\"" + field + "\": \"").getBytes(StandardCharsets.UTF_8));
            b.writeBytes(new byte[] {(byte) 0xC3, (byte) 0x28, (byte) 0xFF, (byte) 0xE2, (byte) 0x82});
            b.writeBytes("\"}".getBytes(StandardCharsets.UTF_8));
            return b.toByteArray();
        }
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static int choose(RandomnessSource in, int n) {
        return n <= 1 ? 0 : (int) in.next(Constraint.between(0, n - 1));
    }

    private static boolean chance(RandomnessSource in, int percent) {
        return in.next(Constraint.between(0, 99)) < percent;
    }

    // ---------------------------------------------------------------- the vendors' profiles

    /** A profile route: its method, its path under /compat/vendor, and a body that it would take. */
    record VendorRoute(String vendor, String method, String path, String body) {}

    private List<VendorRoute> vendorRoutes() {
        String hook = receiver.url("/vendor");
        return List.of(
                new VendorRoute("hamsa", "POST", "/v1/jobs/transcribe", """
                        {"mediaUrl": "https://media.example/talk.mp3", "model": "Hamsa-General-V2.0", "language": "en",
                         "webhookUrl": "%s"}""".formatted(hook)),
                new VendorRoute("hamsa", "POST", "/v2/jobs", """
                        {"mediaUrl": "https://media.example/talk.mp3", "model": "Hamsa-General-V2.0", "language": "en"}"""),
                new VendorRoute("hamsa", "POST", "/v1/jobs/text-to-speech", """
                        {"text": "hello", "voiceId": "v1", "language": "en"}"""),
                new VendorRoute("hamsa", "POST", "/v2/jobs/generate-transcription-ai-content", """
                        {"jobId": "{id}", "aiParts": ["summary"]}"""),
                new VendorRoute("hamsa", "POST", "/v1/jobs/all?projectId=p", "{\"status\": \"FAILED\", \"search\": \"talk\", \"take\": 5}"),
                new VendorRoute("hamsa", "GET", "/v1/jobs?jobId={id}", null),
                new VendorRoute("hamsa", "GET", "/v2/jobs/view/{id}?projectId=p", null),
                new VendorRoute("hamsa", "GET", "/v1/projects/by-api-key", null),
                new VendorRoute("hume", "GET", "/v0/batch/jobs?limit=5&status=COMPLETED", null),
                new VendorRoute("hume", "POST", "/v0/batch/jobs", """
                        {"urls": ["https://media.example/faces.zip"], "models": {"face": {"fps_pred": 1}},
                         "callback_url": "%s", "notify": false}""".formatted(hook)),
                new VendorRoute("hume", "GET", "/v0/batch/jobs/{id}", null),
                new VendorRoute("hume", "GET", "/v0/batch/jobs/{id}/predictions", null),
                new VendorRoute("hume", "GET", "/v0/batch/jobs/{id}/artifacts", null),
                new VendorRoute("rodin", "POST", "/api/v2/rodin", "{\"prompt\": \"a chair\", \"seed\": 42}"),
                new VendorRoute("rodin", "POST", "/api/v2/status", "{\"subscription_key\": \"{id}\"}"),
                new VendorRoute("rodin", "POST", "/api/v2/download", "{\"task_uuid\": \"{id}\"}"),
                new VendorRoute("rodin", "GET", "/api/v2/check_balance", null),
                new VendorRoute("rodin", "POST", "/api/v2/check_balance", "{}"),
                new VendorRoute("gepetto", "POST", "/v1/redesign", """
                        {"url": "https://img.example/room.jpg", "roomId": "living", "styleId": "modern", "webhook": "%s"}""".formatted(hook)),
                new VendorRoute("gepetto", "POST", "/v1/furnish", """
                        {"url": "https://img.example/room.jpg", "roomId": "living", "styleId": "modern", "webhook": "%s"}""".formatted(hook)),
                new VendorRoute("gepetto", "POST", "/v1/creative-redesign", """
                        {"url": "https://img.example/room.jpg", "roomId": "living", "styleId": "modern", "webhook": "%s"}""".formatted(hook)),
                new VendorRoute("gepetto", "POST", "/v1/refresh", """
                        {"url": "https://img.example/room.jpg", "webhook": "%s"}""".formatted(hook)),
                new VendorRoute("gepetto", "POST", "/v1/upscale", """
                        {"url": "https://img.example/room.jpg", "webhook": "%s"}""".formatted(hook)),
                new VendorRoute("gepetto", "GET", "/v1/job/{id}", null),
                new VendorRoute("daily", "POST", "/v1/batch-processor", """
                        {"preset": "transcript", "inParams": {"sourceType": "uri", "uri": "https://m.example/a.mp4"}, "outParams": {}}"""),
                new VendorRoute("daily", "GET", "/v1/batch-processor?limit=5", null),
                new VendorRoute("daily", "GET", "/v1/batch-processor/{id}", null),
                new VendorRoute("daily", "GET", "/v1/batch-processor/{id}/access-link", null),
                new VendorRoute("daily", "DELETE", "/v1/batch-processor/{id}", null),
                new VendorRoute("daily", "POST", "/v1/webhooks", "{\"url\": \"%s\", \"eventTypes\": [\"batch-processor.job-finished\"]}".formatted(hook)),
                new VendorRoute("daily", "GET", "/v1/webhooks", null),
                new VendorRoute("daily", "GET", "/v1/webhooks/{id}", null),
                new VendorRoute("daily", "DELETE", "/v1/webhooks/{id}", null));
    }

    /** Each vendor's error body, as its profile documents it (docs/compat/). */
    private static final Map<String, Predicate<RawHttp.Answer>> VENDOR_ERRORS = Map.of(
            "hamsa", a -> json(a).path("success").asBoolean(true) == false && json(a).path("message").isTextual()
                    && json(a).path("messageKey").isTextual(),
            "hume", a -> json(a).path("message").isTextual() || json(a).path("fault").path("faultstring").isTextual(),
            "rodin", a -> json(a).path("error").isTextual() && json(a).path("message").isTextual(),
            "gepetto", a -> json(a).path("error").isTextual(),
            "daily", a -> json(a).path("error").isTextual() && json(a).path("info").isTextual());

    @Test
    void theProfilesAnswerBrokenRequestsInTheirVendorsErrorShapeNeverA5xx() {
        List<VendorRoute> routes = vendorRoutes();
        Map<String, Integer> perVendor = new HashMap<>();
        qt().withExamples(COMPAT_REQUESTS).withShrinkCycles(200).withGenerateAttempts(1)
                .forAll(in -> vendorProbe(in, routes.get(choose(in, routes.size()))))
                .checkAssert(probe -> {
                    String vendor = probe.target().split("/")[2];
                    perVendor.merge(vendor, 1, Integer::sum);
                    send(probe, VENDOR_ERRORS.get(vendor), vendor + "'s error shape");
                });
        assertThat(perVendor.keySet()).containsExactlyInAnyOrder("hamsa", "hume", "rodin", "gepetto", "daily");
    }

    private Probe vendorProbe(RandomnessSource in, VendorRoute route) {
        StringBuilder how = new StringBuilder();
        String id = chance(in, 40) ? alice.id(TenantObjects.JOB) : chance(in, 30) ? bob.id(TenantObjects.JOB) : segment(in, how);
        String target = "/compat/" + route.vendor() + route.path().replace("{id}", id);
        if (chance(in, 10)) {
            target += (target.contains("?") ? "&" : "?") + "limit=" + encode(odd(in));
        }
        List<String[]> headers = new ArrayList<>();
        int auth = choose(in, 10);
        String key = auth < 7 ? alice.key() : auth == 7 ? bob.key() : auth == 8 ? workerKey : "nope-" + choose(in, 1000);
        if (auth < 9 || chance(in, 50)) {
            headers.add(switch (route.vendor()) {
                case "hamsa" -> new String[] {"Authorization", (chance(in, 50) ? "Token " : "Bearer ") + key};
                case "hume" -> new String[] {"X-Hume-Api-Key", key};
                default -> new String[] {"Authorization", "Bearer " + key};
            });
        }
        byte[] body = null;
        if (route.body() != null || chance(in, 10)) {
            JsonNode valid;
            try {
                valid = TestJobs.JSON.readTree(route.body() == null ? "{}" : route.body().replace("{id}", id));
            } catch (Exception e) {
                valid = NODES.objectNode();
            }
            body = body(in, valid, how);
            String type = contentType(in, "application/json", how);
            if (type != null) {
                headers.add(new String[] {"Content-Type", type});
            }
        }
        return new Probe(route.method(), target, headers, body, how.toString());
    }
}
