package dev.rivetkitjava.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rivetkitjava.protocol.Encoding;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The usage example of the README, run against rivetkit-java's server. */
class UsageExampleTest {
    @Test
    void theReadmeExampleWorks() {
        List<String> out = new CopyOnWriteArrayList<>();
        String room1 = ClientScenarios.unique("room-1");
        String room2 = ClientScenarios.unique("room-2");
        try (JavaServer server = JavaServer.start()) {
            // ---- the example
            try (RivetClient client =
                    RivetClient.builder()
                            .endpoint(server.endpoint())
                            .encoding(Encoding.BARE)
                            .token(System.getenv("RIVET_TOKEN"))
                            .build()) {
                ActorHandle room = client.actor("counter").getOrCreate(List.of(room1));
                int count = room.action("increment", Integer.class, 5); // stateless HTTP action
                out.add("count " + count);

                try (ActorConnection conn =
                        room.connect(Map.of("user", "alice"))) { // WebSocket; reconnects itself
                    conn.onStatus(status -> out.add("status " + status));
                    Subscription sub =
                            conn.on("newCount", Integer.class, n -> out.add("event " + n));
                    out.add(
                            "after increment "
                                    + conn.action("increment", Integer.class, 1)); // waits for Init
                    conn.actionAsync("getCount", Integer.class)
                            .thenAccept(n -> out.add("async " + n));
                    await().until(() -> out.contains("async 6"));
                    sub.close(); // last listener: unsubscribes
                }
                try {
                    room.action("fail", Void.class);
                } catch (RivetError e) { // group, code, message, metadata
                    out.add(e.qualifiedCode() + " " + e.metadata());
                }
                ActorHandle fresh =
                        client.actor("counter").create(List.of(room2), Map.of("hello", "input"));
                out.add("created " + (fresh.resolve() != null));
            }
            // ---- end of the example
        }
        assertThat(out)
                .contains(
                        "count 5",
                        "after increment 6",
                        "async 6",
                        "user.custom_code {\"a\":1}",
                        "created true");
        await().untilAsserted(
                        () ->
                                assertThat(out)
                                        .contains("status IDLE")); // status callbacks run on their
        // own thread
    }
}
