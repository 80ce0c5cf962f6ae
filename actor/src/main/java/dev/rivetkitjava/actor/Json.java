package dev.rivetkitjava.actor;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import org.jspecify.annotations.Nullable;

/**
 * The registry's one JSON mapper, with the conversions the runtime needs and the errors they raise.
 */
final class Json {
    private final ObjectMapper mapper;

    Json(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    static ObjectMapper defaultMapper() {
        // Buffers from a shared pool: the default keeps them per thread, and actions run on
        // virtual threads made for each call, so every state serialisation allocated them afresh
        // (70 % of a busy server's allocations). State written by an older class version may carry
        // fields the new one dropped.
        return JsonMapper.builder(
                        JsonFactory.builder()
                                .recyclerPool(JsonRecyclerPools.sharedConcurrentDequePool())
                                .build())
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .findAndAddModules()
                .build();
    }

    ObjectMapper mapper() {
        return mapper;
    }

    /** {@code value} as {@code type}: as is when it already is one, else through JSON. */
    <T> @Nullable T convert(@Nullable Object value, Class<T> type, String what) {
        if (value == null) {
            return null;
        }
        if (type.isInstance(value)) {
            return type.cast(value);
        }
        try {
            return mapper.convertValue(value, type);
        } catch (IllegalArgumentException e) {
            throw ActorErrors.invalidRequest(
                    "Cannot read "
                            + what
                            + " as "
                            + type.getSimpleName()
                            + ": "
                            + firstLine(e.getMessage()),
                    e);
        }
    }

    JsonNode tree(Object value) {
        return value instanceof JsonNode node ? node : mapper.valueToTree(value);
    }

    byte[] write(@Nullable Object value) {
        try {
            return mapper.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new IllegalStateException(
                    "cannot write JSON for "
                            + (value == null ? "null" : value.getClass().getName()),
                    e);
        }
    }

    JsonNode readTree(byte[] bytes) throws IOException {
        return mapper.readTree(bytes);
    }

    <T> T read(JsonNode node, Class<T> type) throws IOException {
        return mapper.treeToValue(node, type);
    }

    private static String firstLine(@Nullable String message) {
        if (message == null) {
            return "";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
