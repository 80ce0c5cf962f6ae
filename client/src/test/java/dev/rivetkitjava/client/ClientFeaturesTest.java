package dev.rivetkitjava.client;

import static dev.rivetkitjava.client.ClientScenarios.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.rivetkitjava.client.ActorConnection.Status;
import dev.rivetkitjava.protocol.Encoding;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Tokens, the metadata lookup, timeouts and transport failures. */
class ClientFeaturesTest {

    @ParameterizedTest
    @EnumSource(Encoding.class)
    void aTokenTravelsWhereverTheServerLooksForIt(Encoding encoding) {
        try (JavaServer server = JavaServer.start(null, 0, "s3cret+?&= ~");
                RivetClient client =
                        RivetClient.builder()
                                .endpoint(server.endpoint())
                                .encoding(encoding)
                                .token("s3cret+?&= ~")
                                .build();
                RivetClient anonymous =
                        RivetClient.builder()
                                .endpoint(server.endpoint())
                                .encoding(encoding)
                                .build();
                RivetClient wrong =
                        RivetClient.builder()
                                .endpoint(server.endpoint())
                                .encoding(encoding)
                                .token("nope")
                                .build()) {
            String key = unique("token");
            ActorHandle counter = client.actor("counter").getOrCreate(key);
            assertThat(counter.action("increment", Integer.class, 1)).isEqualTo(1); // rvt-token
            String id = counter.resolve(); // PUT /actors with Authorization: Bearer
            assertThat(client.actor("counter").get(key).resolve()).isEqualTo(id); // GET /actors
            assertThat(client.actor("counter").getForId(id).action("getCount", Integer.class))
                    .isEqualTo(1); // @token
            ActorHandle created =
                    client.actor("counter")
                            .create(List.of(unique("token-created"))); // POST /actors
            assertThat(created.action("increment", Integer.class, 5)).isEqualTo(5);
            try (ActorConnection conn = counter.connect();
                    ActorConnection direct = created.connect()) {
                assertThat(conn.action("increment", Integer.class, 1)).isEqualTo(2);
                assertThat(direct.action("getCount", Integer.class)).isEqualTo(5);
            }

            for (RivetClient refused : List.of(anonymous, wrong)) {
                assertThatThrownBy(
                                () ->
                                        refused.actor("counter")
                                                .getOrCreate(key)
                                                .action("getCount", Integer.class))
                        .isInstanceOfSatisfying(
                                RivetError.class,
                                e -> assertThat(e.qualifiedCode()).isEqualTo("auth.forbidden"));
                assertThatThrownBy(() -> refused.actor("counter").create(List.of(unique("x"))))
                        .isInstanceOfSatisfying(
                                RivetError.class,
                                e -> assertThat(e.qualifiedCode()).isEqualTo("auth.forbidden"));
                ActorConnection conn = refused.actor("counter").getOrCreate(key).connect();
                await().until(() -> conn.status() == Status.IDLE);
                assertThatThrownBy(() -> conn.action("getCount", Integer.class))
                        .isInstanceOfSatisfying(
                                RivetError.class,
                                e -> assertThat(e.qualifiedCode()).isEqualTo("auth.forbidden"));
            }
        }
    }

