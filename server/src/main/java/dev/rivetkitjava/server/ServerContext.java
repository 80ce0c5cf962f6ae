package dev.rivetkitjava.server;

import dev.rivetkitjava.actor.spi.Placement;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.server.Handler;
import org.jspecify.annotations.Nullable;

/**
 * What every route and socket of one server shares; {@code staticFiles} is null when the server
 * serves no page, {@code cluster} when it runs on no cluster.
 */
record ServerContext(
        Placement placement,
        WireValues values,
        ServerConfig config,
        Executor executor,
        OpenSockets sockets,
        ServerMetrics metrics,
        AtomicBoolean draining,
        @Nullable Handler staticFiles,
        @Nullable ClusterView cluster) {}
