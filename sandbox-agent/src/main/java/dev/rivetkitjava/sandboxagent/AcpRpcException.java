package dev.rivetkitjava.sandboxagent;

import com.fasterxml.jackson.databind.JsonNode;

/** The agent answered a JSON-RPC request with an error. */
public final class AcpRpcException extends SandboxAgentException {

    private final int code;
    private final String rpcMessage;
    private final JsonNode data;

    public AcpRpcException(int code, String rpcMessage, JsonNode data) {
        super(label(code) + ": " + rpcMessage);
        this.code = code;
        this.rpcMessage = rpcMessage;
        this.data = data;
    }

    public int code() {
        return code;
    }

    /** The agent's own message, without the code's label. */
    public String rpcMessage() {
        return rpcMessage;
    }

    /** The error's {@code data}, or null. */
    public JsonNode data() {
        return data;
    }

    private static String label(int code) {
        return switch (code) {
            case -32700 -> "Parse error";
            case -32600 -> "Invalid request";
            case -32601 -> "Method not supported by agent";
            case -32602 -> "Invalid parameters";
            case -32603 -> "Internal agent error";
            case -32000 -> "Authentication required";
            case -32002 -> "Resource not found";
            default -> "Agent error " + code;
        };
    }
}
