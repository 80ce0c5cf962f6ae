package dev.rivetkitjava.server;

import dev.rivetkitjava.actor.Placement;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/** What every route and socket of one server shares. */
record ServerContext(
        Placement placement,
        WireValues values,
        ServerConfig config,
        Executor executor,
        OpenSockets sockets,
        ServerMetrics metrics,
        AtomicBoolean draining) {
}
