package dev.rivetkitjava.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rivetkitjava.actor.Registry;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code serve --token}: the official client's {@code token} option opens every route; without it,
 * none opens.
 */
@Tag("external")
class OfficialClientTokenTest {

    @ParameterizedTest
    @CsvSource({"bare, 2.3.19", "json, 2.3.19", "cbor, 2.3.19", "bare, 2.3.11"})
    void theOfficialClientsTokenOptionOpensEveryRoute(String encoding, String clientVersion)
            throws Exception {
        CompatibilityTest.installNodePackages();
        Registry registry =
                Registry.builder().use(CompatFixtures.counter(Duration.ofSeconds(30))).build();
        try (RivetServer server =
                RivetServer.builder(registry).port(0).token("s3cret-t0ken").build().start()) {
            String output =
                    CompatibilityTest.run(
                            List.of(
                                    "node",
                                    CompatibilityTest.COMPAT.resolve("token.mjs").toString(),
                                    server.endpoint(),
                                    encoding,
                                    clientVersion,
                                    "s3cret-t0ken"),
                            Duration.ofSeconds(90));
            assertThat(output.lines())
                    .containsExactly(
                            "{\"step\":\"stateless increment with token\",\"result\":1}",
                            "{\"step\":\"getForId with token (direct path)\",\"result\":1}",
                            "{\"step\":\"connection with token\",\"result\":2}",
                            "{\"step\":\"stateless without token\",\"error\":\"auth.forbidden\"}",
                            "{\"step\":\"connection without token\",\"result\":\"auth.forbidden\"}");
        }
    }
}
