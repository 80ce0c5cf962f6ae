package dev.rivetkitjava.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rivetkitjava.actor.Registry;
import dev.rivetkitjava.actor.store.InMemoryActorStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A server restart under connected official clients ({@code compat/restart.mjs}): the old server
 * drains while the new one takes the port, and the unmodified client reconnects by itself, with the
 * actor's state intact.
 */
@Tag("external")
class OfficialClientRestartTest {

    private static Registry registry(InMemoryActorStore store) {
        return Registry.builder()
                .use(CompatFixtures.counter(Duration.ofSeconds(30)))
                .store(store)
                .build();
    }

    @ParameterizedTest
    @ValueSource(strings = {"2.3.19", "2.3.11"})
    void theOfficialClientReconnectsToTheNextServer(String clientVersion) throws Exception {
        CompatibilityTest.installNodePackages();
        InMemoryActorStore store = new InMemoryActorStore();
        RivetServer first =
                RivetServer.builder(registry(store))
                        .port(0)
                        .drainPeriod(Duration.ofSeconds(3))
                        .build()
                        .start();
        Process node =
                new ProcessBuilder(
                                "node",
                                CompatibilityTest.COMPAT.resolve("restart.mjs").toString(),
                                first.endpoint(),
                                "bare",
                                clientVersion)
                        .redirectError(ProcessBuilder.Redirect.INHERIT)
                        .start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader out =
                new BufferedReader(
                        new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                lines.add(line);
                if (line.equals("{\"step\":\"ready\",\"result\":true}")) {
                    CompletableFuture<Void> stopping = CompletableFuture.runAsync(first::close);
                    try (RivetServer next =
                            RivetServer.builder(registry(store))
                                    .port(first.port())
                                    .build()
                                    .start()) {
                        readRest(out, lines);
                        stopping.get(30, TimeUnit.SECONDS);
                    }
                }
            }
        } finally {
            first.close();
        }
        assertThat(node.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(node.exitValue()).isZero();
        assertThat(lines)
                .containsExactly(
                        "{\"step\":\"increment before restart\",\"result\":1}",
                        "{\"step\":\"ready\",\"result\":true}",
                        "{\"step\":\"increment after restart\",\"result\":2}",
                        "{\"step\":\"events\",\"result\":[1,2]}",
                        "{\"step\":\"reconnected\",\"result\":true}");
    }

    private static void readRest(BufferedReader out, List<String> lines) throws Exception {
        for (String line; (line = out.readLine()) != null; ) {
            lines.add(line);
        }
    }
}
