package dev.rivetkitjava.client;

import static dev.rivetkitjava.client.JavaServerClientTest.texts;
import static dev.rivetkitjava.client.JavaServerClientTest.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.rivetkitjava.client.ActorConnection.Status;
import dev.rivetkitjava.protocol.Encoding;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The client against the REAL RivetKit 2.3.19 stack (Rivet Engine + Node registry, {@code compat/}), in each
 * encoding: the core scenarios of {@link JavaServerClientTest}. The engine is slow to place an actor the first
 * time (about 12 s for a fresh client process), so waits are generous.
 */
class RealStackClientTest {
    private static final Duration SLOW = Duration.ofSeconds(120);

    @RegisterExtension
    static final ReferenceStack STACK = new ReferenceStack();

    private static RivetClient client(Encoding encoding) {
        return RivetClient.builder().endpoint(STACK.endpoint()).encoding(encoding).actionTimeout(SLOW)
                .connectTimeout(Duration.ofSeconds(30)).build();
    }

    @ParameterizedTest
    @EnumSource(Encoding.class)
    void statelessActions(Encoding encoding) {
        try (RivetClient client = client(encoding)) {
            String key = unique("stateless");
            ActorHandle counter = client.actor("counter").getOrCreate(key);
            assertThat(counter.action("increment", Integer.class, 5)).isEqualTo(5);
            assertThat(counter.action("increment", Integer.class, 2)).isEqualTo(7);
            JsonNode whoami = counter.withParams(Map.of("user", "carol")).action("whoami", JsonNode.class);
            assertThat(texts(whoami.get("key"))).containsExactly(key);
            assertThat(whoami.at("/params/user").asText()).isEqualTo("carol");
            assertThat(whoami.get("actorId").asText()).isEqualTo(counter.resolve());
            assertThat(client.actor("counter").get(key).action("getCount", Integer.class)).isEqualTo(7);

            List<String> slashed = List.of("a/b-" + key, "ключ-🎉");
            ActorHandle odd = client.actor("counter").getOrCreate(slashed);
            assertThat(texts(odd.action("whoami", JsonNode.class).get("key"))).isEqualTo(slashed);

            JsonNode state = client.actor("lifecycle").getOrCreate(List.of(unique("lc")), Map.of("hello", "input"))
                    .action("getState", JsonNode.class);
            assertThat(state.at("/input/hello").asText()).isEqualTo("input");
            assertThat(texts(state.get("log"))).startsWith("createState", "onCreate");
        }
    }

    @ParameterizedTest
    @EnumSource(Encoding.class)
    void connectionsGetEventsAndCallActions(Encoding encoding) {
        try (RivetClient client = client(encoding)) {
            ActorHandle counter = client.actor("counter").getOrCreate(unique("events"));
            ActorConnection conn = counter.connect(Map.of("user", "alice"));
            List<Integer> seen = new CopyOnWriteArrayList<>();
            conn.on("newCount", Integer.class, seen::add);
            List<ArrayNode> direct = new CopyOnWriteArrayList<>();
            conn.onArgs("direct", direct::add);
            JavaServerClientTest.awaitSubscribed(conn, seen, SLOW);
            seen.clear();

            assertThat(conn.action("increment", Integer.class, 3)).isEqualTo(3);
            await().atMost(SLOW).untilAsserted(() -> assertThat(seen).containsExactly(3));
            assertThat(counter.action("increment", Integer.class, 4)).isEqualTo(7);
            await().atMost(SLOW).untilAsserted(() -> assertThat(seen).containsExactly(3, 7));

            JsonNode me = conn.action("whoami", JsonNode.class);
            assertThat(me.at("/connState/user").asText()).isEqualTo("alice");
            assertThat(me.get("connId").asText()).isEqualTo(conn.connectionId());
            assertThat(conn.actorId()).isEqualTo(counter.resolve());

            assertThat(conn.action("sendToMe", Boolean.class, "hello")).isTrue();
            await().atMost(SLOW).untilAsserted(() -> assertThat(direct).hasSize(1));
            assertThat(direct.get(0).get(0).asText()).isEqualTo("hello");
            assertThat(direct.get(0).get(1).asInt()).isEqualTo(2);

            // A kick drops the socket; the connection comes back with a new id and its subscriptions.
            String before = conn.connectionId();
            assertThat(conn.action("kick", String.class)).isEqualTo("kicking");
            await().atMost(SLOW).until(() -> conn.status() == Status.CONNECTED && !before.equals(conn.connectionId()));
            seen.clear();
            JavaServerClientTest.awaitSubscribed(conn, seen, SLOW);
            assertThat(seen).contains(7);
        }
    }

