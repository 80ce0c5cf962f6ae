package dev.rivetkitjava.actor;

import com.fasterxml.jackson.databind.JsonNode;
import org.jspecify.annotations.Nullable;

/** One client connection to an actor. */
public interface Conn {

    String id();

    /** The connection parameters the client sent (JSON {@code null} when none). */
    JsonNode params();

    /** The parameters converted to {@code type}. */
    <T> @Nullable T params(Class<T> type);

    /** The per-connection state made by {@code createConnState}, or {@code null}. */
    @Nullable Object state();

    <T> @Nullable T state(Class<T> type);

    void setState(Object state);

    /**
     * Whether this connection listens to {@code event} (it subscribed, as {@code conn.on(event)}
     * does).
     */
    boolean isSubscribed(String event);

    /** Sends an event to this connection only (whether or not it subscribed). */
    void send(String event, Object... args);

    /** Closes the connection; the client sees {@code reason}. */
    void disconnect(String reason);
}