    @Test
    void theMetadataLookupRunsOncePerClientAndItsClientEndpointIsHonoured() throws Exception {
        try (JavaServer server = JavaServer.start()) {
            AtomicInteger lookups = new AtomicInteger();
            List<String> otherRequests = new CopyOnWriteArrayList<>();
            HttpServer front =
                    HttpServer.create(
                            new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
            front.createContext(
                    "/",
                    exchange -> {
                        byte[] body;
                        if (exchange.getRequestURI().getPath().equals("/metadata")) {
                            lookups.incrementAndGet();
                            body =
                                    ("{\"runtime\":\"front\",\"version\":\"1\",\"clientEndpoint\":\""
                                                    + server.endpoint()
                                                    + "/\"}")
                                            .getBytes(StandardCharsets.UTF_8);
                            exchange.getResponseHeaders().add("content-type", "application/json");
                            exchange.sendResponseHeaders(200, body.length);
                        } else {
                            otherRequests.add(exchange.getRequestURI().toString());
                            body = new byte[0];
                            exchange.sendResponseHeaders(404, -1);
                        }
                        exchange.getResponseBody().write(body);
                        exchange.close();
                    });
            front.start();
            try (RivetClient client =
                    RivetClient.create("http://127.0.0.1:" + front.getAddress().getPort())) {
                ActorHandle counter = client.actor("counter").getOrCreate(unique("metadata"));
                List<CompletableFuture<Integer>> calls =
                        List.of(
                                counter.actionAsync("increment", Integer.class, 1),
                                counter.actionAsync("increment", Integer.class, 1),
                                counter.actionAsync("increment", Integer.class, 1));
                assertThat(calls).allSatisfy(call -> assertThat(call.join()).isBetween(1, 3));
                try (ActorConnection conn = counter.connect()) {
                    assertThat(conn.action("getCount", Integer.class)).isEqualTo(3);
                }
                assertThat(
                                client.actor("counter")
                                        .create(List.of(unique("metadata-created")))
                                        .resolve())
                        .isNotBlank();
            } finally {
                front.stop(0);
            }
            assertThat(lookups).hasValue(1);
            assertThat(otherRequests).isEmpty();
        }
    }

    @Test
    void aTransportFailureNamesTheUrl() {
        int port = JavaServer.freePort();
        try (RivetClient client =
                RivetClient.builder()
                        .endpoint("http://127.0.0.1:" + port + "/prefix")
                        .token("do-not-print")
                        .build()) {
            assertThatThrownBy(
                            () ->
                                    client.actor("counter")
                                            .getOrCreate("a")
                                            .action("getCount", Integer.class))
                    .isInstanceOf(ClientError.class)
                    .isNotInstanceOf(RivetError.class)
                    .hasMessageContaining(
                            "GET http://127.0.0.1:" + port + "/prefix/metadata?namespace=default")
                    .hasMessageNotContaining("do-not-print");
        }
        JavaServer server = JavaServer.start();
        try (RivetClient client =
                RivetClient.builder().endpoint(server.endpoint()).token("do-not-print").build()) {
            ActorHandle counter = client.actor("counter").getOrCreate("a");
            assertThat(counter.action("getCount", Integer.class)).isZero();
            String endpoint = server.endpoint();
            server.close(); // then the server is gone
            assertThatThrownBy(() -> counter.action("getCount", Integer.class))
                    .isInstanceOf(ClientError.class)
                    .isNotInstanceOf(RivetError.class)
                    .hasMessageContaining("POST " + endpoint + "/gateway/counter/action/getCount?")
                    .hasMessageContaining("cannot connect")
                    .hasMessageContaining("rvt-token=***")
                    .hasMessageNotContaining("do-not-print");
        } finally {
            server.close();
        }
    }

    @Test
    void aStatelessActionTimesOutWithTheUrlInTheMessage() {
        try (JavaServer server = JavaServer.start();
                RivetClient client =
                        RivetClient.builder()
                                .endpoint(server.endpoint())
                                .actionTimeout(Duration.ofMillis(300))
                                .build()) {
            ActorHandle counter = client.actor("counter").getOrCreate(unique("timeout"));
            assertThat(counter.action("getCount", Integer.class)).isZero();
            assertThatThrownBy(() -> counter.action("slow", Integer.class, 1500))
                    .isInstanceOf(ClientError.class)
                    .hasMessageContaining(
                            "POST " + server.endpoint() + "/gateway/counter/action/slow?");
        }
    }

    @Test
    void resultsConvertToTheRequestedTypeAndArgumentsFromJavaObjects() {
        record Me(String connId, List<String> key, String name) {}
        try (JavaServer server = JavaServer.start();
                RivetClient client = RivetClient.create(server.endpoint())) {
            String key = unique("types");
            ActorHandle counter = client.actor("counter").getOrCreate(key);
            Me me = counter.action("whoami", Me.class);
            assertThat(me.key()).containsExactly(key);
            assertThat(me.name()).isEqualTo("counter");
            assertThat(counter.action("increment", Long.class, 3L)).isEqualTo(3L);
            assertThat(counter.action("getCount", JsonNode.class).asInt()).isEqualTo(3);
            assertThat(counter.action("getCount", Void.class)).isNull();
            assertThatThrownBy(() -> counter.action("whoami", Integer.class))
                    .isInstanceOf(ClientError.class)
                    .hasMessageContaining("the result of `whoami`");
        }
    }
}