    @ParameterizedTest
    @EnumSource(Encoding.class)
    void errorCodes(Encoding encoding) {
        try (RivetClient client = client(encoding)) {
            ActorHandle counter = client.actor("counter").getOrCreate(unique("errors"));
            ActorConnection conn = counter.connect();
            String actorId = counter.resolve();
            for (String via : List.of("connection", "stateless")) {
                JavaServerClientTest.Caller call = via.equals("connection") ? conn::action : counter::action;
                assertThatThrownBy(() -> call.call("fail", Integer.class)).as(via)
                        .isInstanceOfSatisfying(RivetError.class, e -> {
                            assertThat(e.qualifiedCode()).isEqualTo("user.custom_code");
                            assertThat(e.message()).isEqualTo("boom");
                            assertThat(e.metadata().get("a").asInt()).isEqualTo(1);
                            assertThat(e.actorId()).isEqualTo(actorId);
                        });
                assertThatThrownBy(() -> call.call("internalFail", Integer.class)).as(via)
                        .isInstanceOfSatisfying(RivetError.class, e -> {
                            assertThat(e.qualifiedCode()).isEqualTo("rivetkit.internal_error");
                            assertThat(e.message()).isEqualTo("An internal error occurred");
                        });
                assertThatThrownBy(() -> call.call("nope", Integer.class)).as(via)
                        .isInstanceOfSatisfying(RivetError.class, e -> {
                            assertThat(e.qualifiedCode()).isEqualTo("actor.action_not_found");
                            assertThat(e.message()).isEqualTo("Action `nope` was not found.");
                        });
            }
            assertThat(conn.action("increment", Integer.class, 1)).isEqualTo(1);

            assertThatThrownBy(() -> client.actor("counter").get(unique("missing")).action("getCount", Integer.class))
                    .isInstanceOfSatisfying(RivetError.class, e -> assertThat(e.qualifiedCode()).isEqualTo("actor.not_found"));

            ActorConnection refused = counter.connect(Map.of("reject", true));
            CompletableFuture<Integer> waiting = refused.actionAsync("getCount", Integer.class);
            await().atMost(SLOW).until(() -> refused.status() == Status.IDLE);
            assertThatThrownBy(waiting::join).cause().isInstanceOfSatisfying(RivetError.class, e -> {
                assertThat(e.qualifiedCode()).isEqualTo("user.rejected");
                assertThat(e.message()).isEqualTo("connection rejected");
            });
        }
    }

    @ParameterizedTest
    @EnumSource(Encoding.class)
    void createThenCreateAgainIsADuplicate(Encoding encoding) {
        try (RivetClient client = client(encoding)) {
            String key = unique("fresh");
            ActorHandle created = client.actor("counter").create(List.of(key), Map.of("hello", "world"));
            assertThat(created.action("increment", Integer.class, 2)).isEqualTo(2);
            String id = created.resolve();
            assertThat(client.actor("counter").getForId(id).action("getCount", Integer.class)).isEqualTo(2);
            assertThat(client.actor("counter").getOrCreate(key).action("getCount", Integer.class)).isEqualTo(2);
            try (ActorConnection byId = client.actor("counter").getForId(id).connect()) {
                assertThat(byId.action("increment", Integer.class, 1)).isEqualTo(3);
                assertThat(byId.actorId()).isEqualTo(id);
            }
            assertThatThrownBy(() -> client.actor("counter").create(List.of(key)))
                    .isInstanceOfSatisfying(RivetError.class, e -> {
                        assertThat(e.qualifiedCode()).isEqualTo("actor.duplicate_key");
                        assertThat(e.metadata().get("existing_actor_id").asText()).isEqualTo(id);
                        assertThat(e.message()).contains(key).contains(id);
                    });
        }
    }
}
