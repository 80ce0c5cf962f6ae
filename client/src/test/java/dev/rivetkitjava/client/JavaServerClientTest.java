package dev.rivetkitjava.client;

import dev.rivetkitjava.protocol.Encoding;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The client against rivetkit-java's server, in each encoding: every scenario of {@link
 * ClientScenarios}.
 */
class JavaServerClientTest extends ClientScenarios {
    private static JavaServer server;

    @BeforeAll
    static void start() {
        server = JavaServer.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Override
    RivetClient client(Encoding encoding) {
        return RivetClient.builder().endpoint(server.endpoint()).encoding(encoding).build();
    }

    /** Awaitility's default. */
    @Override
    Duration patience() {
        return Duration.ofSeconds(10);
    }
}
