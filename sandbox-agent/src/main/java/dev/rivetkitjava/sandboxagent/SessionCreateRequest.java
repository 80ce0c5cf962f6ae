package dev.rivetkitjava.sandboxagent;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What {@link SandboxAgent#createSession} creates.
 *
 * @param id the local session id, or null for a random UUID
 * @param agent the agent id ({@code codex}, {@code claude}, …)
 * @param cwd the working directory, used when {@code sessionInit} has none (default: this process's
 *     directory)
 * @param sessionInit the ACP {@code session/new} params ({@code mcpServers} defaults to {@code
 *     []}), or null
 * @param model a model to select after creation ({@code session/set_config_option model}), or null
 * @param mode a mode to select after creation ({@code session/set_mode}), or null
 * @param thoughtLevel a thought level to select after creation ({@code session/set_config_option
 *     thought_level}), or null
 */
public record SessionCreateRequest(
        @Nullable String id,
        String agent,
        @Nullable String cwd,
        @Nullable JsonNode sessionInit,
        @Nullable String model,
        @Nullable String mode,
        @Nullable String thoughtLevel) {

    public SessionCreateRequest {
        Objects.requireNonNull(agent, "agent");
        if (agent.isBlank()) {
            throw new IllegalArgumentException("createSession requires a non-empty agent");
        }
    }

    public static SessionCreateRequest of(String agent) {
        return new SessionCreateRequest(null, agent, null, null, null, null, null);
    }

    public SessionCreateRequest withId(@Nullable String id) {
        return new SessionCreateRequest(id, agent, cwd, sessionInit, model, mode, thoughtLevel);
    }

    public SessionCreateRequest withCwd(@Nullable String cwd) {
        return new SessionCreateRequest(id, agent, cwd, sessionInit, model, mode, thoughtLevel);
    }

    public SessionCreateRequest withSessionInit(@Nullable JsonNode sessionInit) {
        return new SessionCreateRequest(id, agent, cwd, sessionInit, model, mode, thoughtLevel);
    }

    public SessionCreateRequest withModel(@Nullable String model) {
        return new SessionCreateRequest(id, agent, cwd, sessionInit, model, mode, thoughtLevel);
    }

    public SessionCreateRequest withMode(@Nullable String mode) {
        return new SessionCreateRequest(id, agent, cwd, sessionInit, model, mode, thoughtLevel);
    }

    public SessionCreateRequest withThoughtLevel(@Nullable String thoughtLevel) {
        return new SessionCreateRequest(id, agent, cwd, sessionInit, model, mode, thoughtLevel);
    }
}
