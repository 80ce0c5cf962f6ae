package dev.rivetkitjava.cluster;

import dev.rivetkitjava.actor.ActorError;
import dev.rivetkitjava.actor.spi.ActorEvent;
import dev.rivetkitjava.cluster.ClusterMessage.Close;
import dev.rivetkitjava.cluster.ClusterMessage.Closed;
import dev.rivetkitjava.cluster.ClusterMessage.Deliver;
import dev.rivetkitjava.cluster.ClusterMessage.Delivered;
import dev.rivetkitjava.cluster.ClusterMessage.FanOutCommand;
import dev.rivetkitjava.cluster.ClusterMessage.GatewayCommand;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Events from actors on this node to connections whose gateway side is on some node: one link per
 * node, in order. A broadcast leaves once per node that has receivers, not once per receiver
 * (consecutive deliveries of one event to one node share a {@link Deliver}), and that node's
 * fan-out actor decodes it once and hands the same {@link ActorEvent} to each of its connections,
 * which encode it once per wire format. Closes travel the same link, so none overtakes the events
 * before it. Cluster messages that queue up past Artery's outbound queue are dropped, and a message
 * per receiver reached that at a few thousand events per second.
 */
final class FanOut {
    private static final Logger log = LoggerFactory.getLogger(FanOut.class);

    /** The fan-out actor's name under {@code /system} on every node. */
    static final String NAME = "rivetkit-fanout";

    /**
     * The {@link ActorEvent#encoded} key of an event's arguments as cluster messages carry them.
     */
    private static final Object WIRE_JSON = new Object();

    private final ActorRefResolver resolver;
    private final Function<List<Object>, String> writeArgs;
    private final Map<Address, Link> links = new ConcurrentHashMap<>();

    FanOut(ActorSystem<?> system, Function<List<Object>, String> writeArgs) {
        this.resolver = ActorRefResolver.get(system);
        this.writeArgs = writeArgs;
    }

    /** The fan-out actor each node runs: it hands deliveries to the gateway sides living there. */
    static Behavior<FanOutCommand> receiver(Function<String, List<Object>> readArgs) {
        return Behaviors.receive(FanOutCommand.class)
                .onMessage(
                        Deliver.class,
                        d -> {
                            ActorEvent event =
                                    new ActorEvent(d.name(), readArgs.apply(d.argsJson()));
                            d.gateways().forEach(gateway -> gateway.tell(new Delivered(event)));
                            return Behaviors.same();
                        })
                .onMessage(
                        Close.class,
                        c -> {
                            c.gateway().tell(c.closed());
                            return Behaviors.same();
                        })
                .build();
    }

    void deliver(ActorRef<GatewayCommand> gateway, ActorEvent event) {
        link(gateway).add(gateway, event, null);
    }

    void close(ActorRef<GatewayCommand> gateway, Closed closed) {
        link(gateway).add(gateway, null, closed);
    }

    private Link link(ActorRef<GatewayCommand> gateway) {
        return links.computeIfAbsent(
                gateway.path().address(),
                address ->
                        new Link(resolver.resolveActorRef(address.toString() + "/system/" + NAME)));
    }

    /** One delivery or close waiting to leave; a delivery gathers the gateways of its event. */
    private record Pending(
            @Nullable ActorEvent event,
            @Nullable Closed closed,
            List<ActorRef<GatewayCommand>> gateways) {}

    /**
     * One node's queue. A virtual thread drains it when it becomes non-empty, so the deliveries of
     * a broadcast loop (all made before the thread gets going, as a rule) leave as one message.
     */
    private final class Link {
        private final ActorRef<FanOutCommand> to;
        private final ArrayDeque<Pending> queue = new ArrayDeque<>();
        private boolean draining;

        Link(ActorRef<FanOutCommand> to) {
            this.to = to;
        }

        /** An event's delivery ({@code closed} null) or a close ({@code event} null). */
        synchronized void add(
                ActorRef<GatewayCommand> gateway,
                @Nullable ActorEvent event,
                @Nullable Closed closed) {
            Pending last = queue.peekLast();
            if (event != null && last != null && last.event() == event) {
                last.gateways().add(gateway);
            } else {
                List<ActorRef<GatewayCommand>> gateways = new ArrayList<>();
                gateways.add(gateway);
                queue.add(new Pending(event, closed, gateways));
            }
            if (!draining) {
                draining = true;
                Thread.startVirtualThread(this::drain);
            }
        }

        /**
         * An event too long for a cluster message cannot reach these connections: they are closed
         * with the reason, in its place in the queue, before any later event (their clients
         * reconnect and catch up, as after any lost connection), so no event goes missing without
         * the client knowing.
         */
        private void closeTooLong(
                String name, long bytes, List<ActorRef<GatewayCommand>> gateways) {
            ActorError error = ClusterPlacement.tooLong("The event " + name, bytes);
            log.warn(
                    "{}; closing the {} connection(s) it was for",
                    error.message(),
                    gateways.size());
            Closed closed =
                    new Closed("event too long", error.group(), error.code(), error.message());
            gateways.forEach(gateway -> to.tell(new Close(gateway, closed)));
        }

        private void drain() {
            while (true) {
                Pending next;
                synchronized (this) {
                    next = queue.poll();
                    if (next == null) {
                        draining = false;
                        return;
                    }
                }
                ActorEvent event = next.event();
                Closed closed = next.closed();
                if (event != null) {
                    String args = event.encoded(WIRE_JSON, e -> writeArgs.apply(e.args()));
                    long bytes = ClusterPlacement.excessLength(args);
                    if (bytes < 0) {
                        to.tell(new Deliver(event.name(), args, List.copyOf(next.gateways())));
                    } else {
                        closeTooLong(event.name(), bytes, next.gateways());
                    }
                } else if (closed != null) {
                    to.tell(new Close(next.gateways().getFirst(), closed));
                }
            }
        }
    }
}
