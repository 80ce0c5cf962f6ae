package dev.rivetkitjava.protocol;

/**
 * A message or value that does not follow the client protocol. The message says where (encoding,
 * message type and field or byte offset) and what was wrong, so it can go back to the client as an
 * {@code actor.invalid_request} error as is.
 */
public final class ProtocolException extends RuntimeException {
    public ProtocolException(String message) {
        super(message);
    }

    public ProtocolException(String message, Throwable cause) {
        super(message, cause);
    }
}
