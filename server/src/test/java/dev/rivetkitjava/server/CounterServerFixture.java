package dev.rivetkitjava.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rivetkitjava.actor.Registry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Tests against a {@link RivetServer} on a free port over a registry of the compat counter: both
 * started before each test and closed after it, and requests to the server (or to another one on
 * the same registry) in plain HTTP.
 */
abstract class CounterServerFixture {
    static final ObjectMapper JSON = new ObjectMapper();

    final HttpClient http = HttpClient.newHttpClient();
    Registry registry;
    RivetServer server;

    @BeforeEach
    void start() throws Exception {
        registry = Registry.builder().use(CompatFixtures.counter(Duration.ofSeconds(30))).build();
        server = RivetServer.builder(registry).port(0).build().start();
    }

    @AfterEach
    void stop() {
        server.close();
        registry.close();
    }

    /**
     * {@code method path} to the server, with {@code body} (none when null) and headers (name,
     * value, …).
     */
    HttpResponse<String> send(String method, String path, String body, String... headers)
            throws Exception {
        return send(server, method, path, body, headers);
    }

    /**
     * {@code method path} to {@code to}, with {@code body} (none when null) and headers (name,
     * value, …).
     */
    HttpResponse<String> send(
            RivetServer to, String method, String path, String body, String... headers)
            throws Exception {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(URI.create(to.endpoint() + path))
                        .method(
                                method,
                                body == null
                                        ? HttpRequest.BodyPublishers.noBody()
                                        : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body());
    }
}
