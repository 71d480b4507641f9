package dev.spool.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Checks an HTTP answer against the OpenAPI document the server ships: the route and status must
 * be documented, and a JSON body must satisfy the schema documented for it. The document's schemas
 * are JSON Schema 2020-12 (OpenAPI 3.1), so one validator resolves them in place.
 */
public final class ContractCheck {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonSchemaFactory SCHEMAS = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);

    private final ObjectNode document;
    private final Map<String, JsonSchema> compiled = new ConcurrentHashMap<>();
    private final AtomicInteger checked = new AtomicInteger();

    public ContractCheck() {
        try (InputStream in = ContractCheck.class.getResourceAsStream("/openapi.yaml")) {
            document = (ObjectNode) new ObjectMapper(new YAMLFactory()).readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** How many answers were checked so far: tests assert it grew, so the check cannot pass by never running. */
    public int checked() {
        return checked.get();
    }

    public void check(HttpResponse<byte[]> response) {
        String method = response.request().method().toLowerCase(Locale.ROOT);
        String path = response.request().uri().getPath();
        int status = response.statusCode();
        String contentType = response.headers().firstValue("content-type").orElse("");
        String where = method.toUpperCase(Locale.ROOT) + " " + path + " -> " + status;

        if (path.startsWith("/compat/")) {
            return; // the vendors' own contracts, checked by the compatibility tests
        }
        String template = template(path);
        JsonNode operation = template == null ? null : document.path("paths").path(template).path(method);
        JsonNode documented;
        String pointer;
        if (operation == null || operation.isMissingNode()) {
            // Unknown routes answer 404 with a problem; nothing else may be undocumented.
            assertThat(status).as("undocumented route %s", where).isEqualTo(404);
            documented = document.at("/components/responses/Problem");
            pointer = "/components/responses/Problem";
        } else {
            documented = operation.path("responses").path(Integer.toString(status));
            pointer = "/paths/" + escape(template) + "/" + method + "/responses/" + status;
            if (documented.isMissingNode()) {
                fail("status %d is not documented for %s %s", status, method.toUpperCase(Locale.ROOT), template);
            }
            if (documented.has("$ref")) {
                pointer = documented.get("$ref").asText().substring(1);
                documented = document.at(pointer);
            }
        }
        JsonNode content = documented.path("content");
        if (content.isMissingNode()) {
            assertThat(response.body()).as("%s documents no body", where).isEmpty();
            checked.incrementAndGet();
            return;
        }
        String mediaType = contentType.split(";")[0].trim();
        boolean anyType = content.has("*/*");
        assertThat(content.has(mediaType) || anyType)
                .as("%s answered %s; documented: %s", where, mediaType, content.fieldNames().next()).isTrue();
        if (!mediaType.endsWith("json")) {
            checked.incrementAndGet(); // a file's bytes: its media type is documented, there is no JSON to validate
            return;
        }
        String schemaPointer = pointer + "/content/" + escape(mediaType) + "/schema";
        JsonSchema schema = compiled.computeIfAbsent(schemaPointer, this::compile);
        JsonNode body;
        try {
            body = JSON.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError(where + " answered a body that is not JSON", e);
        }
        Set<ValidationMessage> errors = schema.validate(body);
        assertThat(errors).as("%s does not match the OpenAPI document; body: %s", where, body).isEmpty();
        checked.incrementAndGet();
    }

    private JsonSchema compile(String pointer) {
        ObjectNode root = closed(document.deepCopy());
        root.put("$schema", "https://json-schema.org/draft/2020-12/schema");
        root.put("$ref", "#" + pointer);
        JsonSchema schema = SCHEMAS.getSchema(root);
        schema.initializeValidators();
        return schema;
    }

    /**
     * The document with every object schema that lists its properties closed to others. The served
     * document leaves answers open to additive change (generated clients must not break on a new
     * field); the tests hold the server to what is documented, so a field it returns undocumented
     * fails here. The parts of an {@code allOf} stay open each, and the whole is closed.
     */
    static ObjectNode closed(ObjectNode doc) {
        Set<JsonNode> parts = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        java.util.List<JsonNode> all = new java.util.ArrayList<>();
        collect(doc, all);
        for (JsonNode node : all) {
            for (JsonNode part : node.path("allOf")) {
                parts.add(part.has("$ref") ? doc.at(part.get("$ref").asText().substring(1)) : part);
            }
        }
        for (JsonNode node : all) {
            if (!(node instanceof ObjectNode o) || parts.contains(o) || o.has("additionalProperties")) {
                continue;
            }
            if (o.has("allOf")) {
                o.put("unevaluatedProperties", false);
            } else if (o.has("properties") && o.get("properties").isObject()) {
                o.put("additionalProperties", false);
            }
        }
        return doc;
    }

    private static void collect(JsonNode node, java.util.List<JsonNode> into) {
        if (node.isContainerNode()) {
            into.add(node);
            node.forEach(child -> collect(child, into));
        }
    }

    private String template(String path) {
        if (document.path("paths").has(path)) {
            return path;
        }
        for (Iterator<String> it = document.path("paths").fieldNames(); it.hasNext(); ) {
            String candidate = it.next();
            if (path.matches("^" + candidate.replaceAll("\\{[^}]+}", "[^/]+") + "$")) {
                return candidate;
            }
        }
        return null;
    }

    private static String escape(String segment) {
        return segment.replace("~", "~0").replace("/", "~1");
    }
}
