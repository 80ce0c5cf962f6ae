package dev.rivetkitjava.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.util.AbstractList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The server's routes spoken to directly, in JSON, as the wire transcripts show them. */
class ServerHttpTest extends CounterServerFixture {
    private static final String GOC =
            "rvt-namespace=default&rvt-method=getOrCreate&rvt-runner=default&rvt-crash-policy=sleep";

    @Test
    void metadataAndHealthAnswer() throws Exception {
        assertThat(json(send("GET", "/metadata?namespace=default", null)).get("runtime").asText())
                .isEqualTo("rivetkit-java");
        assertThat(send("GET", "/health", null).body()).isEqualTo("ok");
    }

    @Test
    void metricsCountActionsActorsAndSaves() throws Exception {
        send("POST", "/gateway/counter/action/increment?rvt-key=m&" + GOC, "{\"args\":[1]}");
        send("POST", "/gateway/counter/action/fail?rvt-key=m&" + GOC, "{\"args\":[]}");
        // Creation writes the initial state at once; the increment is written within the save
        // interval.
        await().until(
                        () ->
                                send("GET", "/metrics", null)
                                        .body()
                                        .contains("rivetkit_state_writes_total 2.0"));
        String metrics = send("GET", "/metrics", null).body();
        assertThat(metrics).contains("rivetkit_state_saves_seconds_count 2");
        assertThat(metrics).contains("rivetkit_actors_awake 1.0");
        assertThat(metrics)
                .contains("rivetkit_actions_seconds_count{outcome=\"ok\",transport=\"http\"} 1");
        assertThat(metrics)
                .contains("rivetkit_actions_seconds_count{outcome=\"error\",transport=\"http\"} 1");
        assertThat(metrics).contains("rivetkit_connections 0.0");
    }

    @Test
    void statelessActionsAndTheirErrorsHaveRivetKitsShape() throws Exception {
        HttpResponse<String> ok =
                send(
                        "POST",
                        "/gateway/counter/action/increment?rvt-key=room-1&" + GOC,
                        "{\"args\":[5]}",
                        "content-type",
                        "application/json",
                        "x-rivet-encoding",
                        "json");
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(json(ok).get("output").asInt()).isEqualTo(5);
        assertThat(ok.headers().firstValue("x-rivet-actor-key")).hasValue("room-1");
        assertThat(ok.headers().firstValue("x-rivet-actor-generation")).hasValue("1");

        HttpResponse<String> user =
                send("POST", "/gateway/counter/action/fail?rvt-key=room-1&" + GOC, "{\"args\":[]}");
        assertThat(user.statusCode()).isEqualTo(500);
        assertThat(json(user).get("group").asText()).isEqualTo("user");
        assertThat(json(user).get("code").asText()).isEqualTo("custom_code");
        assertThat(json(user).get("metadata").get("a").asInt()).isEqualTo(1);
        assertThat(json(user).get("actor").get("key").asText()).isEqualTo("room-1");

        HttpResponse<String> missing =
                send("POST", "/gateway/counter/action/nope?rvt-key=room-1&" + GOC, "{\"args\":[]}");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(json(missing).get("code").asText()).isEqualTo("action_not_found");

        HttpResponse<String> get =
                send(
                        "POST",
                        "/gateway/counter/action/getCount?rvt-namespace=default&rvt-method=get&rvt-key=nobody",
                        "{}");
        assertThat(get.statusCode()).isEqualTo(404);
        assertThat(get.headers().firstValue("x-rivet-error")).hasValue("actor.not_found");

        HttpResponse<String> internal =
                send(
                        "POST",
                        "/gateway/counter/action/internalFail?rvt-key=room-1&" + GOC,
                        "{\"args\":[]}");
        assertThat(json(internal).get("message").asText()).isEqualTo("An internal error occurred");

        HttpResponse<String> wrongMethod =
                send("GET", "/gateway/counter/action/getCount?rvt-key=room-1&" + GOC, null);
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
    }

