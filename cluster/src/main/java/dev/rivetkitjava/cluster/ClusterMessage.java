package dev.rivetkitjava.cluster;

import dev.rivetkitjava.actor.ActionCall;
import dev.rivetkitjava.actor.RawRequest;
import dev.rivetkitjava.actor.spi.ActorEvent;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.jspecify.annotations.Nullable;

/**
 * Everything one node sends another, serialised as JSON by {@link ClusterSerializer} (arguments,
 * results and events travel as JSON text written by the registry's mapper).
 */
public sealed interface ClusterMessage {

    /** What an actor's sharded entity handles. */
    sealed interface EntityCommand extends ClusterMessage {}

    /**
     * An ask for work that may wake the actor: a stopping entity refuses it unless it joins work
     * already here ({@code joinKey}: the run it joins), see {@code ClusterPlacement.STOPPING}.
     */
    sealed interface Work extends EntityCommand {
        ActorRef<Reply> replyTo();

        /** The key of a run here this ask would join, if any. */
        default @Nullable String joinKey() {
            return null;
        }
    }

    record Invoke(
            String actorId,
            String action,
            String argsJson,
            String idempotencyKey,
            boolean repeatOfLostRun,
            ActorRef<Reply> replyTo)
            implements Work {
        @Override
        public String joinKey() {
            return idempotencyKey;
        }
    }

    /** A raw HTTP request for the actor's {@code onRequest}; answered with its response. */
    record Request(
            String actorId,
            RawRequest request,
            String key,
            boolean repeatOfLostRun,
            ActorRef<Reply> replyTo)
            implements Work {
        @Override
        public String joinKey() {
            return key;
        }
    }

    /** {@code hibernatable}: whether the client's side outlives the actor's sleep (a WebSocket). */
    record Connect(
            String actorId,
            String token,
            String paramsJson,
            boolean hibernatable,
            ActorRef<GatewayCommand> sink,
            ActorRef<Reply> replyTo)
            implements Work {}

    /**
     * {@code startedOn}: the path uid of the owner entity the connection was attached to when the
     * call started, once an ask of it went unanswered. Another entity answering then means the call
     * crossed an owner change, during which it may have run; it is not run again (see {@link
     * ActionCall#repeatOfLostRun}). {@link #NOT_SENT_BEFORE} while every ask was answered: the call
     * ran nowhere, and runs wherever it arrives.
     */
    record ConnInvoke(
            String actorId,
            String connectionId,
            String action,
            String argsJson,
            String idempotencyKey,
            boolean repeatOfLostRun,
            int startedOn,
            ActorRef<Reply> replyTo)
            implements Work {
        /** Pekko never gives an actor this path uid. */
        static final int NOT_SENT_BEFORE = 0;

        @Override
        public String joinKey() {
            return idempotencyKey;
        }
    }

    /**
     * Answered once applied, so the gateway side sends a connection's next frame's work after it,
     * and a stopping entity's refusal sends it on to the next entity.
     */
    record ConnSubscribe(
            String actorId,
            String connectionId,
            String event,
            boolean subscribe,
            ActorRef<Reply> replyTo)
            implements Work {}

    record ConnClose(String actorId, String connectionId) implements EntityCommand {}

    /**
     * The owner a connection's gateway side watched stopped: the new owner wakes the actor, which
     * restores the connections it keeps (see {@code ConnectionSink#address}), and answers whether
     * this one is among them.
     */
    record Reattach(String actorId, String connectionId, ActorRef<Reply> replyTo) implements Work {}

    /**
     * A raw WebSocket opened on another node, for the actor's {@code onWebSocket}; {@code gateway}
     * writes to the client.
     */
    record RawOpen(
            String actorId,
            String socketId,
            String path,
            ActorRef<RawGatewayCommand> gateway,
            ActorRef<Reply> replyTo)
            implements Work {
        @Override
        public String joinKey() {
            return socketId;
        }
    }

