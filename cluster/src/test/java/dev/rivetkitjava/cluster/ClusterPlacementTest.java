package dev.rivetkitjava.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.rivetkitjava.actor.ActionCall;
import dev.rivetkitjava.actor.ActionOptions;
import dev.rivetkitjava.actor.ActorError;
import dev.rivetkitjava.actor.ActorHandle;
import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.ActorType;
import dev.rivetkitjava.actor.KvEntry;
import dev.rivetkitjava.actor.RawRequest;
import dev.rivetkitjava.actor.RawResponse;
import dev.rivetkitjava.actor.Registry;
import dev.rivetkitjava.actor.spi.ActorEvent;
import dev.rivetkitjava.actor.spi.ActorQuery;
import dev.rivetkitjava.actor.spi.ConnectionSink;
import dev.rivetkitjava.actor.spi.LocalPlacement;
import dev.rivetkitjava.actor.spi.Placement;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A one-node cluster in this JVM (the in-memory store): how calls and connection frames reach an
 * actor's owner through Cluster Sharding, without the processes of {@link ClusterTest}. Every call
 * and frame takes the path it takes across nodes (the entity's messages), only the hop is local.
 */
class ClusterPlacementTest {
    private static ClusterNode node;

    @BeforeAll
    static void startNode() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        ActorType<Integer, Void> probe =
                ActorType.builder("probe", Integer.class)
                        .createState(c -> 0)
                        .action(
                                "sleep",
                                Integer.class,
                                (c, millis) -> {
                                    Thread.sleep(millis);
                                    return millis;
                                },
                                ActionOptions.noTimeout())
                        .action(
                                "ping",
                                Integer.class,
                                (c, n) -> {
                                    c.broadcast("pong", n);
                                    return n;
                                })
                        .action("echo", String.class, (c, text) -> text)
                        .action(
                                "blob",
                                Integer.class,
                                (c, length) -> {
                                    String blob = "x".repeat(length);
                                    c.broadcast("blob", blob);
                                    return blob;
                                })
                        .onRequest(
                                (c, request) ->
                                        new RawResponse(
                                                201,
                                                Map.of("x-echo", request.header("x-name")),
                                                (request.method()
                                                                + " "
                                                                + request.path()
                                                                + "?"
                                                                + request.query()
                                                                + " "
                                                                + new String(
                                                                        request.body(),
                                                                        StandardCharsets.UTF_8))
                                                        .getBytes(StandardCharsets.UTF_8)))
                        .build();
        ActorType<Integer, Void> napper =
                ActorType.builder("napper", Integer.class)
                        .createState(c -> 0)
                        .sleepTimeout(Duration.ofMillis(300))
                        .action(
                                "increment",
                                c -> {
                                    c.setState(c.state() + 1);
                                    return c.state();
                                })
                        .build();
        // Asks time out after 400 ms and the owner counts as gone after 1 s of silence: an agent's
        // turn through another node runs for minutes against the defaults' 2 s and 30 s.
        node =
                ClusterNode.start(
                        new ClusterNode.Settings(
                                "127.0.0.1",
                                port,
                                List.of("127.0.0.1:" + port),
                                "http://127.0.0.1:0",
                                Duration.ofMillis(400),
                                Duration.ofSeconds(1)),
                        Registry.builder().use(probe).use(napper),
                        Duration.ofSeconds(60));
    }

    @AfterAll
    static void stopNode() {
        node.close();
    }

    @Test
    void aCallRunningLongerThanTheMoveTimeoutIsAnsweredNotGivenUp() {
        ActorHandle handle = node.registry().actor("probe").getOrCreate(ActorKey.of("turn"));
        long retriedBefore = node.placement().retriedCalls();

        assertThat(handle.action("sleep", Integer.class, 2_500)).isEqualTo(2_500);
        // The owner answered every ask (the call still runs), so none was asked again as if it
        // were lost.
        assertThat(node.placement().retriedCalls()).isEqualTo(retriedBefore);
    }

    @Test
    void aRawRequestReachesTheOwnersOnRequestAndItsResponseComesBackWhole() {
        byte[] body = {'h', 'i', 0, (byte) 0xff};
        RawResponse response =
                node.placement()
                        .request(
                                new ActorQuery.GetOrCreate("probe", ActorKey.of("raw"), null),
                                new RawRequest(
                                        "POST",
                                        "/echo",
                                        "a=1",
                                        Map.of("X-Name", List.of("alice")),
                                        body));

        assertThat(response.status()).isEqualTo(201);
        assertThat(response.headers()).containsEntry("x-echo", "alice");
        byte[] expected =
                ("POST /echo?a=1 " + new String(body, StandardCharsets.UTF_8))
                        .getBytes(StandardCharsets.UTF_8);
        assertThat(response.body()).isEqualTo(expected);
    }

    /**
     * A connection through the cluster hibernates as a WebSocket to the node does: the actor sleeps
     * under it (before, such a connection kept it awake for good) and its next call wakes the
     * actor, with its state, on the same connection.
     */
    @Test
    void theActorSleepsUnderAConnectionAndItsNextCallWakesIt() {
        RecordingSink sink = new RecordingSink(true);
        Placement.ConnectionHandle connection =
                node.placement()
                        .connect(
                                new ActorQuery.GetOrCreate("napper", ActorKey.of("n"), null),
                                null,
                                sink);
        try {
            // Results come back as JSON trees.
            assertThat(connection.invoke(ActionCall.of("increment"))).hasToString("1");
            LocalPlacement local = ((ClusterPlacement) node.placement()).local();
            await().atMost(Duration.ofSeconds(10)).until(() -> !local.awake(connection.actorId()));

            assertThat(connection.invoke(ActionCall.of("increment"))).hasToString("2");
            assertThat(local.awake(connection.actorId())).isTrue();
            assertThat(sink.closed).isFalse();
        } finally {
            connection.close();
        }
    }

    @Test
    void subscriptionChangesApplyInTheOrderTheyWereSent() {
        RecordingSink sink = new RecordingSink(false);
        ConcurrentLinkedQueue<Object> pongs = sink.events;
        Placement.ConnectionHandle connection =
                node.placement()
                        .connect(
                                new ActorQuery.GetOrCreate(
                                        "probe", ActorKey.of("subscriber"), null),
                                null,
                                sink);
        try {
            // As a React page does on every render: unsubscribe, subscribe again, at once.
            for (int i = 0; i < 50; i++) {
                connection.unsubscribe("pong");
                connection.subscribe("pong");
                connection.invoke(ActionCall.of("ping", i));
                int sent = i;
                await().atMost(Duration.ofSeconds(5))
                        .untilAsserted(
                                () ->
                                        assertThat(pongs)
                                                .as("pongs after round %d", sent)
                                                .hasSize(sent + 1));
            }
        } finally {
            connection.close();
        }
    }

    /**
     * A hand-over stops the actor's entity: the connection's gateway side asks the next owner (here
     * the same node, the path is the same) for it, which restores it from the actor's storage, and
     * the client sees nothing: same connection, subscriptions, events.
     */
    @Test
    void aConnectionFollowsItsActorThroughAHandOverWithoutItsClientNoticing() {
        RecordingSink sink = new RecordingSink(true);
        ConcurrentLinkedQueue<Object> pongs = sink.events;
        ClusterPlacement placement = (ClusterPlacement) node.placement();
        Placement.ConnectionHandle connection = connectToProbe(placement, "mover", sink);
        // As an HTTP action's: not kept, it does not outlive the call.
        Placement.ConnectionHandle transientConnection =
                placement.connect(
                        new ActorQuery.ById(connection.actorId()), null, new RecordingSink(false));
        try {
            connection.subscribe("pong");
            assertThat(connection.invoke(ActionCall.of("ping", 1))).hasToString("1");
            // Written with the state the reply waited for.
            assertThat(
                            placement
                                    .local()
                                    .store()
                                    .kvList(connection.actorId(), "~rivetkit/conn/", null, 10))
                    .extracting(KvEntry::key)
                    .containsExactly("~rivetkit/conn/" + connection.connectionId());
            transientConnection.close();
            long reattachedBefore = placement.reattachedConnections();
            long handOversBefore = placement.handOvers();

            tellToSleep(connection.actorId());
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> placement.reattachedConnections() > reattachedBefore);

            assertThat(placement.handOvers()).isGreaterThan(handOversBefore);
            assertThat(connection.invoke(ActionCall.of("ping", 2))).hasToString("2");
            await().atMost(Duration.ofSeconds(5)).until(() -> pongs.size() == 2);
            assertThat(pongs).extracting(Object::toString).containsExactly("1", "2");
            assertThat(sink.closed).isFalse();
        } finally {
            connection.close();
        }
    }

    /**
     * An entity told to sleep (a hand-over, a passivation) refuses new work until it has stopped,
     * and the gateway asks again, which reaches the next entity. Run by the stopping entity, a call
     * woke the actor again after its sleep: an activation no entity hosts, which on a cluster ran
     * beside the actor's next owner.
     */
    @Test
    void aCallReachingAnEntityGoingToSleepRunsOnTheNextEntityNotBesideIt() {
        ClusterPlacement placement = (ClusterPlacement) node.placement();
        ActorHandle handle = node.registry().actor("probe").getOrCreate(ActorKey.of("stopping"));
        assertThat(handle.action("ping", Integer.class, 0)).isZero();
        String actorId = handle.resolve();
        for (int round = 1; round <= 3; round++) {
            var stopped = placement.entityOf(actorId);
            assertThat(stopped).isNotNull();
            tellToSleep(actorId);
            assertThat(handle.action("ping", Integer.class, round)).isEqualTo(round);

            await().atMost(Duration.ofSeconds(10))
                    .until(() -> !stopped.equals(placement.entityOf(actorId)));
            assertThat(placement.local().awake(actorId))
                    .as("round %d: the actor is awake, and an entity hosts it", round)
                    .isTrue();
            assertThat(placement.entityOf(actorId)).as("round %d: its entity", round).isNotNull();
        }
    }

    /**
     * A connection's call refused by an entity going to sleep, or sent while the connection follows
     * its actor to the next entity, never ran: the next entity runs it. Taken for a call that may
     * have run before the move, it failed with {@code actor.call_interrupted}. Only an ask that
     * went unanswered (here after 400 ms: a cold or busy JVM) leaves the call in doubt.
     */
    @Test
    void aConnectionsCallReachingAnEntityGoingToSleepRunsOnTheNextEntity() {
        RecordingSink sink = new RecordingSink(true);
        ClusterPlacement placement = (ClusterPlacement) node.placement();
        Placement.ConnectionHandle connection = connectToProbe(placement, "caller", sink);
        try {
            assertThat(connection.invoke(ActionCall.of("ping", 0))).hasToString("0");
            int answered = 0;
            for (int round = 1; round <= 5; round++) {
                var stopped = placement.entityOf(connection.actorId());
                assertThat(stopped).isNotNull();
                long unansweredBefore = placement.retriedCalls();
                tellToSleep(connection.actorId());

                try {
                    assertThat(connection.invoke(ActionCall.of("ping", round)))
                            .as("round %d", round)
                            .hasToString("" + round);
                } catch (ActorError e) {
                    assertThat(e.code()).isEqualTo("call_interrupted");
                    assertThat(placement.retriedCalls())
                            .as("round %d: an ask went unanswered", round)
                            .isGreaterThan(unansweredBefore);
                }
                if (placement.retriedCalls() == unansweredBefore) {
                    answered++;
                }
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> !stopped.equals(placement.entityOf(connection.actorId())));
            }
            assertThat(answered).as("rounds whose asks were all answered").isPositive();
            assertThat(sink.closed).isFalse();
        } finally {
            connection.close();
        }
    }

    /**
     * A subscription change is work like a call: one that reaches an entity going to sleep is
     * refused and asked again at the next entity, which holds the connection the actor kept.
     * Applied by the stopping activation after it had written its connections, it was lost: the
     * client believed itself subscribed and received nothing.
     */
    @Test
    void aSubscriptionReachingAnEntityGoingToSleepHoldsOnTheNextEntity() {
        RecordingSink sink = new RecordingSink(true);
        ClusterPlacement placement = (ClusterPlacement) node.placement();
        Placement.ConnectionHandle connection = connectToProbe(placement, "resubscriber", sink);
        try {
            for (int round = 1; round <= 3; round++) {
                connection.unsubscribe("pong");
                assertThat(connection.invoke(ActionCall.of("ping", -round))).isNotNull();
                var stopped = placement.entityOf(connection.actorId());
                assertThat(stopped).isNotNull();
                tellToSleep(connection.actorId());
                connection.subscribe("pong");
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> !stopped.equals(placement.entityOf(connection.actorId())));

                assertThat(connection.invoke(ActionCall.of("ping", round))).hasToString("" + round);
                String sent = "" + round;
                await().atMost(Duration.ofSeconds(5))
                        .alias("round " + round + ": the pong of a subscribed connection")
                        .until(() -> sink.events.stream().anyMatch(e -> e.toString().equals(sent)));
            }
            assertThat(sink.events).extracting(Object::toString).containsExactly("1", "2", "3");
            assertThat(sink.closed).isFalse();
        } finally {
            connection.close();
        }
    }

    /**
     * Artery drops a message larger than its frame and only logs it: the caller would wait for
     * nothing. Arguments, results and events too long for a cluster message fail with the reason
     * instead, on every node alike (this one-node cluster does not serialise its messages; {@code
     * ClusterTest} sends 1 MiB across real nodes).
     */
    @Test
    void aMessageTooLongForTheClusterFailsWithTheReasonAndItsConnectionIsClosedSayingWhy() {
        int tooLong = ClusterPlacement.MAX_MESSAGE_JSON_BYTES;
        ActorHandle handle = node.registry().actor("probe").getOrCreate(ActorKey.of("large"));
        String mebibyte = "é".repeat(512 * 1024);
        assertThat(handle.action("echo", String.class, mebibyte)).isEqualTo(mebibyte);
        assertThatThrownBy(() -> handle.action("echo", String.class, "x".repeat(tooLong)))
                .isInstanceOfSatisfying(ActorError.class, ClusterPlacementTest::isTooLong)
                .hasMessageContaining("The arguments of echo");

        RecordingSink sink = new RecordingSink(false);
        Placement.ConnectionHandle connection =
                node.placement()
                        .connect(
                                new ActorQuery.GetOrCreate("probe", ActorKey.of("large"), null),
                                null,
                                sink);
        try {
            connection.subscribe("blob");
            assertThat(connection.invoke(ActionCall.of("blob", 1000)))
                    .hasToString("\"" + "x".repeat(1000) + "\"");
            await().atMost(Duration.ofSeconds(5)).until(() -> sink.events.size() == 1);

            assertThatThrownBy(() -> connection.invoke(ActionCall.of("blob", tooLong)))
                    .isInstanceOfSatisfying(ActorError.class, ClusterPlacementTest::isTooLong)
                    .hasMessageContaining("The result");
            await().atMost(Duration.ofSeconds(5)).until(() -> sink.closedWith.get() != null);
            isTooLong(sink.closedWith.get());
            assertThat(sink.closedWith.get().message()).contains("The event blob");
            assertThat(sink.events).hasSize(1);
        } finally {
            connection.close();
        }
    }

    /** A connection to the {@code probe} actor with this key. */
    private static Placement.ConnectionHandle connectToProbe(
            Placement placement, String key, ConnectionSink sink) {
        return placement.connect(
                new ActorQuery.GetOrCreate("probe", ActorKey.of(key), null), null, sink);
    }

    /** Tells the actor's entity to sleep, as a hand-over or a passivation does. */
    private static void tellToSleep(String actorId) {
        ClusterSharding.get(node.system())
                .entityRefFor(ClusterPlacement.ENTITY, actorId)
                .tell(new ClusterMessage.Sleep());
    }

    private static void isTooLong(ActorError e) {
        assertThat(e.group() + "." + e.code()).isEqualTo("message.cluster_too_long");
    }

    /** Keeps each event's first argument; {@code hibernatable} as a WebSocket's sink is. */
    private static final class RecordingSink implements ConnectionSink {
        final ConcurrentLinkedQueue<Object> events = new ConcurrentLinkedQueue<>();
        final AtomicBoolean closed = new AtomicBoolean();
        final AtomicReference<@Nullable ActorError> closedWith = new AtomicReference<>();
        private final boolean hibernatable;

        RecordingSink(boolean hibernatable) {
            this.hibernatable = hibernatable;
        }

        @Override
        public void send(ActorEvent event) {
            events.add(event.args().getFirst());
        }

        @Override
        public void close(String reason, @Nullable ActorError error) {
            closedWith.set(error);
            closed.set(true);
        }

        @Override
        public boolean hibernatable() {
            return hibernatable;
        }
    }
}
