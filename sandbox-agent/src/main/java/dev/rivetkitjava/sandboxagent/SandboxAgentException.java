package dev.rivetkitjava.sandboxagent;

import org.jspecify.annotations.Nullable;

/** Anything the Sandbox Agent SDK reports: the base of every error it throws. Unchecked. */
public class SandboxAgentException extends RuntimeException {

    public SandboxAgentException(String message) {
        super(message);
    }

    public SandboxAgentException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
