package dev.rivetkitjava.client;

import dev.rivetkitjava.actor.Registry;
import dev.rivetkitjava.actor.store.sqlite.SqliteActorStore;
import dev.rivetkitjava.server.CompatFixtures;
import dev.rivetkitjava.server.RivetServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;

/**
 * rivetkit-java's server with the compat fixture actors ({@code counter}, {@code lifecycle}), on
 * 127.0.0.1.
 */
final class JavaServer implements AutoCloseable {
    private final Registry registry;
    private final RivetServer server;
    private final java.util.concurrent.atomic.AtomicBoolean closed =
            new java.util.concurrent.atomic.AtomicBoolean();

    private JavaServer(Registry registry, RivetServer server) {
        this.registry = registry;
        this.server = server;
    }

    /** In memory, on a free port. */
    static JavaServer start() {
        return start(null, 0, null);
    }

    /**
     * @param store a SQLite file (state survives a restart), or null for memory
     * @param port 0 for a free one
     * @param token null for none
     */
    static JavaServer start(Path store, int port, String token) {
        Registry.Builder registry =
                Registry.builder()
                        .use(CompatFixtures.counter(Duration.ofSeconds(30)))
                        .use(CompatFixtures.lifecycle(Duration.ofSeconds(30)));
        if (store != null) {
            registry.store(SqliteActorStore.open(store));
        }
        Registry built = registry.build();
        try {
            RivetServer.Builder server = RivetServer.builder(built).host("127.0.0.1").port(port);
            if (token != null) {
                server.token(token);
            }
            return new JavaServer(built, server.build().start());
        } catch (Exception e) {
            built.close();
            throw new IllegalStateException("cannot start the server on port " + port, e);
        }
    }

    String endpoint() {
        return server.endpoint();
    }

    int port() {
        return server.port();
    }

    Registry registry() {
        return registry;
    }

    /** Closes the server (its sockets go away first), then the registry (state saved); once. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        server.close();
        registry.close();
    }

    /** A port nothing listens on right now. */
    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
