package dev.rivetkitjava.cluster;

import dev.rivetkitjava.actor.ActorError;
import dev.rivetkitjava.actor.spi.ActorEvent;
import dev.rivetkitjava.actor.spi.ActorQuery;
import dev.rivetkitjava.actor.spi.ConnectionSink;
import dev.rivetkitjava.actor.spi.Placement;
import dev.rivetkitjava.cluster.ClusterMessage.Closed;
import dev.rivetkitjava.cluster.ClusterMessage.ConnClose;
import dev.rivetkitjava.cluster.ClusterMessage.ConnInvoke;
import dev.rivetkitjava.cluster.ClusterMessage.ConnOpenedInternal;
import dev.rivetkitjava.cluster.ClusterMessage.ConnSubscribe;
import dev.rivetkitjava.cluster.ClusterMessage.Connect;
import dev.rivetkitjava.cluster.ClusterMessage.Destroy;
import dev.rivetkitjava.cluster.ClusterMessage.EntityCommand;
import dev.rivetkitjava.cluster.ClusterMessage.GatewayCommand;
import dev.rivetkitjava.cluster.ClusterMessage.Invoke;
import dev.rivetkitjava.cluster.ClusterMessage.Locate;
import dev.rivetkitjava.cluster.ClusterMessage.RawClosed;
import dev.rivetkitjava.cluster.ClusterMessage.RawFrame;
import dev.rivetkitjava.cluster.ClusterMessage.RawOpen;
import dev.rivetkitjava.cluster.ClusterMessage.Reattach;
import dev.rivetkitjava.cluster.ClusterMessage.Reply;
import dev.rivetkitjava.cluster.ClusterMessage.Request;
import dev.rivetkitjava.cluster.ClusterMessage.Sleep;
import dev.rivetkitjava.cluster.ClusterMessage.SleptInternal;
import dev.rivetkitjava.cluster.ClusterMessage.Work;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityContext;
import org.jspecify.annotations.Nullable;

/**
 * One actor's sharded entity on the node that owns it: it hosts the actor's activation in this
 * node's runtime. Calls run on virtual threads (the activation serialises them itself); a {@link
 * Sleep} (hand-over or passivation) puts the activation to sleep, state saved, before the entity
 * stops.
 */
final class ActorEntity {
    private ActorEntity() {}

