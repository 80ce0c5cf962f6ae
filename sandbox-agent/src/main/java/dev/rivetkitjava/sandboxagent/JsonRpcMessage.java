package dev.rivetkitjava.sandboxagent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.jspecify.annotations.Nullable;

/** A JSON-RPC 2.0 envelope as ACP uses it, keeping the raw object (it is what gets persisted). */
sealed interface JsonRpcMessage {

    ObjectNode envelope();

    record Request(JsonNode id, String method, JsonNode params, ObjectNode envelope)
            implements JsonRpcMessage {}

    record Notification(String method, JsonNode params, ObjectNode envelope)
            implements JsonRpcMessage {}

    record Response(JsonNode id, JsonNode result, JsonNode error, ObjectNode envelope)
            implements JsonRpcMessage {}

    /**
     * @throws IllegalArgumentException when the JSON is not one of the three shapes
     */
    static JsonRpcMessage parse(JsonNode json) {
        if (!(json instanceof ObjectNode envelope)) {
            throw new IllegalArgumentException(
                    "a JSON-RPC message is a JSON object, got " + json.getNodeType());
        }
        JsonNode method = envelope.get("method");
        JsonNode id = envelope.get("id");
        boolean hasId = id != null && !id.isNull() && (id.isTextual() || id.isIntegralNumber());
        if (method != null && method.isTextual()) {
            JsonNode params = envelope.path("params");
            return hasId
                    ? new Request(id, method.asText(), params, envelope)
                    : new Notification(method.asText(), params, envelope);
        }
        if (method == null && hasId && (envelope.has("result") || envelope.has("error"))) {
            return new Response(id, envelope.get("result"), envelope.get("error"), envelope);
        }
        throw new IllegalArgumentException("neither a JSON-RPC request, notification nor response");
    }

    /** A key for an id that keeps its type: {@code 1} and {@code "1"} differ. */
    static String idKey(JsonNode id) {
        return id.toString();
    }

    static ObjectNode request(long id, String method, JsonNode params) {
        ObjectNode envelope =
                Json.MAPPER
                        .createObjectNode()
                        .put("jsonrpc", "2.0")
                        .put("id", id)
                        .put("method", method);
        envelope.set("params", params);
        return envelope;
    }

    static ObjectNode notification(String method, JsonNode params) {
        ObjectNode envelope =
                Json.MAPPER.createObjectNode().put("jsonrpc", "2.0").put("method", method);
        envelope.set("params", params);
        return envelope;
    }

    static ObjectNode response(JsonNode id, @Nullable JsonNode result) {
        ObjectNode envelope = Json.MAPPER.createObjectNode().put("jsonrpc", "2.0");
        envelope.set("id", id);
        envelope.set("result", result);
        return envelope;
    }
}
