package dev.rivetkitjava.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.rivetkitjava.client.ActorConnection.Status;
import dev.rivetkitjava.protocol.Encoding;
import dev.rivetkitjava.protocol.ToServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The client's scenarios, in each encoding, against a peer that serves the compat fixture actors
 * ({@code counter}, {@code lifecycle}): rivetkit-java's server ({@link JavaServerClientTest}) and
 * the real RivetKit stack ({@link RealStackClientTest}). A subclass says where the peer is and how
 * long to wait for it.
 */
abstract class ClientScenarios {
    /** A client of the peer in {@code encoding}. */
    abstract RivetClient client(Encoding encoding);

    /** How long to wait for what the peer does in the background (a broadcast, a reconnect). */
    abstract Duration patience();

    /**
     * How long to wait for a subscription to take effect (the real engine is slow to place an
     * actor).
     */
    Duration subscribePatience() {
        return patience().compareTo(Duration.ofSeconds(60)) < 0
                ? Duration.ofSeconds(60)
                : patience();
    }

    /**
     * The error of an action on an actor id that is not even well-formed ({@code no-such-id}): this
     * server does not tell it from a missing actor ({@code actor.not_found}); the real engine fails
     * to parse it.
     */
    String malformedActorIdError() {
        return "actor.not_found";
    }

    /**
     * Whether the peer starts an actor whose input is too large for the URL (created by {@code PUT
     * /actors}).
     */
    boolean startsActorsWithLargeInputs() {
        return true;
    }

    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private ConditionFactory eventually() {
        return await().atMost(patience());
    }

    /**
     * Waits until the connection's {@code newCount} subscription is in effect: a subscription and
     * an action sent right after it travel on the same socket but the real engine may apply them
     * out of order (this server applies them in order). {@code increment(0)} broadcasts without
     * changing the count.
     */
    static void awaitSubscribed(ActorConnection conn, List<Integer> seen, Duration atMost) {
        await().atMost(atMost)
                .until(
                        () -> {
                            conn.action("increment", Integer.class, 0);
                            return !seen.isEmpty();
                        });
    }

    private void awaitSubscribed(ActorConnection conn, List<Integer> seen) {
        awaitSubscribed(conn, seen, subscribePatience());
    }

    @FunctionalInterface
    interface Caller {
        Object call(String action, Class<Integer> type, Object... args);
    }

    @ParameterizedTest
    @EnumSource(Encoding.class)
    void statelessActionsReachTheActorThroughTheQueryGateway(Encoding encoding) {
        try (RivetClient client = client(encoding)) {
            String key = unique("stateless");
            ActorHandle counter = client.actor("counter").getOrCreate(key);
            assertThat(counter.action("increment", Integer.class, 5)).isEqualTo(5);
            assertThat(counter.action("increment", Integer.class, 2)).isEqualTo(7);
            assertThat(counter.actionAsync("getCount", Integer.class).join()).isEqualTo(7);

            JsonNode whoami =
                    counter.withParams(Map.of("user", "carol")).action("whoami", JsonNode.class);
            assertThat(texts(whoami.get("key"))).containsExactly(key);
            assertThat(whoami.at("/params/user").asText()).isEqualTo("carol");
            assertThat(whoami.at("/connState/user").asText()).isEqualTo("carol");
            assertThat(whoami.get("actorId").asText()).isEqualTo(counter.resolve());
            assertThat(client.actor("counter").get(key).action("getCount", Integer.class))
                    .isEqualTo(7);
        }
    }

