package dev.rivetkitjava.actor.spi;

/**
 * Brings back the connections an actor keeps in its storage (those whose sink has an {@link
 * ConnectionSink#address}) when it starts on this node, after sleeping or moving from another one.
 * They rejoin the activation before {@code createVars} and {@code onWake} run, so what those
 * broadcast reaches them, and no connect hook runs again.
 */
public interface ConnectionRestorer {

    /**
     * The sink at {@code address}. A sink whose far side is gone must close the connection as its
     * client would have (through {@link Placement.ConnectionHandle#close}), so that {@code
     * onDisconnect} runs and the record goes.
     */
    ConnectionSink sinkAt(String address);

    /**
     * The connection rejoined an activation here with {@code sink} (from {@link #sinkAt}); called
     * holding the actor's turn, must not block.
     */
    void restored(Placement.ConnectionHandle connection, ConnectionSink sink);
}