    static Behavior<EntityCommand> create(
            ClusterPlacement cluster, EntityContext<EntityCommand> context) {
        String actorId = context.getEntityId();
        return Behaviors.setup(
                ctx -> {
                    ActorRef<EntityCommand> self = ctx.getSelf();
                    // Told to sleep: new work would wake the actor here again, beside its next
                    // owner, so it is refused and asked again there (see
                    // ClusterPlacement.STOPPING).
                    boolean[] stopping = {false};
                    cluster.entityStarted(
                            actorId,
                            self,
                            () -> context.getShard().tell(new ClusterSharding.Passivate<>(self)));
                    return Behaviors.receive(EntityCommand.class)
                            .onMessage(
                                    Work.class,
                                    m -> stopping[0] && !joinsWorkHere(cluster, m),
                                    m -> {
                                        m.replyTo()
                                                .tell(
                                                        cluster.failed(
                                                                ClusterPlacement.STOPPING, self));
                                        return Behaviors.same();
                                    })
                            .onMessage(
                                    Invoke.class,
                                    m -> {
                                        cluster.runOnce(
                                                m.idempotencyKey(),
                                                m.replyTo(),
                                                self,
                                                () ->
                                                        cluster.local()
                                                                .invoke(
                                                                        new ActorQuery.ById(
                                                                                actorId),
                                                                        cluster.actionCall(
                                                                                m.action(),
                                                                                m.argsJson(),
                                                                                m.idempotencyKey(),
                                                                                m
                                                                                        .repeatOfLostRun())));
                                        return Behaviors.same();
                                    })
                            .onMessage(
                                    Request.class,
                                    m -> {
                                        cluster.runOnce(
                                                m.key(),
                                                m.replyTo(),
                                                self,
                                                () -> {
                                                    // Its first run was cut off with its node:
                                                    // part of it may have happened.
                                                    if (m.repeatOfLostRun()) {
                                                        throw ClusterPlacement.requestInterrupted();
                                                    }
                                                    return cluster.local()
                                                            .request(
                                                                    new ActorQuery.ById(actorId),
                                                                    m.request());
                                                });
                                        return Behaviors.same();
                                    })
                            .onMessage(
                                    Connect.class,
                                    m -> {
                                        run(
                                                cluster,
                                                m.replyTo(),
                                                self,
                                                () ->
                                                        cluster.openedByToken()
                                                                .computeIfAbsent(
                                                                        m.token(),
                                                                        token ->
                                                                                connect(
                                                                                        cluster,
                                                                                        actorId,
                                                                                        self, m)));
                                        return Behaviors.same();
                                    })
                            .onMessage(
                                    ConnOpenedInternal.class,
                                    m -> {
                                        // Lost with the client's node: closed as by its client.
                                        ctx.watchWith(
                                                m.gateway(),
                                                new ConnClose(actorId, m.connectionId()));
                                        return Behaviors.same();
                                    })
                            .onMessage(
                                    ConnInvoke.class,
                                    m -> {
                                        boolean repeat =
                                                m.repeatOfLostRun() || crossedAMove(m, self);
                                        cluster.runOnce(
                                                m.idempotencyKey(),
                                                m.replyTo(),
                                                self,
                                                () ->
                                                        cluster.hostedConnection(
                                                                        actorId, m.connectionId())
                                                                .invoke(
                                                                        cluster.actionCall(
                                                                                m.action(),
                                                                                m.argsJson(),
                                                                                m.idempotencyKey(),
                                                                                repeat)));
                                        return Behaviors.same();
                                    })
                            .onMessage(
                                    ConnSubscribe.class,
                                    m -> {
                                        // The gateway side sends a connection's next change once
                                        // this one is answered, so they apply in the order sent:
                                        // a page that unsubscribes and subscribes again (as React
                                        // re-renders do) ends up subscribed.
                                        run(
                                                cluster,
                                                m.replyTo(),
                                                self,
                                                () -> {
                                                    Placement.ConnectionHandle handle =
                                                            cluster.hostedConnection(
                                                                    actorId, m.connectionId());
                                                    if (m.subscribe()) {
                                                        handle.subscribe(m.event());
                                                    } else {
                                                        handle.unsubscribe(m.event());
                                                    }
                                                    return true;
                                                });
                                        return Behaviors.same();
                                    })
                            .onMessage(
                                    ConnClose.class,
                                    m -> {
                                        Placement.ConnectionHandle handle =
                                                cluster.hosted().remove(m.connectionId());
                                        if (handle != null) {
                                            Thread.startVirtualThread(
                                                    () -> {
                                                        handle.close();
                                                        cluster.passivateIfIdle(actorId);
                                                    });
                                        }
                                        return Behaviors.same();
                                    })
                            .onMessage(
                                    Reattach.class,
                                    m -> {
                                        run(
                                                cluster,
                                                m.replyTo(),
                                                self,
                                                () -> {
                                                    cluster.hostedConnection(
                                                            actorId, m.connectionId());
                                                    return null;
                                                });
                                        return Behaviors.same();
                                    })
                            .onMessage(
                                    RawOpen.class,
                                    m -> {
                                        RemoteRawSocket socket =
                                                new RemoteRawSocket(actorId, m.path(), m.gateway());
                                        RemoteRawSocket earlier =
                                                cluster.rawSockets()
                                                        .putIfAbsent(m.socketId(), socket);
                                        if (earlier == null) {
                                            // Lost with the client's node: closed as by a client
                                            // gone without a close frame.
                                            ctx.watchWith(
                                                    m.gateway(),
                                                    new RawClosed(
                                                            actorId,
                                                            m.socketId(),
                                                            1006,
                                                            "the client's node stopped"));
                                        }
                                        RemoteRawSocket opened = earlier == null ? socket : earlier;
                                        cluster.runOnce(
                                                m.socketId(),
                                                m.replyTo(),
                                                self,
                                                () -> {
                                                    cluster.openRaw(m.socketId(), opened);
                                                    return null;
                                                });
                                        return Behaviors.same();
                                    })
                            .onMessage(
                                    RawFrame.class,
                                    m -> {
                                        RemoteRawSocket socket =
                                                cluster.rawSockets().get(m.socketId());
                                        if (socket != null) {
                                            socket.received(m.text(), m.bytes());
                                        }
                                        return Behaviors.same();
                                    })
                            .onMessage(
                                    RawClosed.class,
                                    m -> {
                                        RemoteRawSocket socket =
                                                cluster.rawSockets().remove(m.socketId());
                                        if (socket != null) {
                                            ctx.unwatch(socket.gateway());
                                            socket.closedByClient(m.code(), m.reason());
                                        }
                                        return Behaviors.same();
                                    })
                            .onMessage(
                                    Destroy.class,
                                    m -> {
                                        run(
                                                cluster,
                                                m.replyTo(),
                                                self,
                                                () -> {
                                                    cluster.local().destroy(actorId);
                                                    return null;
                                                });
                                        return Behaviors.same();
                                    })
                            .onMessage(
                                    Locate.class,
                                    m -> {
                                        m.replyTo()
                                                .tell(
                                                        cluster.ok(
                                                                Map.of(
                                                                        "node",
                                                                        cluster.selfAddress(),
                                                                        "awake",
                                                                        cluster.local()
                                                                                .awake(actorId)),
                                                                self));
                                        return Behaviors.same();
                                    })
                            .onMessage(
                                    Sleep.class,
                                    m -> {
                                        if (stopping[0]) {
                                            return Behaviors.same(); // already going to sleep
                                        }
                                        stopping[0] = true;
                                        Thread.startVirtualThread(
                                                () -> {
                                                    try {
                                                        if (cluster.local().sleep(actorId)) {
                                                            cluster.handedOver();
                                                        }
                                                    } finally {
                                                        self.tell(new SleptInternal());
                                                    }
                                                });
                                        return Behaviors.same();
                                    })
                            .onMessage(
                                    SleptInternal.class,
                                    m -> {
                                        // Their activation is gone; their gateway sides close
                                        // their clients' sockets when this entity stops.
                                        for (Iterator<RemoteRawSocket> sockets =
                                                        cluster.rawSockets().values().iterator();
                                                sockets.hasNext(); ) {
                                            RemoteRawSocket socket = sockets.next();
                                            if (socket.actorId().equals(actorId)) {
                                                sockets.remove();
                                                socket.abandon();
                                            }
                                        }
                                        // Hibernated here by the sleep that handed the actor over:
                                        // dropped here (no hook runs), kept in the actor's storage;
                                        // their gateway sides reattach them at the new owner.
                                        List<Placement.ConnectionHandle> hibernated =
                                                cluster.hostedOf(actorId);
                                        hibernated.forEach(
                                                handle ->
                                                        cluster.hosted()
                                                                .remove(handle.connectionId()));
                                        Thread.startVirtualThread(
                                                () ->
                                                        hibernated.forEach(
                                                                Placement.ConnectionHandle::close));
                                        cluster.entityStopped(actorId);
                                        return Behaviors.stopped();
                                    })
                            .build();
                });
    }