    @ParameterizedTest
    @EnumSource(Encoding.class)
    void aConnectionReceivesBroadcastsAndCallsActions(Encoding encoding) {
        try (RivetClient client = client(encoding)) {
            ActorHandle counter = client.actor("counter").getOrCreate(unique("events"));
            ActorConnection conn = counter.connect();
            List<Integer> seen = new CopyOnWriteArrayList<>();
            conn.on("newCount", Integer.class, seen::add);
            awaitSubscribed(conn, seen);
            seen.clear();

            assertThat(conn.action("increment", Integer.class, 3)).isEqualTo(3);
            eventually().untilAsserted(() -> assertThat(seen).containsExactly(3));
            // A stateless call on the same actor reaches the connection too.
            assertThat(counter.action("increment", Integer.class, 4)).isEqualTo(7);
            eventually().untilAsserted(() -> assertThat(seen).containsExactly(3, 7));
            assertThat(conn.actionAsync("increment", Integer.class, 1).join()).isEqualTo(8);

            assertThat(conn.status()).isEqualTo(Status.CONNECTED);
            assertThat(conn.actorId()).isEqualTo(counter.resolve());
            assertThat(conn.action("whoami", JsonNode.class).get("connId").asText())
                    .isEqualTo(conn.connectionId());
            conn.close();
            assertThat(conn.status()).isEqualTo(Status.IDLE);
            assertThatThrownBy(() -> conn.action("getCount", Integer.class))
                    .isInstanceOf(ClientError.class)
                    .hasMessageContaining("closed");
        }
    }

    @ParameterizedTest
    @EnumSource(Encoding.class)
    void aKickedConnectionComesBackWithANewIdAndItsSubscriptions(Encoding encoding) {
        try (RivetClient client = client(encoding)) {
            ActorHandle counter = client.actor("counter").getOrCreate(unique("kick"));
            ActorConnection conn = counter.connect(Map.of("user", "alice"));
            List<Integer> seen = new CopyOnWriteArrayList<>();
            conn.on("newCount", Integer.class, seen::add);
            awaitSubscribed(conn, seen);
            assertThat(counter.action("increment", Integer.class, 7)).isEqualTo(7);

            // A kick drops the socket; the connection comes back with a new id and its
            // subscriptions.
            String before = conn.connectionId();
            assertThat(conn.action("kick", String.class)).isEqualTo("kicking");
            eventually()
                    .until(
                            () ->
                                    conn.status() == Status.CONNECTED
                                            && !before.equals(conn.connectionId()));
            seen.clear();
            awaitSubscribed(conn, seen);
            assertThat(seen).contains(7);
            assertThat(conn.action("whoami", JsonNode.class).at("/connState/user").asText())
                    .isEqualTo("alice");
        }
    }

    @ParameterizedTest
    @EnumSource(Encoding.class)
    void connSendReachesOnlyThatConnectionWithAllItsArguments(Encoding encoding) {
        try (RivetClient client = client(encoding)) {
            ActorHandle counter = client.actor("counter").getOrCreate(unique("direct"));
            ActorConnection a = counter.connect();
            ActorConnection b = counter.connect();
            List<ArrayNode> toA = new CopyOnWriteArrayList<>();
            List<ArrayNode> toB = new CopyOnWriteArrayList<>();
            a.onArgs("direct", toA::add);
            b.onArgs("direct", toB::add);

            assertThat(a.action("sendToMe", Boolean.class, Map.of("hi", "there"))).isTrue();
            eventually().untilAsserted(() -> assertThat(toA).hasSize(1));
            assertThat(toA.get(0).get(0).get("hi").asText()).isEqualTo("there");
            assertThat(toA.get(0).get(1).asInt()).isEqualTo(2);

            assertThat(b.action("sendToMe", Boolean.class, "for b")).isTrue();
            eventually().untilAsserted(() -> assertThat(toB).hasSize(1));
            assertThat(toB.get(0).get(0).asText()).isEqualTo("for b");
            assertThat(toB.get(0).get(1).asInt()).isEqualTo(2);
            assertThat(toA).hasSize(1);
        }
    }

