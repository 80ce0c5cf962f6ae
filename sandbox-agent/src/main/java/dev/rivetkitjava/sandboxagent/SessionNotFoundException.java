package dev.rivetkitjava.sandboxagent;

/** No session with this id in the persist driver. */
public final class SessionNotFoundException extends SandboxAgentException {

    private final String sessionId;

    public SessionNotFoundException(String sessionId) {
        super("session '" + sessionId + "' not found");
        this.sessionId = sessionId;
    }

    public String sessionId() {
        return sessionId;
    }
}
