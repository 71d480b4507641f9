package dev.spool.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spool.client.ListQuery;
import dev.spool.client.SpoolClient;
import dev.spool.testing.TestJobs;
import dev.spool.testing.TestServer;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad requests get a clear 4xx problem, never a 5xx, and a refused request stores nothing. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputTest {
    @TempDir
    static Path dir;

    private TestServer spool;
    private String key;
    private SpoolClient client;

    @BeforeAll
    void start() {
        spool = new TestServer(dir, Map.of("http.max_body_bytes", "65536"));
        key = spool.client(spool.adminKey).createKey("bad-input", "bad-input", null).key();
        client = spool.client(key);
    }

    @AfterAll
    void stop() {
        spool.close();
    }

    static Stream<Arguments> badSubmits() {
        String big = "{\"type\": \"echo\", \"input\": {\"x\": \"" + "a".repeat(70_000) + "\"}}";
        return Stream.of(
                Arguments.of("malformed JSON", "application/json", "{\"type\": \"echo\", ", 400, "invalid_json"),
                Arguments.of("trailing garbage", "application/json", "{\"type\": \"echo\", \"input\": {}} x", 400, "invalid_json"),
                Arguments.of("empty body", "application/json", "", 400, "invalid_json"),
                Arguments.of("not an object", "application/json", "[1, 2]", 400, "invalid_request"),
                Arguments.of("wrong field type", "application/json", "{\"type\": \"echo\", \"input\": {}, \"priority\": \"high\"}", 400, "invalid_request"),
                Arguments.of("float priority", "application/json", "{\"type\": \"echo\", \"input\": {}, \"priority\": 1.5}", 400, "invalid_request"),
                Arguments.of("number as type", "application/json", "{\"type\": 7, \"input\": {}}", 400, "invalid_request"),
                Arguments.of("unknown field", "application/json", "{\"type\": \"echo\", \"input\": {}, \"colour\": 1}", 400, "invalid_request"),
                Arguments.of("duplicate field", "application/json", "{\"type\": \"echo\", \"type\": \"sleep\", \"input\": {}}", 400, "invalid_json"),
                Arguments.of("missing type", "application/json", "{\"input\": {}}", 400, "invalid_request"),
                Arguments.of("missing input", "application/json", "{\"type\": \"echo\"}", 400, "invalid_request"),
                Arguments.of("input not an object", "application/json", "{\"type\": \"echo\", \"input\": [1]}", 400, "invalid_request"),
                Arguments.of("undeclared type", "application/json", "{\"type\": \"transcribe\", \"input\": {}}", 422, "unknown_type"),
                Arguments.of("input fails schema", "application/json", "{\"type\": \"text.stats\", \"input\": {\"text\": 5}}", 422, "invalid_input"),
                Arguments.of("priority out of range", "application/json", "{\"type\": \"echo\", \"input\": {}, \"priority\": 99999}", 400, "invalid_request"),
                Arguments.of("bad metadata key", "application/json", "{\"type\": \"echo\", \"input\": {}, \"metadata\": {\"a b\": \"c\"}}", 400, "invalid_request"),
                Arguments.of("metadata not strings", "application/json", "{\"type\": \"echo\", \"input\": {}, \"metadata\": {\"a\": 1}}", 400, "invalid_request"),
                Arguments.of("bad run_at", "application/json", "{\"type\": \"echo\", \"input\": {}, \"run_at\": \"tomorrow\"}", 400, "invalid_request"),
                Arguments.of("zero attempts", "application/json", "{\"type\": \"echo\", \"input\": {}, \"max_attempts\": 0}", 400, "invalid_request"),
                Arguments.of("not JSON at all", "text/plain", "type=echo", 415, "unsupported_media_type"),
                Arguments.of("body over the limit", "application/json", big, 413, "payload_too_large"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badSubmits")
    void aBadSubmitIsAClearProblemAndStoresNothing(String name, String contentType, String body, int status, String code) {
        int before = stored();
        HttpResponse<byte[]> res = spool.send(spool.request("/v1/jobs", key).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)));

        assertProblem(res, status, code);
        assertThat(stored()).isEqualTo(before);
    }

    @ParameterizedTest(name = "GET {0}")
    @MethodSource("badReads")
    void aBadReadIsAClearProblem(String path, int status, String code) {
        assertProblem(spool.send(spool.request(path, key).GET()), status, code);
    }

    static Stream<Arguments> badReads() {
        return Stream.of(
                Arguments.of("/v1/jobs/not-a-uuid", 404, "not_found"),
                Arguments.of("/v1/jobs/01a20680-a9e6-7d8d-acb3-c605259e14ea", 404, "not_found"),
                Arguments.of("/v1/jobs?limit=1001", 400, "invalid_request"),
                Arguments.of("/v1/jobs?limit=0", 400, "invalid_request"),
                Arguments.of("/v1/jobs?limit=ten", 400, "invalid_request"),
                Arguments.of("/v1/jobs?cursor=bm90LWEtY3Vyc29y", 400, "invalid_cursor"),
                Arguments.of("/v1/jobs?cursor=%25%25", 400, "invalid_cursor"),
                Arguments.of("/v1/jobs?status=done", 400, "invalid_request"),
                Arguments.of("/v1/jobs?colour=red", 400, "invalid_request"),
                Arguments.of("/v1/jobs?created_after=yesterday", 400, "invalid_request"),
                Arguments.of("/v1/batches/nope", 404, "not_found"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badKeys")
    void aMissingOrBadKeyIs401(String name, String header) {
        HttpRequest.Builder request = spool.request("/v1/jobs", null).GET();
        if (header != null) {
            request.header("Authorization", header);
        }
        HttpResponse<byte[]> res = spool.send(request);
        assertProblem(res, 401, "unauthenticated");
        assertThat(res.headers().firstValue("www-authenticate")).contains("Bearer");
    }

    static Stream<Arguments> badKeys() {
        return Stream.of(
                Arguments.of("no header", null),
                Arguments.of("not bearer", "Basic dXNlcjpwYXNz"),
                Arguments.of("malformed key", "Bearer hello"),
                Arguments.of("unknown prefix", "Bearer spool_aaaaaaaaaaaa_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
    }

    @org.junit.jupiter.api.Test
    void aChunkedBodyOverTheLimitIsRefusedWithoutALengthToGoBy() {
        int before = stored();
        byte[] big = ("{\"type\": \"echo\", \"input\": {\"x\": \"" + "a".repeat(100_000) + "\"}}").getBytes(StandardCharsets.UTF_8);
        HttpResponse<byte[]> res = spool.send(spool.request("/v1/jobs", key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big))));

        assertProblem(res, 413, "payload_too_large");
        assertThat(stored()).isEqualTo(before);
    }

    @org.junit.jupiter.api.Test
    void aKnownPrefixWithAWrongSecretIs401() {
        String wrong = key.substring(0, key.lastIndexOf('_') + 1) + "a".repeat(32);
        assertProblem(spool.send(spool.request("/v1/jobs", wrong).GET()), 401, "unauthenticated");
    }

    /** The three causes of 500s the first generated run found; each is a 4xx problem now. */
    static Stream<Arguments> formerFiveHundreds() {
        return Stream.of(
                Arguments.of("POST", "/v1/jobs", "application/json; charset=\"", 400, "invalid_request"),
                Arguments.of("POST", "/v1/jobs", "application/json; boundary=\"", 400, "invalid_request"),
                Arguments.of("POST", "/v1/jobs", "a/b/c", 415, "unsupported_media_type"),
                Arguments.of("GET", "/v1/files/01a20680-a9e6-7d8d-acb3-c605259e14ea/%25?expires=1&sig=x", null, 400, "invalid_request"),
                Arguments.of("GET", "/v1/jobs/01a20680-a9e6-7d8d-acb3-c605259e14ea/artifacts/%25", null, 404, "not_found"),
                Arguments.of("GET", "/v1/events?kind=submitted,submitted&type=zz", null, 200, null));
    }

    @ParameterizedTest(name = "{0} {1} with Content-Type {2}")
    @MethodSource("formerFiveHundreds")
    void malformedContentTypesLoneEscapesAndRepeatedValuesAreTheClientsFault(String method, String target, String type,
                                                                             int status, String code) {
        int before = stored();
        java.util.List<String[]> headers = new java.util.ArrayList<>();
        headers.add(new String[] {"Authorization", "Bearer " + key});
        if (type != null) {
            headers.add(new String[] {"Content-Type", type});
        }
        byte[] body = method.equals("POST") ? "{\"type\": \"echo\", \"input\": {}}".getBytes(StandardCharsets.UTF_8) : null;
        var answer = new dev.spool.testing.RawHttp(spool.server.port()).send(method, target, headers, body);

        assertThat(answer.status()).as(answer.text()).isEqualTo(status);
        if (code != null) {
            assertThat(answer.header("content-type")).startsWith("application/problem+json");
            assertThat(TestJobs.json(answer.text()).get("code").asText()).isEqualTo(code);
        }
        assertThat(stored()).isEqualTo(before + (status == 201 ? 1 : 0));
    }

    private int stored() {
        return client.list(ListQuery.builder().limit(1000).build()).data().size();
    }

    private static void assertProblem(HttpResponse<byte[]> res, int status, String code) {
        String body = new String(res.body(), StandardCharsets.UTF_8);
        assertThat(res.statusCode()).as(body).isEqualTo(status);
        assertThat(res.headers().firstValue("content-type")).contains("application/problem+json");
        var problem = TestJobs.json(body);
        assertThat(problem.get("code").asText()).isEqualTo(code);
        assertThat(problem.get("status").asInt()).isEqualTo(status);
        assertThat(problem.get("detail").asText()).isNotBlank();
    }
}