    @ParameterizedTest
    @EnumSource(Encoding.class)
    void theFirstListenerSubscribesAndTheLastUnsubscribes(Encoding encoding) {
        try (RivetClient client = client(encoding)) {
            ActorHandle counter = client.actor("counter").getOrCreate(unique("subscribe"));
            ActorConnection conn = counter.connect();
            List<ToServer.SubscriptionRequest> sent = new CopyOnWriteArrayList<>();
            conn.tap(
                    m -> {
                        if (m instanceof ToServer.SubscriptionRequest s) {
                            sent.add(s);
                        }
                    });
            eventually().until(() -> conn.status() == Status.CONNECTED);

            List<Integer> first = new CopyOnWriteArrayList<>();
            List<Integer> second = new CopyOnWriteArrayList<>();
            Subscription one = conn.on("newCount", Integer.class, first::add);
            Subscription two = conn.on("newCount", Integer.class, second::add);
            awaitSubscribed(conn, first);
            assertThat(sent).containsExactly(new ToServer.SubscriptionRequest("newCount", true));

            one.close();
            one.close();
            assertThat(sent).hasSize(1); // a listener is left
            second.clear();
            int count = conn.action("increment", Integer.class, 1);
            eventually().untilAsserted(() -> assertThat(second).contains(count));
            first.clear();

            two.close();
            assertThat(sent)
                    .containsExactly(
                            new ToServer.SubscriptionRequest("newCount", true),
                            new ToServer.SubscriptionRequest("newCount", false));
            // Another connection still gets the broadcast; this one's listeners do not.
            ActorConnection other = counter.connect();
            List<Integer> others = new CopyOnWriteArrayList<>();
            other.on("newCount", Integer.class, others::add);
            awaitSubscribed(other, others);
            int next = conn.action("increment", Integer.class, 1);
            eventually().untilAsserted(() -> assertThat(others).contains(next));
            assertThat(first).isEmpty();
            assertThat(second).doesNotContain(next);
        }
    }

