package dev.rivetkitjava.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rivetkitjava.actor.ActorType;
import dev.rivetkitjava.actor.Conn;
import dev.rivetkitjava.actor.Registry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What leaves the server on a connection: frames that pile up go out coalesced yet complete and in
 * order, and a client that stops reading is closed as a slow consumer once its budget is spent,
 * without disturbing anyone else.
 */
class OutboundTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long BUDGET = 1024 * 1024;

    /**
     * Sends its caller n events of 1 KB, then disconnects it (the close comes once the action is
     * done).
     */
    private static final ActorType<Integer, Void> FAREWELL =
            ActorType.builder("farewell", Integer.class)
                    .createState(c -> 0)
                    .action(
                            "sendThenLeave",
                            Integer.class,
                            (c, n) -> {
                                Conn conn = c.conn().orElseThrow();
                                for (int i = 1; i <= n; i++) {
                                    conn.send("n", i, "x".repeat(1_000));
                                }
                                conn.disconnect("bye");
                                return n;
                            })
                    .build();

    /** From one small request, sends its caller n events of 64 KB; {@code ping} answers at once. */
    private static final ActorType<Integer, Void> FLOOD =
            ActorType.builder("flood", Integer.class)
                    .createState(c -> 0)
                    .action(
                            "flood",
                            Integer.class,
                            (c, n) -> {
                                Conn conn = c.conn().orElseThrow();
                                String chunk = "x".repeat(64_000);
                                for (int i = 0; i < n; i++) {
                                    conn.send("chunk", chunk);
                                }
                                return n;
                            })
                    .action("ping", c -> "pong")
                    .build();

    private Registry registry;
    private RivetServer server;

    @BeforeEach
    void start() throws Exception {
        registry =
                Registry.builder()
                        .use(CompatFixtures.counter(Duration.ofSeconds(30)))
                        .use(FAREWELL)
                        .use(FLOOD)
                        .build();
        server =
                RivetServer.builder(registry)
                        .port(0)
                        .maxPendingOutboundBytes(BUDGET)
                        .build()
                        .start();
    }

    @AfterEach
    void stop() {
        server.close();
        registry.close();
    }

    private static String action(long id, String name, String argsJson) {
        return "{\"body\":{\"tag\":\"ActionRequest\",\"val\":{\"id\":[\"$BigInt\",\""
                + id
                + "\"],\"name\":\""
                + name
                + "\",\"args\":"
                + argsJson
                + "}}}";
    }

    private static String subscribe(String event) {
        return "{\"body\":{\"tag\":\"SubscriptionRequest\",\"val\":{\"eventName\":\""
                + event
                + "\",\"subscribe\":true}}}";
    }

    private static JsonNode body(Object frame) throws Exception {
        return JSON.readTree((String) frame).get("body");
    }

    private String metrics() throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(server.endpoint() + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    @Test
    void aBurstOfBroadcastsReachesEveryViewerCompleteAndInOrder() throws Exception {
        int increments = 3_000; // a multiple of 200
        List<WireClient> viewers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            WireClient viewer = WireClient.connect(server, "burst");
            await().until(() -> viewer.frames.size() == 1);
            viewer.socket.sendText(subscribe("newCount"), true).get();
            // Answered only once the subscription sent before it applies.
            viewer.socket.sendText(action(0, "getCount", "[]"), true).get();
            await().until(() -> viewer.frames.size() == 2);
            viewers.add(viewer);
        }
        WireClient driver = WireClient.connect(server, "burst");
        await().until(() -> driver.frames.size() == 1);
        // Sent 200 at a time without waiting for replies (under the server's 256 actions in flight
        // per connection),
        // so that events pile up on the viewers' connections.
        for (int i = 0; i < increments; i++) {
            driver.socket.sendText(action(i, "increment", "[1]"), true).get();
            if (i % 200 == 199) {
                int answered = i + 2;
                await().until(() -> driver.frames.size() == answered);
            }
        }

        for (WireClient viewer : viewers) {
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> viewer.frames.size() >= 2 + increments);
            List<Integer> counts = new ArrayList<>();
            for (Object frame : viewer.frames.subList(2, viewer.frames.size())) {
                JsonNode event = body(frame);
                assertThat(event.get("tag").asText()).isEqualTo("Event");
                counts.add(event.get("val").get("args").get(0).asInt());
            }
            assertThat(counts).isEqualTo(IntStream.rangeClosed(1, increments).boxed().toList());
        }
    }

    @Test
    void aDisconnectClosesAfterTheFramesSentBeforeIt() throws Exception {
        // Half the outbound budget, sent at once: a client slow to read (a busy machine) is never a
        // slow consumer.
        int events = 500;
        WireClient client = WireClient.connectTo(server, "farewell", "leaving");
        await().until(() -> client.frames.size() == 1);
        client.socket.sendText(action(0, "sendThenLeave", "[" + events + "]"), true).get();

        assertThat(client.closed.get(30, TimeUnit.SECONDS)).isEqualTo("1000 bye");
        List<Integer> received = new ArrayList<>();
        for (Object frame : client.frames.subList(1, client.frames.size())) {
            JsonNode message = body(frame);
            if (message.get("tag").asText().equals("Event")) {
                received.add(message.get("val").get("args").get(0).asInt());
            }
        }
        assertThat(received).isEqualTo(IntStream.rangeClosed(1, events).boxed().toList());
    }

    @Test
    void aClientThatStopsReadingIsClosedAsSlowConsumerAndOthersCarryOn() throws Exception {
        WireClient slow = WireClient.connectTo(server, "flood", "room");
        WireClient bystander = WireClient.connectTo(server, "flood", "room");
        await().until(() -> slow.frames.size() == 1 && bystander.frames.size() == 1);
        slow.pause();

        // 25.6 MB for a client that reads nothing: the socket's buffers fill, then the budget. The
        // request is one
        // small frame, read long before the close: a client still sending when its socket closes
        // gets a reset
        // that would discard the close frame waiting in its buffers.
        slow.socket.sendText(action(1, "flood", "[400]"), true).get();
        await().until(
                        () ->
                                metrics()
                                        .contains(
                                                "rivetkit_connections_slow_consumer_closed_total 1.0"));

        slow.resume();
        assertThat(slow.closed.get(30, TimeUnit.SECONDS)).isEqualTo("1011 ws.slow_consumer");
        bystander.socket.sendText(action(7, "ping", "[]"), true).get();
        await().until(() -> bystander.frames.size() == 2);
        assertThat(body(bystander.frames.get(1)).get("tag").asText()).isEqualTo("ActionResponse");
        assertThat(bystander.closed).isNotDone();
    }
}
