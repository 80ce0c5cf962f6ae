package dev.rivetkitjava.sandboxagent;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The agent asks permission for a tool call; answer with {@link SandboxAgent#respondPermission}.
 *
 * @param id the SDK's id for this request (a UUID)
 * @param sessionId the local session id
 * @param agentSessionId the agent's session id, or null when the session is no longer bound
 * @param options the agent's options, {@code [{optionId, name, kind}]}
 * @param toolCall the tool call the agent asks about, or null when it names none
 * @param rawRequest the agent's JSON-RPC request
 */
public record PermissionRequest(
        String id,
        long createdAt,
        String sessionId,
        @Nullable String agentSessionId,
        List<PermissionReply> availableReplies,
        JsonNode options,
        @Nullable JsonNode toolCall,
        JsonNode rawRequest) {

    public PermissionRequest {
        availableReplies = List.copyOf(availableReplies);
    }
}
