package dev.rivetkitjava.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Java values ↔ the protocol's JSON trees, and RivetKit's one-string key. */
final class Wire {
    private final ObjectMapper mapper;
    private final ObjectMapper ascii;

    Wire(ObjectMapper mapper) {
        this.mapper = mapper;
        // Headers and subprotocols carry JSON; keep them ASCII whatever the user's values hold.
        this.ascii = JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();
    }

    static ObjectMapper defaultMapper() {
        return JsonMapper.builder()
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .build();
    }

    ObjectMapper mapper() {
        return mapper;
    }

    JsonNode tree(Object value) {
        if (value == null) {
            return NullNode.getInstance();
        }
        try {
            return mapper.valueToTree(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "cannot write " + value.getClass().getName() + " as JSON: " + e.getMessage(),
                    e);
        }
    }

    ArrayNode args(Object[] args) {
        ArrayNode array = mapper.createArrayNode();
        if (args != null) {
            for (Object arg : args) {
                array.add(tree(arg));
            }
        }
        return array;
    }

    /** A result or event argument as {@code type}; JSON null (or nothing) is null. */
    @SuppressWarnings("unchecked")
    <T> @Nullable T convert(@Nullable JsonNode node, Class<T> type, String what) {
        if (type == Void.class || type == void.class) {
            return null;
        }
        if (type.isInstance(node)) {
            return (T) node;
        }
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        try {
            return mapper.treeToValue(node, type);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new ClientError(
                    "cannot read " + what + " as " + type.getSimpleName() + ": " + e.getMessage(),
                    e);
        }
    }

    /**
     * Compact JSON, non-ASCII escaped: for {@code x-rivet-conn-params} and the conn-params
     * subprotocol.
     */
    String asciiJson(JsonNode node) {
        try {
            return ascii.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(
                    "cannot write connection params as JSON: " + e.getMessage(), e);
        }
    }

    /**
     * RivetKit's one-string key ({@code serializeActorKey}): {@code /}-joined, {@code \} and {@code
     * /} escaped, empty as {@code \0}.
     */
    static String serializeKey(List<String> key) {
        if (key.isEmpty()) {
            return "/";
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < key.size(); i++) {
            if (i > 0) {
                out.append('/');
            }
            String part = key.get(i);
            if (part.isEmpty()) {
                out.append("\\0");
            } else {
                out.append(part.replace("\\", "\\\\").replace("/", "\\/"));
            }
        }
        return out.toString();
    }
}
