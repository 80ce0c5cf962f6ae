package dev.rivetkitjava.sandboxagent;

/** Anything the Sandbox Agent SDK reports: the base of every error it throws. Unchecked. */
public class SandboxAgentException extends RuntimeException {

    public SandboxAgentException(String message) {
        super(message);
    }

    public SandboxAgentException(String message, Throwable cause) {
        super(message, cause);
    }
}
