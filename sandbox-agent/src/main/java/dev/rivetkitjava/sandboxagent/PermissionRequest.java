package dev.rivetkitjava.sandboxagent;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * The agent asks permission for a tool call; answer with {@link SandboxAgent#respondPermission}.
 *
 * @param id the SDK's id for this request (a UUID)
 * @param sessionId the local session id
 * @param options the agent's options, {@code [{optionId, name, kind}]}
 * @param rawRequest the agent's JSON-RPC request
 */
public record PermissionRequest(
        String id,
        long createdAt,
        String sessionId,
        String agentSessionId,
        List<PermissionReply> availableReplies,
        JsonNode options,
        JsonNode toolCall,
        JsonNode rawRequest) {

    public PermissionRequest {
        availableReplies = List.copyOf(availableReplies);
    }
}