    @Test
    void anActionRepeatedWithTheSameIdempotencyKeyRunsOnce() throws Exception {
        String path = "/gateway/counter/action/increment?rvt-key=idem&" + GOC;
        String[] key = {"x-rivet-idempotency-key", "retry-1"};
        assertThat(json(send("POST", path, "{\"args\":[2]}", key)).get("output").asInt())
                .isEqualTo(2);
        assertThat(json(send("POST", path, "{\"args\":[2]}", key)).get("output").asInt())
                .isEqualTo(2);
        assertThat(json(send("POST", path, "{\"args\":[2]}")).get("output").asInt()).isEqualTo(4);
    }

    @Test
    void badGatewayQueriesAndBodiesAreStructuredErrors() throws Exception {
        HttpResponse<String> unknown =
                send("POST", "/gateway/counter/action/getCount?rvt-foo=1&" + GOC, "{}");
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(unknown.headers().firstValue("x-rivet-error"))
                .hasValue("guard.query_invalid_params");

        HttpResponse<String> namespace =
                send(
                        "POST",
                        "/gateway/counter/action/getCount?rvt-namespace=nope&rvt-method=get",
                        "{}");
        assertThat(namespace.headers().firstValue("x-rivet-error")).hasValue("namespace.not_found");

        HttpResponse<String> garbage =
                send(
                        "POST",
                        "/gateway/counter/action/getCount?rvt-key=a&" + GOC,
                        "{not json",
                        "x-rivet-encoding",
                        "json");
        assertThat(garbage.statusCode()).isEqualTo(400);
        assertThat(json(garbage).get("code").asText()).isEqualTo("invalid_request");

        HttpResponse<String> encoding =
                send(
                        "POST",
                        "/gateway/counter/action/getCount?rvt-key=a&" + GOC,
                        "{}",
                        "x-rivet-encoding",
                        "msgpack");
        assertThat(encoding.statusCode()).isEqualTo(400);

        // The server is unharmed.
        assertThat(
                        send(
                                        "POST",
                                        "/gateway/counter/action/getCount?rvt-key=a&" + GOC,
                                        "{\"args\":[]}")
                                .statusCode())
                .isEqualTo(200);
    }

    @Test
    void theActorsApiGetsCreatesAndListsActors() throws Exception {
        HttpResponse<String> put =
                send(
                        "PUT",
                        "/actors?namespace=default",
                        "{\"name\":\"counter\",\"key\":\"room-1\",\"runner_name_selector\":\"default\",\"crash_policy\":\"sleep\"}");
        assertThat(json(put).get("created").asBoolean()).isTrue();
        String id = json(put).get("actor").get("actor_id").asText();
        assertThat(
                        json(send(
                                        "PUT",
                                        "/actors?namespace=default",
                                        "{\"name\":\"counter\",\"key\":\"room-1\"}"))
                                .get("created")
                                .asBoolean())
                .isFalse();

        HttpResponse<String> duplicate =
                send(
                        "POST",
                        "/actors?namespace=default",
                        "{\"name\":\"counter\",\"key\":\"room-1\"}");
        assertThat(duplicate.statusCode()).isEqualTo(400);
        assertThat(json(duplicate).get("metadata").get("existing_actor_id").asText()).isEqualTo(id);

        assertThat(
                        json(send("GET", "/actors?namespace=default&actor_ids=" + id, null))
                                .get("actors")
                                .get(0)
                                .get("key")
                                .asText())
                .isEqualTo("room-1");
        assertThat(
                        json(send("GET", "/actors?namespace=default&name=counter&key=nope", null))
                                .get("actors"))
                .isEmpty();
        assertThat(
                        json(send("GET", "/actors/names?namespace=default", null))
                                .get("names")
                                .has("counter"))
                .isTrue();

        assertThat(
                        send("POST", "/gateway/" + id + "/action/increment", "{\"args\":[2]}")
                                .statusCode())
                .isEqualTo(200);
        assertThat(send("DELETE", "/actors/" + id + "?namespace=default", null).statusCode())
                .isEqualTo(200);
        assertThat(
                        send("POST", "/gateway/" + id + "/action/getCount", "{\"args\":[]}")
                                .statusCode())
                .isEqualTo(404);
    }

