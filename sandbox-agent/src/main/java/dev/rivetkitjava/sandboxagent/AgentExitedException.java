package dev.rivetkitjava.sandboxagent;

import org.jspecify.annotations.Nullable;

/**
 * The agent process exited (the server's {@code _adapter/agent_exited}) while a request was waiting
 * for it. The session's next call starts a new agent process and restores the session.
 */
public final class AgentExitedException extends SandboxAgentException {

    private final @Nullable Integer exitCode;

    public AgentExitedException(String agent, @Nullable Integer exitCode) {
        super(
                "agent '"
                        + agent
                        + "' exited"
                        + (exitCode == null ? "" : " with code " + exitCode)
                        + " before answering");
        this.exitCode = exitCode;
    }

    /** The exit code, or null when the server did not report one. */
    public @Nullable Integer exitCode() {
        return exitCode;
    }
}
