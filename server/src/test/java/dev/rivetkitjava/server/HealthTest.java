package dev.rivetkitjava.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.Registry;
import dev.rivetkitjava.actor.store.FaultyActorStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * {@code /health} is 503, with the reason, while actors' state saves fail, and 200 "ok" again once
 * they work.
 */
class HealthTest {
    private static final String GOC =
            "rvt-namespace=default&rvt-method=getOrCreate&rvt-runner=default&rvt-crash-policy=sleep";
    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> send(RivetServer server, String method, String path, String body)
            throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(server.endpoint() + path))
                        .method(
                                method,
                                body == null
                                        ? HttpRequest.BodyPublishers.noBody()
                                        : HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthIsUnavailableWhileStateSavesFail() throws Exception {
        FaultyActorStore store = new FaultyActorStore();
        try (Registry registry =
                        Registry.builder()
                                .use(CompatFixtures.counter(Duration.ofSeconds(30)))
                                .store(store)
                                .saveTimeout(Duration.ofSeconds(2))
                                .build();
                RivetServer server = RivetServer.builder(registry).port(0).build().start()) {
            assertThat(
                            send(
                                            server,
                                            "POST",
                                            "/gateway/counter/action/increment?rvt-key=h&" + GOC,
                                            "{\"args\":[1]}")
                                    .statusCode())
                    .isEqualTo(200);
            HttpResponse<String> healthy = send(server, "GET", "/health", null);
            assertThat(healthy.statusCode()).isEqualTo(200);
            assertThat(healthy.body()).isEqualTo("ok");

            store.failSavesOf(registry.actor("counter").get(ActorKey.of("h")).resolve());
            HttpResponse<String> failed =
                    send(
                            server,
                            "POST",
                            "/gateway/counter/action/increment?rvt-key=h&" + GOC,
                            "{\"args\":[1]}");
            assertThat(failed.statusCode()).isEqualTo(500);
            assertThat(failed.body())
                    .contains("state_save_failed")
                    .contains("kept in memory and retried");
            HttpResponse<String> failing = send(server, "GET", "/health", null);
            assertThat(failing.statusCode()).isEqualTo(503);
            assertThat(failing.body())
                    .contains("state saves are failing for 1 actor")
                    .contains("cannot write actor");
            assertThat(send(server, "GET", "/metrics", null).body())
                    .contains("rivetkit_state_save_failing_actors 1.0");

            store.healSavesOf(registry.actor("counter").get(ActorKey.of("h")).resolve());
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> send(server, "GET", "/health", null).statusCode() == 200);
            assertThat(send(server, "GET", "/health", null).body()).isEqualTo("ok");
        }
    }
}
