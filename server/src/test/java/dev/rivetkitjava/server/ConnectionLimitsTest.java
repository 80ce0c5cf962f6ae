package dev.rivetkitjava.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.management.HotSpotDiagnosticMXBean;
import dev.rivetkitjava.actor.ActorError;
import dev.rivetkitjava.actor.ActorType;
import dev.rivetkitjava.actor.Registry;
import dev.rivetkitjava.actor.spi.ActorQuery;
import dev.rivetkitjava.actor.spi.ConnectionSink;
import dev.rivetkitjava.actor.spi.LocalPlacement;
import dev.rivetkitjava.actor.spi.Placement;
import dev.rivetkitjava.protocol.Encoding;
import dev.rivetkitjava.protocol.GatewayUrl;
import dev.rivetkitjava.protocol.Subprotocols;
import java.lang.management.ManagementFactory;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What one connection can make the server hold: nothing once refused, and a bounded set of
 * subscriptions; a subscription change that fails closes its connection with the reason.
 */
class ConnectionLimitsTest extends CounterServerFixture {
    private static final Pattern IGNORED =
            Pattern.compile("(?m)^rivetkit_connections_frames_ignored_total (\\S+)$");

    private static String subscription(String event, boolean subscribe) {
        return "{\"body\":{\"tag\":\"SubscriptionRequest\",\"val\":{\"eventName\":\""
                + event
                + "\",\"subscribe\":"
                + subscribe
                + "}}}";
    }

    private static String action(long id, String name, String args) {
        return "{\"body\":{\"tag\":\"ActionRequest\",\"val\":{\"id\":[\"$BigInt\",\""
                + id
                + "\"],\"name\":\""
                + name
                + "\",\"args\":"
                + args
                + "}}}";
    }

    private static JsonNode frame(WireClient client, int index) throws Exception {
        return JSON.readTree((String) client.frames.get(index));
    }

    private long ignoredFrames() throws Exception {
        String metrics = send("GET", "/metrics", null).body();
        Matcher m = IGNORED.matcher(metrics);
        assertThat(m.find()).as("the ignored-frames counter is in /metrics").isTrue();
        return (long) Double.parseDouble(m.group(1));
    }

    /**
     * Threads (virtual ones included) with a ConnectEndpoint frame on their stack, from a full
     * thread dump.
     */
    private static int threadsInConnectEndpoint(Path dir) throws Exception {
        Path dump = dir.resolve("threads-" + System.nanoTime() + ".json");
        ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                .dumpThreads(dump.toString(), HotSpotDiagnosticMXBean.ThreadDumpFormat.JSON);
        int count = 0;
        for (JsonNode container : JSON.readTree(dump.toFile()).at("/threadDump/threadContainers")) {
            for (JsonNode thread : container.path("threads")) {
                for (JsonNode frame : thread.path("stack")) {
                    if (frame.asText().contains(ConnectEndpoint.class.getName() + ".")) {
                        count++;
                        break;
                    }
                }
            }
        }
        Files.delete(dump);
        return count;
    }

    @Test
    void aRefusedConnectionReadsNoFurtherFramesAndHoldsNoThread(@TempDir Path dir)
            throws Exception {
        long before = ignoredFrames();
        WireClient client =
                WireClient.open(
                        http.newWebSocketBuilder(),
                        WireClient.ws(server)
                                + GatewayUrl.query("", "counter", "/connect")
                                        .namespace("nope")
                                        .get()
                                        .key(List.of("x"))
                                        .build(),
                        Subprotocols.builder(Encoding.JSON).build());
        // Actions and subscriptions, until 1000 are sent or the server's close (300 ms after its
        // error) stops us.
        int sent = 0;
        try {
            for (; sent < 1000; sent++) {
                client.socket
                        .sendText(
                                sent % 2 == 0
                                        ? action(sent, "increment", "[1]")
                                        : subscription("e" + sent, true),
                                true)
                        .get(10, TimeUnit.SECONDS);
            }
        } catch (ExecutionException closedMeanwhile) {
            // the output closed: what was sent so far is what the server received
        }
        assertThat(client.closed.get(10, TimeUnit.SECONDS)).isEqualTo("1011 namespace.not_found");
        assertThat(sent).as("frames sent before the close").isPositive();
        int delivered = sent;
        // The frames it received were dropped unread (Jetty itself drops those that come after its
        // close, so not
        // necessarily all that were sent), and none left a thread waiting for a connection that was
        // never opened.
        await().untilAsserted(
                        () -> assertThat(ignoredFrames() - before).isBetween(1L, (long) delivered));
        await().untilAsserted(() -> assertThat(threadsInConnectEndpoint(dir)).isZero());
        assertThat(server.connections()).isZero();
        // No action ran: the actor was never created.
        assertThat(json(send("GET", "/actors?name=counter", null)).get("actors")).isEmpty();
    }

