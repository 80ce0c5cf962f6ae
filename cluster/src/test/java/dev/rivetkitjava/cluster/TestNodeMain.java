package dev.rivetkitjava.cluster;

import dev.rivetkitjava.actor.ActorType;
import dev.rivetkitjava.actor.Registry;
import dev.rivetkitjava.actor.store.postgres.PostgresActorStore;
import dev.rivetkitjava.server.RivetServer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A cluster node for {@link ClusterTest}, run as a child process: {@code name clusterPort httpPort
 * seeds jdbcUrl}. Prints {@code READY <endpoint>} once it is a member and serves HTTP.
 */
public final class TestNodeMain {
    public record Count(int count) {}

    /** How the last raw WebSocket of any probe here was closed: "code reason". */
    private static final AtomicReference<String> lastRawClose = new AtomicReference<>("");

    /** Connections with the param {@code {"counted": true}} to any probe here that closed. */
    private static final AtomicInteger disconnects = new AtomicInteger();

    static ActorType<Count, Void> probe(String node) {
        return ActorType.builder("probe", Count.class)
                .createState(c -> new Count(0))
                .action("whoami", c -> node)
                .action("lastRawClose", c -> lastRawClose.get())
                .action("disconnects", c -> disconnects.get())
                .onDisconnect(
                        (c, conn) -> {
                            // Not the connection each HTTP action has for its duration.
                            if (conn.params().path("counted").asBoolean()) {
                                disconnects.incrementAndGet();
                            }
                        })
                // Echoes with its node's name and path; "close" asks it to close the socket, "long
                // N"
                // to send N characters.
                .onWebSocket(
                        (c, socket) -> {
                            socket.onText(
                                    text -> {
                                        if (text.equals("close")) {
                                            socket.close(4000, "asked to");
                                        } else if (text.startsWith("long ")) {
                                            socket.send(
                                                    "x"
                                                            .repeat(
                                                                    Integer.parseInt(
                                                                            text.substring(5))));
                                        } else {
                                            socket.send(node + " " + socket.path() + " " + text);
                                        }
                                    });
                            socket.onBinary(socket::send);
                            socket.onClose((code, reason) -> lastRawClose.set(code + " " + reason));
                        })
                .action(
                        "increment",
                        Integer.class,
                        (c, amount) -> {
                            c.setState(new Count(c.state().count() + amount));
                            c.broadcast("count", c.state().count());
                            return c.state().count();
                        })
                .action("get", c -> c.state().count())
                .action("echo", String.class, (c, text) -> text)
                .build();
    }

    public static void main(String[] args) throws Exception {
        String name = args[0];
        int clusterPort = Integer.parseInt(args[1]);
        int httpPort = Integer.parseInt(args[2]);
        var seeds = Arrays.asList(args[3].split(","));
        String jdbcUrl = args[4];
        ClusterNode node =
                ClusterNode.start(
                        new ClusterNode.Settings(
                                "127.0.0.1",
                                clusterPort,
                                seeds,
                                "http://127.0.0.1:" + httpPort,
                                Duration.ofSeconds(1),
                                Duration.ofSeconds(30)),
                        Registry.builder().use(probe(name)).store(PostgresActorStore.open(jdbcUrl)),
                        Duration.ofSeconds(60));
        RivetServer server =
                RivetServer.builder(node.registry())
                        .host("127.0.0.1")
                        .port(httpPort)
                        .build()
                        .start();
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    node.close();
                                    server.close();
                                }));
        node.system()
                .getWhenTerminated()
                .thenRun(
                        () -> {
                            System.out.println("TERMINATED " + name);
                            System.exit(3);
                        });
        System.out.println("READY " + server.endpoint());
        System.out.flush();
    }
}