    /** A frame from a raw WebSocket's client: {@code text} or {@code bytes}. */
    record RawFrame(String actorId, String socketId, @Nullable String text, byte @Nullable [] bytes)
            implements EntityCommand {}

    /** A raw WebSocket closed by its client, or lost with the client's node (code 1006). */
    record RawClosed(String actorId, String socketId, int code, String reason)
            implements EntityCommand {}

    record Destroy(String actorId, ActorRef<Reply> replyTo) implements Work {}

    /** Which node hosts the entity; answered with {@code {"node": address, "awake": bool}}. */
    record Locate(String actorId, ActorRef<Reply> replyTo) implements EntityCommand {}

    /**
     * Hand-over or passivation: put the activation to sleep (state saved), then stop the entity.
     */
    record Sleep() implements EntityCommand {}

    /** The entity's own: a connection opened for a client on the node of {@code gateway}. */
    record ConnOpenedInternal(ActorRef<GatewayCommand> gateway, String connectionId)
            implements EntityCommand {}

    /** The entity's own: the activation stopped, the entity stops. */
    record SleptInternal() implements EntityCommand {}

    /**
     * An outcome: {@code resultJson} when it succeeded, else the error. {@code entity} is the
     * replying entity (watched by a connection's gateway side).
     */
    record Reply(
            @Nullable String resultJson,
            @Nullable String errorGroup,
            @Nullable String errorCode,
            @Nullable String errorMessage,
            @Nullable String metadataJson,
            ActorRef<EntityCommand> entity)
            implements ClusterMessage {}

    /**
     * What a connection's gateway side (on the node the client is connected to) receives from the
     * owner.
     */
    sealed interface GatewayCommand extends ClusterMessage {}

    /** An event, decoded once on this node for all its receivers here (never crosses nodes). */
    record Delivered(ActorEvent event) implements GatewayCommand {}

    /** The gateway side is done (for a raw WebSocket: its client's socket closed). */
    record Closed(
            String reason,
            @Nullable String errorGroup,
            @Nullable String errorCode,
            @Nullable String errorMessage)
            implements GatewayCommand, RawGatewayCommand {}

    /** The raw gateway side's own: start watching the owner entity (the open succeeded). */
    record WatchOwner(ActorRef<EntityCommand> entity) implements RawGatewayCommand {}

    /**
     * The gateway side's own: the connection {@code connectionId} is open on {@code entity} (opened
     * there, or reattached after its actor moved); it watches that entity.
     */
    record Attached(ActorRef<EntityCommand> entity, String connectionId)
            implements GatewayCommand {}

    /** The gateway side's own: its client closed the connection; it stops. */
    record ClientClosed() implements GatewayCommand {}

    /**
     * What a raw WebSocket's gateway side (on the node the client is connected to) receives from
     * the owner: the actor's frames and close.
     */
    sealed interface RawGatewayCommand extends ClusterMessage {}

    /** A frame from the actor to the client: {@code text} or {@code bytes}. */
    record RawSend(@Nullable String text, byte @Nullable [] bytes) implements RawGatewayCommand {}

    /** The actor closes the socket. */
    record RawClose(int code, String reason) implements RawGatewayCommand {}

    /** What a node's fan-out actor receives from the actors' owners (see {@link FanOut}). */
    sealed interface FanOutCommand extends ClusterMessage {}

    /** One event for several connections whose gateway side is on the receiving node. */
    record Deliver(String name, String argsJson, List<ActorRef<GatewayCommand>> gateways)
            implements FanOutCommand {}

    /** A connection closed by its actor, after the events before it. */
    record Close(ActorRef<GatewayCommand> gateway, Closed closed) implements FanOutCommand {}

    /** Node information, asked of every member for {@code GET /cluster}. */
    record NodeInfoRequest(ActorRef<NodeInfo> replyTo) implements ClusterMessage {}

    record NodeInfo(String address, String httpEndpoint, int awakeActors)
            implements ClusterMessage {}
}
