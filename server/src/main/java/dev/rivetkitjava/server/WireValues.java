package dev.rivetkitjava.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import dev.rivetkitjava.actor.ActorError;
import dev.rivetkitjava.protocol.ClientProtocol;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Java values ↔ the protocol's JSON trees, and the base64 CBOR the gateway and actors API carry
 * inputs in.
 */
final class WireValues {
    private final ObjectMapper json;
    private final CBORMapper cbor = new CBORMapper();

    WireValues(ObjectMapper json) {
        this.json = json;
    }

    ObjectMapper json() {
        return json;
    }

    /** An action's result or an event argument as a tree the codecs write. */
    JsonNode tree(@Nullable Object value) {
        return value == null ? NullNode.getInstance() : json.valueToTree(value);
    }

    ArrayNode array(List<Object> values) {
        ArrayNode array = json.createArrayNode();
        values.forEach(v -> array.add(tree(v)));
        return array;
    }

    byte[] bytes(JsonNode tree) {
        try {
            return json.writeValueAsBytes(tree);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a JSON tree", e);
        }
    }

    /**
     * A gateway-level error as RivetKit's JSON body: {@code group}, {@code code}, {@code message},
     * {@code metadata}.
     */
    ObjectNode error(ActorError error) {
        ObjectNode body =
                json.createObjectNode()
                        .put("group", error.group())
                        .put("code", error.code())
                        .put("message", error.getMessage());
        if (!error.metadata().isEmpty()) {
            body.set("metadata", tree(error.metadata()));
        }
        return body;
    }

    /**
     * Action arguments as the runtime takes them: each element a tree it converts to the action's
     * types.
     */
    static List<Object> arguments(@Nullable JsonNode args) {
        List<Object> list = new ArrayList<>();
        if (args == null || args.isNull()) {
            return list;
        }
        if (args.isArray()) {
            args.forEach(list::add);
        } else {
            list.add(args);
        }
        return list;
    }

    /**
     * Decodes {@code rvt-input} (base64url, no padding) or the actors API's {@code input} (standard
     * base64).
     */
    JsonNode decodeBase64Cbor(String encoded, boolean urlSafe) {
        try {
            byte[] bytes = (urlSafe ? Base64.getUrlDecoder() : Base64.getDecoder()).decode(encoded);
            return ClientProtocol.reviveWireValue(cbor.readTree(bytes));
        } catch (IllegalArgumentException | IOException e) {
            throw new ActorError(
                    "actor", "invalid_request", "The actor input is not base64-encoded CBOR.");
        }
    }

    /**
     * Connection params from {@code x-rivet-conn-params} or the {@code rivet_conn_params.}
     * subprotocol.
     */
    @Nullable JsonNode params(@Nullable String text, int maxBytes) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        if (text.length() > maxBytes) {
            throw new ActorError(
                    "actor",
                    "invalid_request",
                    "Connection params are larger than " + maxBytes + " bytes.");
        }
        try {
            return json.readTree(text);
        } catch (IOException e) {
            throw new ActorError(
                    "actor", "invalid_request", "Connection params are not valid JSON.");
        }
    }
}
