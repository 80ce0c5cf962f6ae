package dev.rivetkitjava.sandboxagent.persist;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

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
        @Nullable String agentSessionId,
        @Nullable String lastConnectionId,
        long createdAt,
        @Nullable Long destroyedAt,
        @Nullable String sandboxId,
        @Nullable JsonNode sessionInit,
        @Nullable JsonNode configOptions,
        @Nullable JsonNode modes) {

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

    public SessionRecord withDestroyedAt(@Nullable Long destroyedAt) {
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

    public SessionRecord withConfigOptions(@Nullable JsonNode configOptions) {
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

    public SessionRecord withModes(@Nullable JsonNode modes) {
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
