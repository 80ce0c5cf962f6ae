package dev.rivetkitjava.sandboxagent;

/**
 * A call took longer than its timeout ({@code requestTimeout}, {@code promptTimeout} or {@code
 * healthTimeout}).
 */
public final class SandboxAgentTimeoutException extends SandboxAgentException {

    public SandboxAgentTimeoutException(String message) {
        super(message);
    }
}
