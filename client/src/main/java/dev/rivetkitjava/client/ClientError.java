package dev.rivetkitjava.client;

/**
 * Anything the client throws or reports: a {@link RivetError} when the server (or engine) answered
 * with a structured error, a plain {@code ClientError} for a transport failure (which names the
 * URL), a malformed answer, a timeout or a closed connection.
 */
public class ClientError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ClientError(String message) {
        super(message);
    }

    public ClientError(String message, Throwable cause) {
        super(message, cause);
    }
}
