package dev.rivetkitjava.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rivetkitjava.actor.Registry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The server drops a {@code /connect} client (or a raw WebSocket's) that answers nothing, not even
 * its pings: the official client answers them by itself, so its connection and its raw WebSocket,
 * quiet for many ping intervals, are never dropped.
 */
@Tag("external")
class OfficialClientPingTest {

    @ParameterizedTest
    @CsvSource({"bare, 2.3.19", "json, 2.3.11"})
    void theOfficialClientAnswersPingsAndStaysConnectedWhileQuiet(
            String encoding, String clientVersion) throws Exception {
        CompatibilityTest.installNodePackages();
        try (Registry registry =
                        Registry.builder()
                                .use(CompatFixtures.counter(Duration.ofSeconds(30)))
                                .build();
                RivetServer server =
                        RivetServer.builder(registry)
                                .port(0)
                                .pingInterval(Duration.ofMillis(200))
                                .build()
                                .start()) {
            // Quiet for 1.5 s: a client that did not answer would be dropped after 0.5 s.
            String output =
                    CompatibilityTest.run(
                            List.of(
                                    "node",
                                    CompatibilityTest.COMPAT.resolve("pings.mjs").toString(),
                                    server.endpoint(),
                                    encoding,
                                    clientVersion,
                                    "1500"),
                            Duration.ofSeconds(90));
            assertThat(output.lines())
                    .containsExactly(
                            "{\"before\":1,\"after\":2,\"opens\":1,\"closes\":0,"
                                    + "\"rawCloses\":0,\"rawMessages\":[\"echo:still here\"]}");
            String metrics =
                    HttpClient.newHttpClient()
                            .send(
                                    HttpRequest.newBuilder(
                                                    URI.create(server.endpoint() + "/metrics"))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .body();
            assertThat(metrics).contains("rivetkit_connections_silent_dropped_total 0.0");
        }
    }
}
