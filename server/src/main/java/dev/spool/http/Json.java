package dev.spool.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import dev.spool.job.ErrorCode;
import dev.spool.job.SpoolException;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reading request bodies strictly (unknown fields, wrong types and trailing data are errors with a
 * message that names the field) and writing answers.
 */
public final class Json {
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .withCoercionConfig(LogicalType.Textual, c -> c
                    .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
            .build();

    private Json() {}

    static <T> T read(byte[] body, Class<T> type) {
        return convert(tree(body), type);
    }

    /** Parses a body that must be one JSON object. */
    public static JsonNode tree(byte[] body) {
        if (body.length == 0) {
            throw new SpoolException(ErrorCode.INVALID_JSON, "The body is empty; send a JSON object.");
        }
        JsonNode tree;
        try {
            tree = MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            var where = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr() + ")";
            throw new SpoolException(ErrorCode.INVALID_JSON, "The body is not valid JSON: "
                    + e.getOriginalMessage().lines().findFirst().orElse("") + where + ".");
        } catch (IOException e) {
            throw new SpoolException(ErrorCode.INVALID_JSON, "The body could not be read: " + e.getMessage());
        }
        if (tree == null || !tree.isObject()) {
            throw SpoolException.invalid("The body must be a JSON object.");
        }
        return tree;
    }

    /** Binds a parsed body to a request record, naming the field at fault when it does not fit. */
    static <T> T convert(JsonNode tree, Class<T> type) {
        try {
            return MAPPER.treeToValue(tree, type);
        } catch (UnrecognizedPropertyException e) {
            var known = e.getKnownPropertyIds() == null ? "" : " Known fields: " + e.getKnownPropertyIds().stream()
                    .map(Object::toString).sorted().collect(Collectors.joining(", ")) + ".";
            throw SpoolException.invalid("Unknown field '" + path(e.getPath()) + "'." + known);
        } catch (MismatchedInputException e) {
            throw SpoolException.invalid("Field '" + path(e.getPath()) + "' must be " + expected(e.getTargetType()) + ".");
        } catch (JsonMappingException e) {
            if (e.getCause() instanceof SpoolException spool) {
                throw spool;
            }
            throw SpoolException.invalid("Field '" + path(e.getPath()) + "' is not valid: "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getOriginalMessage()));
        } catch (JsonProcessingException e) {
            throw SpoolException.invalid("The body does not fit the request: " + e.getOriginalMessage());
        }
    }

    private static String path(List<JsonMappingException.Reference> path) {
        StringBuilder sb = new StringBuilder();
        for (var ref : path) {
            if (ref.getFieldName() != null) {
                sb.append(sb.isEmpty() ? "" : ".").append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.isEmpty() ? "(body)" : sb.toString();
    }

    private static String expected(Class<?> type) {
        if (type == null) {
            return "of another type";
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "an integer";
        }
        if (type == String.class) {
            return "a string";
        }
        if (Map.class.isAssignableFrom(type) || type.isRecord() || type == JsonNode.class) {
            return "an object";
        }
        if (List.class.isAssignableFrom(type)) {
            return "an array";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        return "a " + type.getSimpleName();
    }

    public static byte[] bytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