    @Test
    void aConnectionSubscribesToAtMost64EventsThenFailsAloneWithANamedError() throws Exception {
        WireClient client = WireClient.connect(server, "subs");
        WireClient bystander = WireClient.connect(server, "subs");
        await().until(() -> client.frames.size() == 1 && bystander.frames.size() == 1);

        // 64 distinct events, newCount among them: all applied, so the increment's event arrives.
        for (int i = 0; i < 63; i++) {
            client.socket.sendText(subscription("event-" + i, true), true).get();
        }
        client.socket.sendText(subscription("newCount", true), true).get();
        client.socket.sendText(action(1, "increment", "[1]"), true).get();
        await().until(() -> client.frames.size() == 3);
        assertThat(client.frames.subList(1, 3))
                .extracting(f -> JSON.readTree((String) f).at("/body/tag").asText())
                .containsExactly("Event", "ActionResponse");

        // Subscribing again is free; an unsubscription frees a slot for another event.
        client.socket.sendText(subscription("newCount", true), true).get();
        client.socket.sendText(subscription("event-0", false), true).get();
        client.socket.sendText(subscription("event-63", true), true).get();
        client.socket.sendText(action(2, "increment", "[1]"), true).get();
        await().until(() -> client.frames.size() == 5);
        assertThat(frame(client, 4).at("/body/tag").asText()).isEqualTo("ActionResponse");
        assertThat(client.closed).isNotDone();

        // The 65th distinct event is refused, and the connection closes with the reason.
        client.socket.sendText(subscription("event-64", true), true).get();
        assertThat(client.closed.get(10, TimeUnit.SECONDS))
                .isEqualTo("1011 actor.too_many_subscriptions");
        JsonNode error = frame(client, client.frames.size() - 1).at("/body/val");
        assertThat(frame(client, client.frames.size() - 1).at("/body/tag").asText())
                .isEqualTo("Error");
        assertThat(error.get("group").asText()).isEqualTo("actor");
        assertThat(error.get("code").asText()).isEqualTo("too_many_subscriptions");
        assertThat(error.get("message").asText())
                .isEqualTo(
                        "A connection may subscribe to at most 64 events (maxSubscriptionsPerConnection)");

        // The other connection and the server carry on.
        bystander.socket.sendText(action(7, "getCount", "[]"), true).get();
        await().until(() -> bystander.frames.size() == 2);
        assertThat(frame(bystander, 1).at("/body/val/output").asInt()).isEqualTo(2);
        assertThat(bystander.closed).isNotDone();
        WireClient next = WireClient.connect(server, "subs");
        await().until(() -> next.frames.size() == 1);
        assertThat(frame(next, 0).at("/body/tag").asText()).isEqualTo("Init");
    }

    /**
     * On a cluster a subscription change is a round trip to the actor's owner, which can fail
     * ({@code actor.moving} once the owner stayed out of reach): the connection closes with that
     * error, so its client reconnects and subscribes again, rather than believe itself subscribed.
     * Here a placement stands in for the unreachable owner.
     */
    @Test
    void aSubscriptionItsOwnerCannotTakeClosesTheConnectionWithTheReason() throws Exception {
        ActorError moving =
                new ActorError("actor", "moving", "The actor did not answer within 30 s.");
        try (Registry unreachable = counterRegistry(local -> refusingSubscriptions(local, moving));
                RivetServer cluster = RivetServer.builder(unreachable).port(0).build().start()) {
            WireClient client = WireClient.connect(cluster, "far");
            await().until(() -> client.frames.size() == 1);
            client.socket.sendText(subscription("newCount", true), true).get();

            assertThat(client.closed.get(10, TimeUnit.SECONDS)).isEqualTo("1011 actor.moving");
            JsonNode error = frame(client, client.frames.size() - 1).at("/body/val");
            assertThat(error.get("message").asText())
                    .isEqualTo("The actor did not answer within 30 s.");
        }
    }

