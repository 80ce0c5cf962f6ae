package dev.rivetkitjava.sandboxagent.pinned;

/**
 * An install or stand-in script could not run, failed, or did not finish in time; the message
 * carries its output.
 */
public final class PinnedSandboxAgentException extends RuntimeException {
    PinnedSandboxAgentException(String message) {
        super(message);
    }

    PinnedSandboxAgentException(String message, Throwable cause) {
        super(message, cause);
    }
}
