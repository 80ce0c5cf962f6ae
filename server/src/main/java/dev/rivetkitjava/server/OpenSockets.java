package dev.rivetkitjava.server;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The open {@code /connect} sockets, for keep-alive pings (and dropping those whose clients went
 * silent) and for closing them all on shutdown.
 */
final class OpenSockets {
    private final Set<ConnectEndpoint> open = ConcurrentHashMap.newKeySet();

    void add(ConnectEndpoint endpoint) {
        open.add(endpoint);
    }

    void remove(ConnectEndpoint endpoint) {
        open.remove(endpoint);
    }

    int count() {
        return open.size();
    }

    /** Pings every socket; drops those from which nothing came for {@code silenceNanos}. */
    void pingAll(long silenceNanos) {
        open.forEach(socket -> socket.ping(silenceNanos));
    }

    void goAwayAll() {
        open.forEach(ConnectEndpoint::goAway);
    }
}