    /**
     * A subscription change waits for the actor's owner on a cluster; while one connection's change
     * hangs, another connection's action is answered (reads are not shared: a change must not hold
     * the thread that reads other connections' frames), and the hung connection's own action waits
     * behind its change. Here a placement's subscribe hangs until released.
     */
    @Test
    void aSubscriptionThatHangsHoldsNoOtherConnectionsFrames() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (Registry hanging =
                        counterRegistry(
                                local ->
                                        withSubscriptions(
                                                local,
                                                () -> {
                                                    release.await();
                                                    return null;
                                                }));
                RivetServer slow = RivetServer.builder(hanging).port(0).build().start()) {
            try {
                hangingSubscription(slow, release);
            } finally {
                // Else a reading thread held by the change would hang the server's close.
                release.countDown();
            }
        }
    }

    /**
     * Clients that send without pause (frames of the protocol, or pings), one per carrier thread of
     * the virtual threads: another client still connects and each of its actions is answered, and
     * they are still read. Virtual threads are not preempted, so without {@link FairReads} each
     * flood's reading thread keeps its carrier and nothing else runs (the other client's upgrade
     * went unanswered for a minute).
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void clientsThatSendWithoutPauseLeaveOtherConnectionsTheirTurn(boolean pings) throws Exception {
        int carriers = Runtime.getRuntime().availableProcessors(); // the scheduler's default
        String url = WireClient.ws(server) + WireClient.getOrCreate("counter", "flood", "/connect");
        List<String> subprotocols = Subprotocols.builder(Encoding.JSON).build();
        List<FloodingSocket> floods = new ArrayList<>();
        try {
            for (int i = 0; i < carriers; i++) {
                floods.add(
                        pings
                                ? FloodingSocket.openPinging(url, subprotocols, "are you there")
                                : FloodingSocket.open(
                                        url, subprotocols, subscription("newCount", true)));
            }
            // Busy: each has sent more than the sockets' buffers hold, so the server reads on.
            await().until(() -> floods.stream().allMatch(f -> f.sentBytes() > (8 << 20)));
            long[] before = floods.stream().mapToLong(FloodingSocket::sentBytes).toArray();

            WireClient other = WireClient.connect(server, "other");
            await().until(() -> other.frames.size() == 1);
            for (int i = 1; i <= 20; i++) {
                other.socket
                        .sendText(action(i, "increment", "[1]"), true)
                        .get(10, TimeUnit.SECONDS);
                int answered = i + 1;
                await().until(() -> other.frames.size() == answered);
                assertThat(frame(other, i).at("/body/val/output").asInt()).isEqualTo(i);
            }

            for (int i = 0; i < carriers; i++) {
                int index = i;
                FloodingSocket flood = floods.get(i);
                long sentBefore = before[i];
                assertThat(flood.sending()).as("flood %d is still connected", i).isTrue();
                if (pings) {
                    assertThat(flood.received())
                            .as("flood %d's pings are answered", i)
                            .contains("\u008a\rare you there"); // a pong of the ping's 13 bytes
                }
                await().untilAsserted(
                                () ->
                                        assertThat(flood.sentBytes())
                                                .as("flood %d is still read", index)
                                                .isGreaterThan(sentBefore));
            }
        } finally {
            for (FloodingSocket flood : floods) {
                flood.close();
            }
        }
    }

    /**
     * A raw WebSocket keeps what its client sends before the actor has taken the socket (the
     * actor's start may take a while); a client that sends on and on meanwhile is closed with
     * {@code actor.overloaded} once that passes 1024 frames, instead of the server holding all of
     * it. Here a placement holds the socket from the actor until released; the next socket works.
     */
    @Test
    void aRawSocketSendingWhileItsActorStartsIsClosedOnceItHasSentTooMuch() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (Registry slowStart =
                        counterRegistry(
                                local ->
                                        proxy(
                                                Placement.class,
                                                local,
                                                (method, args) -> {
                                                    if (method.getName().equals("webSocket")) {
                                                        release.await();
                                                    }
                                                    return null;
                                                }));
                RivetServer slow = RivetServer.builder(slowStart).port(0).build().start()) {
            String url =
                    WireClient.ws(slow) + WireClient.getOrCreate("counter", "raw", "/websocket/");
            try (FloodingSocket flood = FloodingSocket.openRaw(url, "early")) {
                await().until(() -> !flood.sending());
                assertThat(flood.received()).contains("actor.overloaded");
            } finally {
                release.countDown();
            }
            WireClient next = WireClient.open(url, List.of());
            next.socket.sendText("hello", true).get(10, TimeUnit.SECONDS);
            await().until(() -> next.frames.contains("echo:hello"));
        }
    }

    /**
     * One connection's subscription change hangs until {@code release}; another's action goes on.
     */
    private static void hangingSubscription(RivetServer slow, CountDownLatch release)
            throws Exception {
        WireClient stuck = WireClient.connect(slow, "stuck");
        WireClient other = WireClient.connect(slow, "other");
        await().until(() -> stuck.frames.size() == 1 && other.frames.size() == 1);
        // An event the increment does not send, so that its reply is the next frame.
        stuck.socket.sendText(subscription("elsewhere", true), true).get();
        stuck.socket.sendText(action(0, "increment", "[1]"), true).get();
        other.socket.sendText(action(0, "increment", "[5]"), true).get();

        await().atMost(Duration.ofSeconds(10)).until(() -> other.frames.size() == 2);
        assertThat(frame(other, 1).at("/body/val/output").asInt()).isEqualTo(5);
        assertThat(stuck.frames).as("its action waits for its subscription").hasSize(1);
        release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> stuck.frames.size() == 2);
        assertThat(frame(stuck, 1).at("/body/val/output").asInt()).isEqualTo(1);
    }

    /** A registry of the counter whose placement is {@code wrap} of the local one. */
    private static Registry counterRegistry(Function<LocalPlacement, Placement> wrap) {
        return Registry.builder()
                .use(CompatFixtures.counter(Duration.ofSeconds(30)))
                .placement(wrap)
                .build();
    }

    /** {@code placement}, whose connections' subscription changes fail with {@code error}. */
    private static Placement refusingSubscriptions(Placement placement, ActorError error) {
        return withSubscriptions(
                placement,
                () -> {
                    throw error;
                });
    }

    /**
     * {@code placement}, whose connections' subscription changes run {@code change} first: if it
     * returns, the change itself follows.
     */
    private static Placement withSubscriptions(
            Placement placement, java.util.concurrent.Callable<Void> change) {
        return proxy(
                Placement.class,
                placement,
                (method, args) ->
                        method.getName().equals("connect")
                                ? proxy(
                                        Placement.ConnectionHandle.class,
                                        placement.connect(
                                                (ActorQuery) args[0],
                                                args[1],
                                                (ConnectionSink) args[2]),
                                        (handleMethod, handleArgs) ->
                                                handleMethod.getName().endsWith("subscribe")
                                                        ? change.call()
                                                        : null)
                                : null);
    }

    /**
     * {@code target} as a {@code type} whose calls go to {@code override} first: what it returns,
     * unless null, else {@code target}'s answer.
     */
    private static <T> T proxy(Class<T> type, T target, Replacement override) {
        return type.cast(
                Proxy.newProxyInstance(
                        type.getClassLoader(),
                        new Class<?>[] {type},
                        (self, method, args) -> {
                            Object replaced = override.call(method, args);
                            if (replaced != null) {
                                return replaced;
                            }
                            try {
                                return method.invoke(target, args);
                            } catch (InvocationTargetException e) {
                                throw e.getCause();
                            }
                        }));
    }

    @FunctionalInterface
    private interface Replacement {
        Object call(Method method, Object[] args) throws Throwable;
    }

    /**
     * Past {@code maxConnections} the server accepts no more until one closes: the next connection
     * waits in the kernel's accept queue, and is served once another has closed.
     */
    @Test
    void pastMaxConnectionsTheNextWaitsUntilOneCloses() throws Exception {
        try (RivetServer small =
                RivetServer.builder(registry).port(0).maxConnections(2).build().start()) {
            WireClient first = WireClient.connect(small, "a");
            WireClient second = WireClient.connect(small, "b");
            await().until(() -> first.frames.size() == 1 && second.frames.size() == 1);
            CompletableFuture<WireClient> third =
                    CompletableFuture.supplyAsync(
                            () -> {
                                try {
                                    return WireClient.connect(small, "c");
                                } catch (Exception e) {
                                    throw new CompletionException(e);
                                }
                            });
            await().during(Duration.ofMillis(500))
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> !third.isDone());

            first.socket.sendClose(1000, "done").get(10, TimeUnit.SECONDS);
            WireClient served = third.get(10, TimeUnit.SECONDS);
            await().until(() -> served.frames.size() == 1);
            assertThat(frame(served, 0).at("/body/tag").asText()).isEqualTo("Init");
            assertThatThrownBy(() -> RivetServer.builder(registry).maxConnections(0))
                    .hasMessage("maxConnections must be at least 1");
        }
    }

    /**
     * A client that answers nothing, not even the server's pings, is dropped after two and a half
     * ping intervals (its actor no longer counts it connected); one whose WebSocket answers pings
     * (java.net.http's, as browsers' and Node's do by themselves) stays.
     */
    @Test
    void aClientThatAnswersNoPingIsDroppedOneThatDoesStays() throws Exception {
        try (RivetServer pinging =
                RivetServer.builder(registry)
                        .port(0)
                        .pingInterval(Duration.ofMillis(200))
                        .build()
                        .start()) {
            WireClient answering = WireClient.connect(pinging, "pinged");
            await().until(() -> answering.frames.size() == 1);
            try (FloodingSocket silent =
                    FloodingSocket.openSilent(
                            WireClient.ws(pinging)
                                    + WireClient.getOrCreate("counter", "pinged", "/connect"),
                            Subprotocols.builder(Encoding.JSON).build())) {
                await().until(() -> pinging.connections() == 2);
                await().until(silent::ended);
                assertThat(silent.received()).contains("\u0089\u0000"); // pinged before
                await().until(() -> pinging.connections() == 1);
                await().during(Duration.ofSeconds(1))
                        .atMost(Duration.ofSeconds(3))
                        .until(() -> !answering.closed.isDone());
                answering.socket.sendText(action(1, "increment", "[1]"), true).get();
                await().until(() -> answering.frames.size() == 2);
                assertThat(frame(answering, 1).at("/body/val/output").asInt()).isEqualTo(1);
                assertThat(send(pinging, "GET", "/metrics", null).body())
                        .contains("rivetkit_connections_silent_dropped_total 1.0");
            }
        }
    }

    /**
     * A raw WebSocket is pinged too (pings are the WebSocket's own, not the actor's protocol): one
     * whose client answers nothing is dropped and its actor hears the close, while one whose
     * client's WebSocket answers stays.
     */
    @Test
    void aRawSocketWhoseClientAnswersNoPingIsDroppedAndItsActorHearsOfIt() throws Exception {
        BlockingQueue<Integer> closes = new LinkedBlockingQueue<>();
        ActorType<Integer, Void> room =
                ActorType.builder("room", Integer.class)
                        .createState(c -> 0)
                        .onWebSocket(
                                (c, socket) -> {
                                    socket.onText(socket::send);
                                    socket.onClose((code, reason) -> closes.add(code));
                                })
                        .build();
        try (Registry rooms = Registry.builder().use(room).build();
                RivetServer pinging =
                        RivetServer.builder(rooms)
                                .port(0)
                                .pingInterval(Duration.ofMillis(200))
                                .build()
                                .start()) {
            String url =
                    WireClient.ws(pinging) + WireClient.getOrCreate("room", "r", "/websocket/");
            WireClient answering = WireClient.open(url, List.of());
            try (FloodingSocket silent = FloodingSocket.openRawSilent(url)) {
                await().until(silent::ended);
                assertThat(silent.received()).contains("\u0089\u0000"); // pinged before
                assertThat(closes.poll(10, TimeUnit.SECONDS))
                        .as("the actor hears the close")
                        .isNotNull();
                await().during(Duration.ofSeconds(1))
                        .atMost(Duration.ofSeconds(3))
                        .until(() -> !answering.closed.isDone());
                answering.socket.sendText("still here", true).get(10, TimeUnit.SECONDS);
                await().until(() -> answering.frames.contains("still here"));
                assertThat(closes).isEmpty();
                assertThat(send(pinging, "GET", "/metrics", null).body())
                        .contains("rivetkit_connections_silent_dropped_total 1.0");
            }
        }
    }

    @Test
    void theLimitIsASetting() throws Exception {
        try (RivetServer strict =
                RivetServer.builder(registry)
                        .port(0)
                        .maxSubscriptionsPerConnection(1)
                        .build()
                        .start()) {
            WireClient client = WireClient.connect(strict, "one");
            await().until(() -> client.frames.size() == 1);
            client.socket.sendText(subscription("a", true), true).get();
            client.socket.sendText(subscription("b", true), true).get();
            assertThat(client.closed.get(10, TimeUnit.SECONDS))
                    .isEqualTo("1011 actor.too_many_subscriptions");
            assertThat(frame(client, client.frames.size() - 1).at("/body/val/message").asText())
                    .isEqualTo(
                            "A connection may subscribe to at most 1 events (maxSubscriptionsPerConnection)");
        }
    }
}
