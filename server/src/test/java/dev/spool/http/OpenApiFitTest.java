package dev.spool.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spool.testing.TestJobs;
import dev.spool.testing.TestServer;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The served OpenAPI document is fit for client generators (the Python and TypeScript SDKs' types
 * are generated from it): what the server returns is open to additive change, every body has a
 * named schema, the metadata filter is a deepObject, and {@code servers} says where the API is.
 * (The contract tests still refuse undocumented response fields: {@code ContractCheck} closes the
 * schemas it validates with.)
 */
class OpenApiFitTest {
    @TempDir
    Path dir;

    @Test
    void noSchemaReachableFromAResponseIsClosedToNewFields() throws Exception {
        try (TestServer spool = new TestServer(dir, Map.of())) {
            JsonNode doc = document(spool, "/openapi.json");
            List<String> closed = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            forEachBody(doc, "responses", (where, schema) -> walk(doc, schema, where, seen, closed));
            assertThat(closed).as("response schemas with additionalProperties: false (a new field would break generated clients)")
                    .isEmpty();
            assertThat(seen).as("the walk reached the schemas").contains("#/components/schemas/Job", "#/components/schemas/Problem");
        }
    }

    @Test
    void everyJsonBodyHasANamedSchema() throws Exception {
        try (TestServer spool = new TestServer(dir, Map.of())) {
            JsonNode doc = document(spool, "/openapi.json");
            List<String> inline = new ArrayList<>();
            int[] bodies = {0};
            for (String part : List.of("responses", "requestBody")) {
                forEachBody(doc, part, (where, schema) -> {
                    bodies[0]++;
                    boolean object = schema.has("properties") || "object".equals(schema.path("type").asText());
                    if (object && !schema.has("$ref")) {
                        inline.add(where);
                    }
                });
            }
            assertThat(bodies[0]).isGreaterThan(100);
            assertThat(inline).as("bodies whose object schema is written in place instead of named under components/schemas").isEmpty();
        }
    }

    @Test
    void theMetadataFilterIsADeepObject() throws Exception {
        try (TestServer spool = new TestServer(dir, Map.of())) {
            JsonNode doc = document(spool, "/openapi.json");
            int found = 0;
            for (JsonNode p : doc.at("/paths/~1v1~1jobs/get/parameters")) {
                JsonNode param = p.has("$ref") ? doc.at(p.get("$ref").asText().substring(1)) : p;
                assertThat(param.path("name").asText()).doesNotContain("[");
                if (param.path("name").asText().equals("metadata")) {
                    found++;
                    assertThat(param.path("style").asText()).isEqualTo("deepObject");
                    assertThat(param.path("explode").asBoolean()).isTrue();
                    assertThat(param.at("/schema/type").asText()).isEqualTo("object");
                }
            }
            assertThat(found).isEqualTo(1);
        }
    }

    @Test
    void serversIsTheAddressTheDocumentWasFetchedFromOrTheConfiguredPublicUrl() throws Exception {
        try (TestServer spool = new TestServer(dir.resolve("a"), Map.of())) {
            JsonNode doc = document(spool, "/openapi.json");
            assertThat(doc.at("/servers/0/url").asText()).isEqualTo("http://127.0.0.1:" + spool.server.port());
        }
        try (TestServer spool = new TestServer(dir.resolve("b"), Map.of("http.public_url", "https://jobs.example.com/spool/"))) {
            JsonNode doc = document(spool, "/openapi.json");
            assertThat(doc.at("/servers/0/url").asText()).isEqualTo("https://jobs.example.com/spool");
            assertThat(doc.path("servers")).hasSize(1);
        }
    }

    private static JsonNode document(TestServer spool, String path) throws Exception {
        HttpResponse<byte[]> res = spool.send(spool.request(path, null).GET());
        assertThat(res.statusCode()).isEqualTo(200);
        return TestJobs.JSON.readTree(res.body());
    }

    /** Calls {@code each} with every JSON body schema of the operations' {@code part} (responses or requestBody). */
    private static void forEachBody(JsonNode doc, String part, java.util.function.BiConsumer<String, JsonNode> each) {
        for (Iterator<Map.Entry<String, JsonNode>> paths = doc.path("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> path = paths.next();
            for (Iterator<Map.Entry<String, JsonNode>> ops = path.getValue().fields(); ops.hasNext(); ) {
                Map.Entry<String, JsonNode> op = ops.next();
                List<Map.Entry<String, JsonNode>> answers = new ArrayList<>();
                if (part.equals("responses")) {
                    op.getValue().path("responses").fields().forEachRemaining(answers::add);
                } else if (op.getValue().has("requestBody")) {
                    answers.add(Map.entry("body", op.getValue().get("requestBody")));
                }
                for (Map.Entry<String, JsonNode> answer : answers) {
                    JsonNode a = answer.getValue();
                    if (a.has("$ref")) {
                        a = doc.at(a.get("$ref").asText().substring(1));
                    }
                    for (Iterator<Map.Entry<String, JsonNode>> media = a.path("content").fields(); media.hasNext(); ) {
                        Map.Entry<String, JsonNode> m = media.next();
                        if (m.getKey().contains("json") || m.getKey().startsWith("multipart")) {
                            each.accept(op.getKey().toUpperCase() + " " + path.getKey() + " " + answer.getKey() + " " + m.getKey(),
                                    m.getValue().path("schema"));
                        }
                    }
                }
            }
        }
    }

    private static void walk(JsonNode doc, JsonNode schema, String where, Set<String> seen, List<String> closed) {
        if (schema == null || !schema.isObject()) {
            return;
        }
        if (schema.has("$ref")) {
            String ref = schema.get("$ref").asText();
            if (seen.add(ref)) {
                walk(doc, doc.at(ref.substring(1)), ref, seen, closed);
            }
            return;
        }
        JsonNode extra = schema.get("additionalProperties");
        if (extra != null && extra.isBoolean() && !extra.asBoolean()) {
            closed.add(where);
        }
        if (extra != null && extra.isObject()) {
            walk(doc, extra, where + "/additionalProperties", seen, closed);
        }
        schema.path("properties").fields().forEachRemaining(p -> walk(doc, p.getValue(), where + "/" + p.getKey(), seen, closed));
        walk(doc, schema.get("items"), where + "[]", seen, closed);
        for (String combo : List.of("oneOf", "anyOf", "allOf")) {
            int i = 0;
            for (JsonNode branch : schema.path(combo)) {
                walk(doc, branch, where + "/" + combo + i++, seen, closed);
            }
        }
    }
}
