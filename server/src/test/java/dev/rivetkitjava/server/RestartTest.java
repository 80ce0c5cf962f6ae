package dev.rivetkitjava.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rivetkitjava.actor.Registry;
import dev.rivetkitjava.actor.store.InMemoryActorStore;
import dev.rivetkitjava.protocol.ClientProtocol;
import dev.rivetkitjava.protocol.Encoding;
import dev.rivetkitjava.protocol.ToClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * A restart leaves no moment without a listener: the old server drains while the new one takes the
 * port.
 */
class RestartTest {
    private static final String INCREMENT =
            "{\"body\":{\"tag\":\"ActionRequest\",\"val\":{\"id\":[\"$BigInt\",\"0\"],\"name\":\"increment\",\"args\":[1]}}}";

    private final InMemoryActorStore store = new InMemoryActorStore();

    private Registry registry() {
        return Registry.builder()
                .use(CompatFixtures.counter(Duration.ofSeconds(30)))
                .store(store)
                .build();
    }

    @Test
    void aDrainingServerSaysRetryWhileTheNextOneTakesThePort() throws Exception {
        RivetServer first =
                RivetServer.builder(registry())
                        .port(0)
                        .drainPeriod(Duration.ofSeconds(3))
                        .build()
                        .start();
        int port = first.port();
        WireClient before = WireClient.connect(first, "r");
        await().until(() -> before.frames.size() == 1);
        before.socket.sendText(INCREMENT, true).get();
        await().until(() -> before.frames.size() == 2); // Init and the reply: count 1

        CompletableFuture<Void> stopping = CompletableFuture.runAsync(first::close);
        // Its actors sleep (state saved) and its sockets close with a signal the client reconnects
        // on.
        assertThat(before.closed.get(10, java.util.concurrent.TimeUnit.SECONDS))
                .isEqualTo("1011 actor.stopped");
        // While it drains, new work hears "retry" (WebSockets too: OfficialClientRestartTest).
        HttpResponse<String> http =
                HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(
                                                URI.create(
                                                        first.endpoint()
                                                                + WireClient.getOrCreate(
                                                                        "counter",
                                                                        "r",
                                                                        "/action/getCount")))
                                        .POST(HttpRequest.BodyPublishers.ofString("{}"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
        assertThat(http.statusCode()).isEqualTo(503);
        assertThat(http.headers().firstValue("x-rivet-error"))
                .hasValue("guard.service_unavailable");

        // The next server binds the same port meanwhile; a client retrying reaches it, and the
        // state is there.
        try (RivetServer next = RivetServer.builder(registry()).port(port).build().start()) {
            await().atMost(Duration.ofSeconds(10))
                    .until(
                            () -> {
                                WireClient retry = WireClient.connect(next, "r");
                                await().until(
                                                () ->
                                                        !retry.frames.isEmpty()
                                                                || retry.closed.isDone());
                                if (retry.frames.isEmpty()
                                        || !(decode(retry.frames.get(0))
                                                instanceof ToClient.Init)) {
                                    return false;
                                }
                                retry.socket.sendText(INCREMENT, true).get();
                                await().until(() -> retry.frames.size() == 2);
                                return retry.frames.stream()
                                        .map(RestartTest::decode)
                                        .anyMatch(
                                                m ->
                                                        m instanceof ToClient.ActionResponse r
                                                                && r.output().asInt() == 2);
                            });
            stopping.get(20, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    private static ToClient decode(Object frame) {
        return ClientProtocol.decodeToClient(
                Encoding.JSON, ((String) frame).getBytes(StandardCharsets.UTF_8));
    }
}
