package dev.rivetkitjava.sandboxagent;

import java.util.List;

/**
 * A mode, model, thought level or config option the session's agent does not offer (checked before
 * anything is sent, against the agent's reported modes and config options).
 */
public final class UnsupportedSessionSettingException extends SandboxAgentException {

    private final String sessionId;
    private final String setting;
    private final String requested;
    private final List<String> allowed;

    public UnsupportedSessionSettingException(
            String sessionId, String setting, String requested, List<String> allowed) {
        super(
                "session '"
                        + sessionId
                        + "': "
                        + setting
                        + " '"
                        + requested
                        + "' is not offered by its agent (offered: "
                        + String.join(", ", allowed)
                        + ")");
        this.sessionId = sessionId;
        this.setting = setting;
        this.requested = requested;
        this.allowed = List.copyOf(allowed);
    }

    public String sessionId() {
        return sessionId;
    }

    /**
     * What was set: {@code mode}, a config option category ({@code model}, {@code thought_level})
     * or id.
     */
    public String setting() {
        return setting;
    }

    public String requested() {
        return requested;
    }

    public List<String> allowed() {
        return allowed;
    }
}
