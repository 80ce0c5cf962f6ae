package dev.rivetkitjava.workspace;

import dev.rivetkitjava.sandboxagent.SandboxAgent;
import java.util.Objects;

/**
 * Where workspaces find their Sandbox Agent server and which agent they run by default.
 *
 * @param baseUrl the Sandbox Agent server's URL
 * @param token its bearer token, or null
 * @param sandboxId what {@code getSessionInfo()} reports as the sandbox
 * @param defaultAgent the agent of a workspace created without one (the seed's {@code codex})
 */
public record WorkspaceConfig(String baseUrl, String token, String sandboxId, String defaultAgent) {

    public WorkspaceConfig {
        Objects.requireNonNull(baseUrl, "baseUrl");
        Objects.requireNonNull(sandboxId, "sandboxId");
        Objects.requireNonNull(defaultAgent, "defaultAgent");
    }

    /** An SDK builder for this server; the actor adds its persist driver. */
    SandboxAgent.Builder sdk(String url) {
        SandboxAgent.Builder builder = SandboxAgent.builder(url);
        return token == null ? builder : builder.token(token);
    }
}
