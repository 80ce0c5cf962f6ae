package dev.rivetkitjava.sandboxagent.persist;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * A session as the SDK persists it; field names and meaning as npm {@code sandbox-agent@0.4.2}'s
 * {@code SessionRecord}.
 *
 * @param id the local session id (stable across restores)
 * @param agentSessionId the agent's session id of the current binding; changes when the session is
 *     restored
 * @param lastConnectionId the SDK connection that last bound the session
 * @param createdAt epoch milliseconds
 * @param destroyedAt epoch milliseconds, or null while the session is alive
 * @param sessionInit the ACP {@code session/new} params used to (re)create it, or null
 * @param configOptions the agent's config options as last reported, or null
 * @param modes the agent's mode state as last reported, or null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record SessionRecord(
        String id,
        String agent,
        String agentSessionId,
        String lastConnectionId,
        long createdAt,
        Long destroyedAt,
        String sandboxId,
        JsonNode sessionInit,
        JsonNode configOptions,
        JsonNode modes) {

    public SessionRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(agent, "agent");
    }

    public SessionRecord withBinding(String agentSessionId, String lastConnectionId) {
        return new SessionRecord(
                id,
                agent,
                agentSessionId,
                lastConnectionId,
                createdAt,
                null,
                sandboxId,
                sessionInit,
                configOptions,
                modes);
    }

    public SessionRecord withDestroyedAt(Long destroyedAt) {
        return new SessionRecord(
                id,
                agent,
                agentSessionId,
                lastConnectionId,
                createdAt,
                destroyedAt,
                sandboxId,
                sessionInit,
                configOptions,
                modes);
    }

    public SessionRecord withConfigOptions(JsonNode configOptions) {
        return new SessionRecord(
                id,
                agent,
                agentSessionId,
                lastConnectionId,
                createdAt,
                destroyedAt,
                sandboxId,
                sessionInit,
                configOptions,
                modes);
    }

    public SessionRecord withModes(JsonNode modes) {
        return new SessionRecord(
                id,
                agent,
                agentSessionId,
                lastConnectionId,
                createdAt,
                destroyedAt,
                sandboxId,
                sessionInit,
                configOptions,
                modes);
    }
}