    @ParameterizedTest
    @EnumSource(Encoding.class)
    void connParamsReachTheActorAndOnBeforeConnectCanRefuse(Encoding encoding) {
        try (RivetClient client = client(encoding)) {
            ActorHandle counter = client.actor("counter").getOrCreate(unique("params"));
            ActorConnection alice =
                    counter.connect(Map.of("user", "alice", "note", "ünïcode & spaces (ok)"));
            JsonNode me = alice.action("whoami", JsonNode.class);
            assertThat(me.at("/connState/user").asText()).isEqualTo("alice");
            assertThat(me.at("/params/note").asText()).isEqualTo("ünïcode & spaces (ok)");
            assertThat(me.get("connId").asText()).isEqualTo(alice.connectionId());

            ActorConnection refused = counter.connect(Map.of("reject", true));
            List<ClientError> errors = new CopyOnWriteArrayList<>();
            refused.onError(errors::add);
            CompletableFuture<Integer> waiting = refused.actionAsync("getCount", Integer.class);
            eventually().until(() -> refused.status() == Status.IDLE);
            assertThatThrownBy(waiting::join)
                    .cause()
                    .isInstanceOfSatisfying(
                            RivetError.class,
                            e -> {
                                assertThat(e.qualifiedCode()).isEqualTo("user.rejected");
                                assertThat(e.message()).isEqualTo("connection rejected");
                            });
            assertThatThrownBy(() -> refused.action("getCount", Integer.class))
                    .isInstanceOfSatisfying(
                            RivetError.class, e -> assertThat(e.code()).isEqualTo("rejected"));
            eventually()
                    .untilAsserted(
                            () ->
                                    assertThat(errors)
                                            .singleElement()
                                            .isInstanceOfSatisfying(
                                                    RivetError.class,
                                                    e -> assertThat(e.group()).isEqualTo("user")));
            assertThat(alice.action("getCount", Integer.class)).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(Encoding.class)
    void actionErrorsKeepRivetKitsGroupsCodesAndMetadata(Encoding encoding) {
        try (RivetClient client = client(encoding)) {
            ActorHandle counter = client.actor("counter").getOrCreate(unique("errors"));
            ActorConnection conn = counter.connect();
            String actorId = counter.resolve();
            for (String via : List.of("connection", "stateless")) {
                Caller call = via.equals("connection") ? conn::action : counter::action;
                assertThatThrownBy(() -> call.call("fail", Integer.class))
                        .as(via)
                        .isInstanceOfSatisfying(
                                RivetError.class,
                                e -> {
                                    assertThat(e.qualifiedCode()).isEqualTo("user.custom_code");
                                    assertThat(e.message()).isEqualTo("boom");
                                    assertThat(e.metadata().get("a").asInt()).isEqualTo(1);
                                    assertThat(e.actorId()).isEqualTo(actorId);
                                    assertThat(e.getMessage()).isEqualTo("boom (user.custom_code)");
                                });
                assertThatThrownBy(() -> call.call("internalFail", Integer.class))
                        .as(via)
                        .isInstanceOfSatisfying(
                                RivetError.class,
                                e -> {
                                    assertThat(e.qualifiedCode())
                                            .isEqualTo("rivetkit.internal_error");
                                    assertThat(e.message()).isEqualTo("An internal error occurred");
                                    assertThat(e.metadata()).isNull();
                                });
                assertThatThrownBy(() -> call.call("nope", Integer.class))
                        .as(via)
                        .isInstanceOfSatisfying(
                                RivetError.class,
                                e -> {
                                    assertThat(e.qualifiedCode())
                                            .isEqualTo("actor.action_not_found");
                                    assertThat(e.message())
                                            .isEqualTo("Action `nope` was not found.");
                                });
            }
            assertThat(conn.action("increment", Integer.class, 1)).isEqualTo(1);
            assertThat(conn.status()).isEqualTo(Status.CONNECTED);
        }
    }

    @ParameterizedTest
    @EnumSource(Encoding.class)
    void getOrCreateHandsItsInputToCreateState(Encoding encoding) {
        try (RivetClient client = client(encoding)) {
            ActorHandle small =
                    client.actor("lifecycle")
                            .getOrCreate(List.of(unique("lc")), Map.of("hello", "input"));
            JsonNode state = small.action("getState", JsonNode.class);
            assertThat(state.get("input").get("hello").asText()).isEqualTo("input");
            assertThat(texts(state.get("log"))).startsWith("createState", "onCreate");

            if (!startsActorsWithLargeInputs()) {
                return;
            }
            // Too large for the query gateway's rvt-input: it goes through PUT /actors instead.
            String blob = "x".repeat(6000);
            ActorHandle large =
                    client.actor("lifecycle")
                            .getOrCreate(List.of(unique("lc-large")), Map.of("blob", blob));
            assertThat(large.action("getState", JsonNode.class).at("/input/blob").asText())
                    .isEqualTo(blob);
            ActorConnection conn = large.connect();
            assertThat(conn.action("getState", JsonNode.class).at("/input/blob").asText())
                    .hasSize(6000);
            assertThat(conn.actorId()).isEqualTo(large.resolve());
        }
    }

    @ParameterizedTest
    @EnumSource(Encoding.class)
    void getOfAMissingActorIsNotFound(Encoding encoding) {
        try (RivetClient client = client(encoding)) {
            ActorHandle missing = client.actor("counter").get(unique("missing"));
            assertThatThrownBy(() -> missing.action("getCount", Integer.class))
                    .isInstanceOfSatisfying(
                            RivetError.class,
                            e -> assertThat(e.qualifiedCode()).isEqualTo("actor.not_found"));
            assertThatThrownBy(missing::resolve)
                    .isInstanceOfSatisfying(
                            RivetError.class,
                            e -> assertThat(e.qualifiedCode()).isEqualTo("actor.not_found"));

            ActorConnection conn = missing.connect();
            CompletableFuture<Integer> waiting = conn.actionAsync("getCount", Integer.class);
            eventually().until(() -> conn.status() == Status.IDLE);
            assertThatThrownBy(waiting::join)
                    .cause()
                    .isInstanceOfSatisfying(
                            RivetError.class,
                            e -> assertThat(e.qualifiedCode()).isEqualTo("actor.not_found"));
            assertThatThrownBy(
                            () ->
                                    client.actor("counter")
                                            .getForId("no-such-id")
                                            .action("getCount", Integer.class))
                    .isInstanceOfSatisfying(
                            RivetError.class,
                            e -> assertThat(e.qualifiedCode()).isEqualTo(malformedActorIdError()));
        }
    }

    @ParameterizedTest
    @EnumSource(Encoding.class)
    void createMakesANewActorAndRefusesAnExistingKey(Encoding encoding) {
        try (RivetClient client = client(encoding)) {
            String key = unique("fresh");
            ActorHandle created =
                    client.actor("counter").create(List.of(key), Map.of("hello", "world"));
            assertThat(created.action("increment", Integer.class, 2)).isEqualTo(2);
            String id = created.resolve();
            assertThat(client.actor("counter").getForId(id).action("getCount", Integer.class))
                    .isEqualTo(2);
            assertThat(client.actor("counter").getOrCreate(key).action("getCount", Integer.class))
                    .isEqualTo(2);
            assertThat(client.actor("counter").getOrCreate(key).resolve()).isEqualTo(id);
            try (ActorConnection byId = client.actor("counter").getForId(id).connect()) {
                assertThat(byId.action("increment", Integer.class, 1)).isEqualTo(3);
                assertThat(byId.actorId()).isEqualTo(id);
            }

            assertThatThrownBy(() -> client.actor("counter").create(List.of(key)))
                    .isInstanceOfSatisfying(
                            RivetError.class,
                            e -> {
                                assertThat(e.qualifiedCode()).isEqualTo("actor.duplicate_key");
                                assertThat(e.metadata().get("existing_actor_id").asText())
                                        .isEqualTo(id);
                                assertThat(e.message()).contains(key).contains(id);
                            });
        }
    }

    @ParameterizedTest
    @EnumSource(Encoding.class)
    void keysKeepSlashesUnicodeCommasAndEmptyComponents(Encoding encoding) {
        String run = unique("");
        List<List<String>> keys =
                List.of(
                        List.of("a/b" + run),
                        List.of("a/b-" + run, "ключ-🎉"),
                        List.of("ключ-日本-🎉" + run),
                        List.of("e" + run, "", "z"),
                        List.of("b\\s" + run),
                        List.of("c,d" + run),
                        List.of("sp ace+plus&amp=eq?" + run, "second"));
        try (RivetClient client = client(encoding)) {
            for (List<String> key : keys) {
                ActorHandle handle = client.actor("counter").getOrCreate(key);
                JsonNode whoami = handle.action("whoami", JsonNode.class);
                assertThat(texts(whoami.get("key"))).as("key %s", key).isEqualTo(key);
                assertThat(handle.resolve())
                        .as("key %s", key)
                        .isEqualTo(whoami.get("actorId").asText());
                try (ActorConnection conn = handle.connect()) {
                    assertThat(texts(conn.action("whoami", JsonNode.class).get("key")))
                            .as("key %s", key)
                            .isEqualTo(key);
                    assertThat(conn.actorId()).isEqualTo(handle.resolve());
                }
                assertThat(
                                client.actor("counter")
                                        .get(key)
                                        .action("whoami", JsonNode.class)
                                        .get("actorId")
                                        .asText())
                        .isEqualTo(handle.resolve());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Encoding.class)
    void aSlowActionTimesOutWithoutHarmingTheConnection(Encoding encoding) throws Exception {
        try (RivetClient client = client(encoding)) {
            ActorHandle counter = client.actor("counter").getOrCreate(unique("slow"));
            ActorConnection conn = counter.connect();
            // The first action places the actor (slow on the real engine) before the short timeout
            // is tried.
            assertThat(conn.action("getCount", Integer.class)).isZero();
            assertThatThrownBy(
                            () -> conn.action("slow", Duration.ofMillis(200), Integer.class, 1500))
                    .isInstanceOf(ClientError.class)
                    .isNotInstanceOf(RivetError.class)
                    .hasMessageContaining("slow")
                    .hasMessageContaining("200 ms");
            assertThat(conn.action("increment", Integer.class, 1)).isEqualTo(1);
            assertThat(conn.actionAsync("slow", Integer.class, 10).get(30, TimeUnit.SECONDS))
                    .isEqualTo(10);
        }
    }
}
