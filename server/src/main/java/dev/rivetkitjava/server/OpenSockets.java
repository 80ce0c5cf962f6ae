package dev.rivetkitjava.server;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The open {@code /connect} sockets, for keep-alive pings (and dropping those whose clients went
 * silent) and for closing them all on shutdown; and the open raw WebSockets, for the pings alone
 * (an actor closes its own).
 */
final class OpenSockets {
    private final Set<ConnectEndpoint> open = ConcurrentHashMap.newKeySet();
    private final Set<RawSocketEndpoint> raw = ConcurrentHashMap.newKeySet();

    void add(ConnectEndpoint endpoint) {
        open.add(endpoint);
    }

    void remove(ConnectEndpoint endpoint) {
        open.remove(endpoint);
    }

    void add(RawSocketEndpoint endpoint) {
        raw.add(endpoint);
    }

    void remove(RawSocketEndpoint endpoint) {
        raw.remove(endpoint);
    }

    int count() {
        return open.size();
    }

    /** Pings every socket; drops those from which nothing came for {@code silenceNanos}. */
    void pingAll(long silenceNanos) {
        open.forEach(socket -> socket.ping(silenceNanos));
        raw.forEach(socket -> socket.ping(silenceNanos));
    }

    void goAwayAll() {
        open.forEach(ConnectEndpoint::goAway);
    }
}