    /**
     * Opens a connection to the actor here for a client on some node; once per connect token, so a
     * retried connect gets the same one.
     */
    private static Map<String, Object> connect(
            ClusterPlacement cluster, String actorId, ActorRef<EntityCommand> self, Connect m) {
        Placement.ConnectionHandle handle =
                cluster.local()
                        .connect(
                                new ActorQuery.ById(actorId),
                                cluster.readValue(m.paramsJson()),
                                new RemoteSink(cluster, m.hibernatable(), m.sink()));
        cluster.hosted().put(handle.connectionId(), handle);
        self.tell(new ConnOpenedInternal(m.sink(), handle.connectionId()));
        return Map.of(
                "connectionId",
                handle.connectionId(),
                "generation",
                handle.generation(),
                "key",
                handle.key().serialize());
    }

    /**
     * An earlier ask of the call went unanswered, and it started while the connection was attached
     * to another entity of this actor: it crossed an owner change, during which it may have run
     * there.
     */
    private static boolean crossedAMove(ConnInvoke call, ActorRef<EntityCommand> self) {
        return call.startedOn() != ConnInvoke.NOT_SENT_BEFORE
                && call.startedOn() != self.path().uid();
    }

    /**
     * Whether {@code work} joins work already here (a run, an opened connection): it wakes nothing.
     */
    private static boolean joinsWorkHere(ClusterPlacement cluster, Work work) {
        if (work instanceof Connect connect) {
            return cluster.openedByToken().containsKey(connect.token());
        }
        String key = work.joinKey();
        return key != null && cluster.runs(key);
    }

    private static void run(
            ClusterPlacement cluster,
            ActorRef<Reply> replyTo,
            ActorRef<EntityCommand> self,
            Supplier<Object> work) {
        Thread.startVirtualThread(() -> replyTo.tell(cluster.reply(work, self)));
    }

    /**
     * Events of a connection hosted here, sent to its gateway side on the node the client is
     * connected to.
     *
     * @param hibernatable as the client's side: a WebSocket's connection lets the actor sleep under
     *     it, and its next call wakes the actor here (the entity stays while such connections
     *     remain, see {@link ClusterPlacement#passivateIfIdle}); the actor keeps it, so it follows
     *     the actor to another node
     */
    record RemoteSink(
            ClusterPlacement cluster, boolean hibernatable, ActorRef<GatewayCommand> gateway)
            implements ConnectionSink {
        @Override
        public String address() {
            return cluster.addressOf(gateway);
        }

        @Override
        public void send(ActorEvent event) {
            cluster.fanOut().deliver(gateway, event);
        }

        @Override
        public void close(String reason, @Nullable ActorError error) {
            cluster.fanOut()
                    .close(
                            gateway,
                            error == null
                                    ? new Closed(reason, null, null, null)
                                    : new Closed(
                                            reason, error.group(), error.code(), error.message()));
        }
    }
}
