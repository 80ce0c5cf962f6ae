package dev.rivetkitjava.actor.spi;

import dev.rivetkitjava.actor.ActionCall;
import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.RawRequest;
import dev.rivetkitjava.actor.RawResponse;
import dev.rivetkitjava.actor.RawWebSocket;
import dev.rivetkitjava.actor.RuntimeHealth;
import dev.rivetkitjava.actor.store.ActorRecord;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Where actors run. Every call reaches an actor through this one interface, so a multi-node
 * placement (cluster sharding by name and key) can replace the local one without changing actor or
 * caller code. Results are the action's return value in process, or its JSON form when it crossed a
 * network.
 */
public interface Placement extends AutoCloseable {

    /** The id of the actor the query names, creating it when the query says so. */
    String resolve(ActorQuery query);

    /** The stored actor the query names (creating it when the query says so). */
    ActorRecord describe(ActorQuery query);

    /**
     * Destroys the actor: {@code onDestroy} runs (waking it if asleep), then its state is deleted.
     */
    void destroy(String actorId);

    /** Runs one action on the actor the query names, waking or creating it as needed. */
    @Nullable Object invoke(ActorQuery query, ActionCall call);

    /** Answers a raw HTTP request with the actor's {@code onRequest}. */
    RawResponse request(ActorQuery query, RawRequest request);

    /**
     * Hands a raw WebSocket to the actor's {@code onWebSocket}. The caller gives the socket's
     * listeners no frame before this returns: it holds those that come earlier (a client may send
     * at once) and hands them over in order.
     */
    void webSocket(ActorQuery query, RawWebSocket socket);

    /**
     * Opens a connection: {@code onBeforeConnect}, {@code createConnState}, {@code onConnect}, then
     * events flow.
     */
    ConnectionHandle connect(ActorQuery query, @Nullable Object params, ConnectionSink sink);

    /** The names of the actor types this placement runs. */
    java.util.Set<String> actorNames();

    /** Actors of one type, ordered by key, after {@code afterKey} (null for the first page). */
    List<ActorRecord> list(String name, @Nullable ActorKey afterKey, int limit);

    /** Counters about this placement, for metrics. */
    RuntimeStats stats();

    /**
     * Whether state saves work: failing while some actor's saves fail or the last store write
     * failed.
     */
    default RuntimeHealth health() {
        return RuntimeHealth.OK;
    }

    /** Stops every actor as for sleep (state saved) and releases resources. */
    @Override
    void close();

    /** An open connection as its transport (a WebSocket, an in-process client) holds it. */
    interface ConnectionHandle {
        String actorId();

        String connectionId();

        ActorKey key();

        /** The generation of the activation this connection belongs to. */
        long generation();

        @Nullable Object invoke(ActionCall call);

        /**
         * Returns once the actor applied it (on a cluster, a round trip to its owner), so changes
         * made one after the other apply in that order; an {@link
         * dev.rivetkitjava.actor.ActorError} if the owner could not be reached.
         */
        void subscribe(String event);

        /** As {@link #subscribe}. */
        void unsubscribe(String event);

        /** Closes from the client side: {@code onDisconnect} runs. */
        void close();
    }
}
