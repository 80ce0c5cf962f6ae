package dev.rivetkitjava.sandboxagent;

/** The server could not be reached, or the connection to it broke. The message names the URL. */
public final class ServerUnreachableException extends SandboxAgentException {

    public ServerUnreachableException(String message, Throwable cause) {
        super(message, cause);
    }
}