    @Test
    void aSubscriptionAppliesBeforeTheActionSentAfterIt() throws Exception {
        subscribeThenIncrement("order-", true);
    }

    @Test
    void framesSentBeforeInitAreAnsweredAfterItInOrder() throws Exception {
        // No wait for Init: the actor is usually still being created when the frames arrive.
        subscribeThenIncrement("early-", false);
    }

    /**
     * 20 rounds of a new connection sending a subscription, then an action: the event comes before
     * the response.
     */
    private void subscribeThenIncrement(String keyPrefix, boolean awaitInit) throws Exception {
        for (int round = 0; round < 20; round++) {
            WireClient client = WireClient.connect(server, keyPrefix + round);
            if (awaitInit) {
                await().until(() -> client.frames.size() == 1);
            }
            client.socket
                    .sendText(
                            "{\"body\":{\"tag\":\"SubscriptionRequest\",\"val\":{\"eventName\":\"newCount\",\"subscribe\":true}}}",
                            true)
                    .get();
            client.socket
                    .sendText(
                            "{\"body\":{\"tag\":\"ActionRequest\",\"val\":{\"id\":[\"$BigInt\",\"0\"],\"name\":\"increment\",\"args\":[1]}}}",
                            true)
                    .get();
            await().until(() -> client.frames.size() == 3);
            assertThat(client.frames)
                    .extracting(f -> JSON.readTree((String) f).at("/body/tag").asText())
                    .containsExactly("Init", "Event", "ActionResponse");
            client.socket.abort();
        }
    }

    @Test
    void corsEchoesTheServersOwnOrigin() throws Exception {
        HttpResponse<String> preflight =
                send(
                        "OPTIONS",
                        "/gateway/counter/action/getCount",
                        null,
                        "origin",
                        server.endpoint(),
                        "access-control-request-headers",
                        "x-rivet-encoding");
        assertThat(preflight.statusCode()).isEqualTo(204);
        assertThat(preflight.headers().firstValue("access-control-allow-origin"))
                .hasValue(server.endpoint());
        assertThat(preflight.headers().firstValue("access-control-allow-credentials"))
                .hasValue("true");
        assertThat(preflight.headers().firstValue("access-control-allow-headers"))
                .hasValue(Guard.ALLOWED_HEADERS);
    }

    @Test
    void corsEchoesOnlyConfiguredOrigins() throws Exception {
        try (RivetServer restricted =
                RivetServer.builder(registry)
                        .port(0)
                        .corsOrigins(java.util.Set.of("http://ok.test"))
                        .build()
                        .start()) {
            for (String origin : List.of("http://ok.test", "http://evil.test")) {
                HttpResponse<String> response =
                        http.send(
                                HttpRequest.newBuilder(
                                                URI.create(restricted.endpoint() + "/metadata"))
                                        .header("origin", origin)
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode())
                        .isEqualTo(origin.equals("http://ok.test") ? 200 : 403);
                assertThat(response.headers().firstValue("access-control-allow-origin"))
                        .isEqualTo(
                                origin.equals("http://ok.test")
                                        ? java.util.Optional.of(origin)
                                        : java.util.Optional.empty());
            }
        }
    }

