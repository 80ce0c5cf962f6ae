package dev.rivetkitjava.actor.spi;

import dev.rivetkitjava.actor.ActorError;
import org.jspecify.annotations.Nullable;

/**
 * Where an actor's events for one connection go: a WebSocket in the server, a listener in process.
 * Called from any thread; must not block for long.
 */
public interface ConnectionSink {

    void send(ActorEvent event);

    /**
     * The actor closed the connection: {@code error} is null for a plain disconnect with {@code
     * reason}.
     */
    void close(String reason, @Nullable ActorError error);

    /**
     * Whether this connection outlives the actor's sleep, as RivetKit's actor-connect WebSockets
     * do: it does not keep the actor awake; when the actor sleeps it stays open (same id, params,
     * state and subscriptions), and its next call wakes the actor, without the connect hooks
     * running again.
     */
    default boolean hibernatable() {
        return false;
    }

    /**
     * Where this sink can be reached from another process (on a cluster: its gateway side's
     * address), or null. A hibernatable connection whose sink has an address is kept in its actor's
     * storage (id, params, state, subscriptions and this address) and restored by the actor's next
     * activation on any node (see {@link ConnectionRestorer}), so it survives its actor moving.
     */
    default @Nullable String address() {
        return null;
    }
}
