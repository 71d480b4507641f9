package dev.spool.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The operations of the OpenAPI document the server serves, read the way a generator needs them:
 * each with its parameters ($refs resolved) and its request bodies by media type.
 */
public final class OpenApi {
    private static final Set<String> METHODS = Set.of("get", "post", "put", "patch", "delete");
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** One parameter: where it goes ({@code path}, {@code query}, {@code header}), and its schema. */
    public record Param(String name, String in, boolean required, JsonNode schema) {}

    /** One operation; {@code bodies} maps a media type to its schema. */
    public record Operation(String method, String template, List<Param> params, Map<String, JsonNode> bodies,
                            boolean open) {
        public List<Param> in(String where) {
            return params.stream().filter(p -> p.in().equals(where)).toList();
        }

        @Override
        public String toString() {
            return method.toUpperCase(Locale.ROOT) + " " + template;
        }
    }

    private final JsonNode document;
    private final List<Operation> operations = new ArrayList<>();

    public OpenApi(JsonNode document) {
        this.document = document;
        for (Iterator<Map.Entry<String, JsonNode>> paths = document.path("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> path = paths.next();
            List<Param> shared = params(path.getValue().path("parameters"));
            for (Iterator<Map.Entry<String, JsonNode>> ops = path.getValue().fields(); ops.hasNext(); ) {
                Map.Entry<String, JsonNode> op = ops.next();
                if (!METHODS.contains(op.getKey())) {
                    continue;
                }
                List<Param> all = new ArrayList<>(shared);
                all.addAll(params(op.getValue().path("parameters")));
                Map<String, JsonNode> bodies = new LinkedHashMap<>();
                JsonNode content = resolve(op.getValue().path("requestBody")).path("content");
                content.fields().forEachRemaining(e -> bodies.put(e.getKey(), resolve(e.getValue().path("schema"))));
                JsonNode security = op.getValue().get("security");
                boolean open = security != null && security.isArray() && security.isEmpty();
                operations.add(new Operation(op.getKey(), path.getKey(), List.copyOf(all), bodies, open));
            }
        }
    }

    public List<Operation> operations() {
        return operations;
    }

    private List<Param> params(JsonNode list) {
        List<Param> out = new ArrayList<>();
        for (JsonNode p : list) {
            JsonNode r = resolve(p);
            out.add(new Param(r.path("name").asText(), r.path("in").asText(), r.path("required").asBoolean(false),
                    resolve(r.path("schema"))));
        }
        return out;
    }

    /** The node a {@code $ref} points at (followed as long as there is one), or the node itself. */
    public JsonNode resolve(JsonNode node) {
        JsonNode n = node;
        while (n != null && n.has("$ref")) {
            n = document.at(n.get("$ref").asText().substring(1));
        }
        return n == null ? NODES.missingNode() : n;
    }

    /**
     * The simplest instance the schema accepts, as far as a test needs one: required properties
     * only, the first of an enum or {@code oneOf}, minimum numbers, one-element arrays where at
     * least one is required. {@code hints} gives values by property name (a job type, a URL).
     */
    public JsonNode instance(JsonNode schema, Map<String, JsonNode> hints) {
        return instance(resolve(schema), hints, 0);
    }

    private JsonNode instance(JsonNode s, Map<String, JsonNode> hints, int depth) {
        if (depth > 8) {
            return NODES.nullNode();
        }
        if (s.has("const")) {
            return s.get("const");
        }
        if (s.has("enum")) {
            return s.get("enum").get(0);
        }
        for (String choice : List.of("oneOf", "anyOf", "allOf")) {
            if (s.has(choice)) {
                return instance(resolve(s.get(choice).get(0)), hints, depth + 1);
            }
        }
        String type = s.path("type").isArray() ? s.path("type").get(0).asText() : s.path("type").asText("object");
        return switch (type) {
            case "object" -> {
                ObjectNode o = NODES.objectNode();
                for (JsonNode required : s.path("required")) {
                    String name = required.asText();
                    o.set(name, hints.containsKey(name) ? hints.get(name)
                            : instance(resolve(s.path("properties").path(name)), hints, depth + 1));
                }
                yield o;
            }
            case "array" -> {
                ArrayNode a = NODES.arrayNode();
                for (int i = 0; i < Math.max(1, s.path("minItems").asInt(0)); i++) {
                    a.add(instance(resolve(s.path("items")), hints, depth + 1));
                }
                yield a;
            }
            case "integer" -> NODES.numberNode(s.path("minimum").asLong(s.path("exclusiveMinimum").asLong(0) + 1));
            case "number" -> NODES.numberNode(s.path("minimum").asDouble(1.0));
            case "boolean" -> NODES.booleanNode(true);
            case "null" -> NODES.nullNode();
            default -> NODES.textNode("x".repeat(Math.max(1, s.path("minLength").asInt(1))));
        };
    }
}