    @Test
    void aTokenIsRequiredWhenConfigured() throws Exception {
        try (RivetServer guarded =
                RivetServer.builder(registry).port(0).token("s3cret").build().start()) {
            String url = guarded.endpoint() + "/gateway/counter/action/getCount?rvt-key=a&" + GOC;
            HttpResponse<String> without =
                    http.send(
                            HttpRequest.newBuilder(URI.create(url))
                                    .POST(HttpRequest.BodyPublishers.ofString("{}"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(without.statusCode()).isEqualTo(403);
            assertThat(without.headers().firstValue("x-rivet-error")).hasValue("auth.forbidden");
            HttpResponse<String> with =
                    http.send(
                            HttpRequest.newBuilder(URI.create(url + "&rvt-token=s3cret"))
                                    .POST(HttpRequest.BodyPublishers.ofString("{}"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(with.statusCode()).isEqualTo(200);
            HttpResponse<String> bearer =
                    http.send(
                            HttpRequest.newBuilder(
                                            URI.create(guarded.endpoint() + "/actors?name=counter"))
                                    .header("authorization", "Bearer s3cret")
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(bearer.statusCode()).isEqualTo(200);
        }
    }

    @Test
    void theConnectProtocolSpeaksJson() throws Exception {
        WireClient client =
                WireClient.open(
                        http.newWebSocketBuilder(),
                        WireClient.ws(server) + "/gateway/counter/connect?rvt-key=room-9&" + GOC,
                        List.of(
                                "rivet",
                                "rivet_encoding.json",
                                "rivet_conn_params.%7B%22user%22%3A%22alice%22%7D"));
        WebSocket socket = client.socket;
        List<JsonNode> frames =
                new AbstractList<>() {
                    @Override
                    public JsonNode get(int index) {
                        try {
                            return JSON.readTree((String) client.frames.get(index));
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }

                    @Override
                    public int size() {
                        return client.frames.size();
                    }
                };
        assertThat(socket.getSubprotocol()).isEqualTo("rivet");
        await().until(() -> frames.size() == 1);
        assertThat(frames.get(0).at("/body/tag").asText()).isEqualTo("Init");

        socket.sendText(
                        "{\"body\":{\"tag\":\"SubscriptionRequest\",\"val\":{\"eventName\":\"newCount\",\"subscribe\":true}}}",
                        true)
                .get();
        socket.sendText(
                        "{\"body\":{\"tag\":\"ActionRequest\",\"val\":{\"id\":[\"$BigInt\",\"0\"],\"name\":\"increment\",\"args\":[3]}}}",
                        true)
                .get();
        socket.sendText(
                        "{\"body\":{\"tag\":\"ActionRequest\",\"val\":{\"id\":[\"$BigInt\",\"1\"],\"name\":\"whoami\",\"args\":[]}}}",
                        true)
                .get();
        await().until(() -> frames.size() == 4);
        assertThat(frames)
                .extracting(f -> f.at("/body/tag").asText())
                .containsExactlyInAnyOrder("Init", "Event", "ActionResponse", "ActionResponse");
        JsonNode event =
                frames.stream()
                        .filter(f -> f.at("/body/tag").asText().equals("Event"))
                        .findFirst()
                        .orElseThrow();
        assertThat(event.at("/body/val/args/0").asInt()).isEqualTo(3);
        JsonNode whoami =
                frames.stream()
                        .filter(f -> f.at("/body/val/output/connState").isObject())
                        .findFirst()
                        .orElseThrow();
        assertThat(whoami.at("/body/val/output/connState/user").asText()).isEqualTo("alice");
        assertThat(whoami.at("/body/val/id/1").asText()).isEqualTo("1");

        // Garbage closes this connection with a structured reason; the server keeps serving.
        socket.sendText("{\"body\":{\"tag\":\"Nope\"}}", true).get();
        await().until(socket::isInputClosed);
        assertThat(frames)
                .last()
                .satisfies(
                        f ->
                                assertThat(f.at("/body/val/code").asText())
                                        .isEqualTo("invalid_request"));
        assertThat(
                        send(
                                        "POST",
                                        "/gateway/counter/action/getCount?rvt-key=room-9&" + GOC,
                                        "{\"args\":[]}")
                                .body())
                .contains("3");
    }
}
