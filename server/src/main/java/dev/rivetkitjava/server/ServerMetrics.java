package dev.rivetkitjava.server;

import dev.rivetkitjava.actor.spi.Placement;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/** What {@code GET /metrics} shows, in Prometheus' text format. */
final class ServerMetrics {
    private final PrometheusMeterRegistry registry =
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Timer wsOk;
    private final Timer wsError;
    private final Timer httpOk;
    private final Timer httpError;
    private final Counter slowConsumers;
    private final Counter silentClients;
    private final Counter ignoredFrames;

    /**
     * @param cluster the cluster this node belongs to, or null
     */
    ServerMetrics(Placement placement, OpenSockets sockets, @Nullable ClusterView cluster) {
        Gauge.builder("rivetkit.actors.awake", placement, p -> p.stats().awakeActors())
                .description("Actors in memory (awake or starting)")
                .register(registry);
        Gauge.builder(
                        "rivetkit.connections.hibernated",
                        placement,
                        p -> p.stats().hibernatedConnections())
                .description("Connections kept open while their actor sleeps")
                .register(registry);
        Gauge.builder("rivetkit.connections", sockets, OpenSockets::count)
                .description("Open /connect WebSockets")
                .register(registry);
        FunctionTimer.builder(
                        "rivetkit.state.saves",
                        placement,
                        p -> p.stats().stateSaveBatches(),
                        p -> p.stats().stateSaveNanos(),
                        TimeUnit.NANOSECONDS)
                .description("Store transactions writing actor state")
                .register(registry);
        FunctionCounter.builder("rivetkit.state.writes", placement, p -> p.stats().stateWrites())
                .description("Actor states written")
                .register(registry);
        FunctionCounter.builder(
                        "rivetkit.state.save.failures",
                        placement,
                        p -> p.stats().stateSaveFailures())
                .description("Failed actor state saves: store writes and serialisations (retried)")
                .register(registry);
        Gauge.builder(
                        "rivetkit.state.save.failing.actors",
                        placement,
                        p -> p.stats().stateSaveFailingActors())
                .description("Actors whose state saves fail (kept awake, retried with back-off)")
                .register(registry);
        FunctionCounter.builder(
                        "rivetkit.state.fenced.writes", placement, p -> p.stats().fencedWrites())
                .description(
                        "Writes refused because another activation had claimed the actor since")
                .register(registry);
        if (cluster != null) {
            FunctionCounter.builder(
                            "rivetkit.cluster.forwarded.calls",
                            cluster,
                            c -> c.counters().forwardedCalls())
                    .description("Calls and connection frames sent to an actor's owner")
                    .register(registry);
            FunctionCounter.builder(
                            "rivetkit.cluster.retried.calls",
                            cluster,
                            c -> c.counters().retriedCalls())
                    .description("Forwarded calls asked again after no answer (the owner moving)")
                    .register(registry);
            FunctionCounter.builder(
                            "rivetkit.cluster.handovers", cluster, c -> c.counters().handOvers())
                    .description("Actors put to sleep here because the cluster moved them")
                    .register(registry);
            FunctionCounter.builder(
                            "rivetkit.cluster.reattached.connections",
                            cluster,
                            c -> c.counters().reattachedConnections())
                    .description(
                            "Connections through this node that followed their actor to a new owner")
                    .register(registry);
        }
        wsOk = actionTimer("ws", "ok");
        wsError = actionTimer("ws", "error");
        httpOk = actionTimer("http", "ok");
        httpError = actionTimer("http", "error");
        slowConsumers =
                Counter.builder("rivetkit.connections.slow.consumer.closed")
                        .description("Connections closed because their outbound frames piled up")
                        .register(registry);
        silentClients =
                Counter.builder("rivetkit.connections.silent.dropped")
                        .description(
                                "Connections dropped because nothing, not even a pong, came from their client")
                        .register(registry);
        ignoredFrames =
                Counter.builder("rivetkit.connections.frames.ignored")
                        .description(
                                "Frames a client sent on a refused or failing connection, dropped unread")
                        .register(registry);
    }

    private Timer actionTimer(String transport, String outcome) {
        return Timer.builder("rivetkit.actions")
                .tag("transport", transport)
                .tag("outcome", outcome)
                .description("Actions called by clients")
                .register(registry);
    }

    void action(boolean webSocket, boolean ok, long startNanos) {
        Timer timer = webSocket ? (ok ? wsOk : wsError) : (ok ? httpOk : httpError);
        timer.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
    }

    void slowConsumerClosed() {
        slowConsumers.increment();
    }

    void silentClientDropped() {
        silentClients.increment();
    }

    void frameIgnored() {
        ignoredFrames.increment();
    }

    String scrape() {
        return registry.scrape();
    }
}
