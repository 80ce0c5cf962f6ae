package dev.rivetkitjava.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.protocol.Subprotocols;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Browsers meet a server that only its own pages (and configured origins) may call, under names it
 * knows (no DNS rebinding), with the admin routes behind a token when asked; clients that send no
 * {@code Origin} are unaffected.
 */
class OriginAndHostTest extends CounterServerFixture {
    private static final String ACTION = WireClient.getOrCreate("counter", "o", "/action/getCount");
    private static final String CONNECT = WireClient.getOrCreate("counter", "o", "/connect");

    private RivetServer other(UnaryOperator<RivetServer.Builder> settings) throws Exception {
        return settings.apply(RivetServer.builder(registry).port(0)).build().start();
    }

    /**
     * {@code method path} to {@code to}: a PUT creates counter "o", a POST calls an action with no
     * arguments.
     */
    private HttpResponse<String> call(RivetServer to, String method, String path, String... headers)
            throws Exception {
        String body =
                switch (method) {
                    case "PUT" -> "{\"name\":\"counter\",\"key\":\"o\"}";
                    case "POST" -> "{\"args\":[]}";
                    default -> null;
                };
        return send(to, method, path, body, headers);
    }

    // ---------------------------------------------------------------- origins (CORS)

    @ParameterizedTest
    @ValueSource(strings = {"POST", "GET", "OPTIONS"})
    void aPageOfAForeignOriginIsRefusedWithANamedError(String method) throws Exception {
        String path = method.equals("GET") ? "/metadata" : ACTION;
        HttpResponse<String> refused =
                call(
                        server,
                        method,
                        path,
                        "origin",
                        "http://evil.test",
                        "access-control-request-method",
                        "POST");
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(refused.headers().firstValue("access-control-allow-origin")).isEmpty();
        assertThat(refused.headers().firstValue("access-control-allow-credentials")).isEmpty();
        assertThat(refused.headers().firstValue("x-rivet-error"))
                .hasValue("guard.origin_not_allowed");
        assertThat(json(refused).get("group").asText()).isEqualTo("guard");
        assertThat(json(refused).get("code").asText()).isEqualTo("origin_not_allowed");
        assertThat(json(refused).get("message").asText())
                .isEqualTo(
                        "Origin `http://evil.test` is not allowed; start the server with --cors-origin http://evil.test to allow it");
        // The same request with no Origin (the Node client, curl) is served as before.
        assertThat(call(server, method, path).statusCode())
                .isEqualTo(method.equals("OPTIONS") ? 204 : 200);
    }

    @Test
    void theServersOwnOriginIsAllowedAndEchoed() throws Exception {
        HttpResponse<String> own = call(server, "POST", ACTION, "origin", server.endpoint());
        assertThat(own.statusCode()).isEqualTo(200);
        assertThat(own.headers().firstValue("access-control-allow-origin"))
                .hasValue(server.endpoint());
        assertThat(own.headers().firstValue("access-control-allow-credentials")).hasValue("true");
        assertThat(own.headers().allValues("vary")).contains("Origin");
        // A page loaded as http://localhost:PORT is its own origin too.
        String localhost = "http://localhost:" + server.port();
        Raw viaLocalhost =
                raw(
                        server.port(),
                        get("/metadata", "localhost:" + server.port(), "Origin: " + localhost));
        assertThat(viaLocalhost.status()).isEqualTo(200);
        assertThat(viaLocalhost.headers()).containsEntry("access-control-allow-origin", localhost);
        // Only its own Host makes it same-origin: another port, or https, is another origin.
        assertThat(
                        call(
                                        server,
                                        "POST",
                                        ACTION,
                                        "origin",
                                        "http://127.0.0.1:" + (server.port() + 1))
                                .statusCode())
                .isEqualTo(403);
        assertThat(
                        call(server, "POST", ACTION, "origin", "https://127.0.0.1:" + server.port())
                                .statusCode())
                .isEqualTo(403);
        assertThat(call(server, "POST", ACTION, "origin", "null").statusCode()).isEqualTo(403);
    }

    @Test
    void configuredOriginsAndThePublicUrlAreAllowed() throws Exception {
        try (RivetServer configured =
                other(
                        b ->
                                b.corsOrigins(Set.of("https://app.example.com/"))
                                        .publicUrl("https://agents.example.com"))) {
            for (String origin :
                    new String[] {
                        "https://app.example.com",
                        "https://APP.example.com:443",
                        "https://agents.example.com",
                        configured.endpoint()
                    }) {
                HttpResponse<String> allowed = call(configured, "POST", ACTION, "origin", origin);
                assertThat(allowed.statusCode()).as(origin).isEqualTo(200);
                assertThat(allowed.headers().firstValue("access-control-allow-origin"))
                        .hasValue(origin);
            }
            for (String origin :
                    new String[] {
                        "http://app.example.com",
                        "https://app.example.com:8443",
                        "https://evil.example.com"
                    }) {
                HttpResponse<String> refused = call(configured, "POST", ACTION, "origin", origin);
                assertThat(refused.statusCode()).as(origin).isEqualTo(403);
                assertThat(refused.headers().firstValue("access-control-allow-origin")).isEmpty();
            }
        }
    }

    @Test
    void aStarAllowsAnyOrigin() throws Exception {
        try (RivetServer open = other(b -> b.corsOrigins(Set.of("*")))) {
            HttpResponse<String> any = call(open, "POST", ACTION, "origin", "http://anything.test");
            assertThat(any.statusCode()).isEqualTo(200);
            assertThat(any.headers().firstValue("access-control-allow-origin"))
                    .hasValue("http://anything.test");
        }
    }

    @Test
    void thePreflightListsOnlyTheMethodsAndHeadersTheOfficialClientUses() throws Exception {
        HttpResponse<String> preflight =
                call(
                        server,
                        "OPTIONS",
                        ACTION,
                        "origin",
                        server.endpoint(),
                        "access-control-request-method",
                        "PATCH",
                        "access-control-request-headers",
                        "x-evil, content-type, x-rivet-encoding");
        assertThat(preflight.statusCode()).isEqualTo(204);
        assertThat(preflight.headers().firstValue("access-control-allow-origin"))
                .hasValue(server.endpoint());
        assertThat(preflight.headers().firstValue("access-control-allow-methods"))
                .hasValue("GET, POST, PUT, DELETE, OPTIONS");
        String headers =
                preflight.headers().firstValue("access-control-allow-headers").orElseThrow();
        assertThat(Arrays.asList(headers.split(", ")))
                .containsExactlyInAnyOrder(
                        "content-type",
                        "user-agent",
                        "authorization",
                        "x-rivet-encoding",
                        "x-rivet-conn-params",
                        "x-rivet-idempotency-key",
                        "x-rivet-token",
                        "x-rivet-target",
                        "x-rivet-actor",
                        "x-rivet-actor-generation",
                        "x-rivet-actor-key",
                        "x-rivet-namespace",
                        "x-rivet-query",
                        "x-rivet-skip-ready-wait",
                        "x-rivet-ray-id",
                        "x-rivet-internal-original-request-url",
                        "traceparent",
                        "tracestate");
    }

    // ---------------------------------------------------------------- WebSocket upgrades

    @Test
    void anUpgradeFromAForeignOriginIsRefusedBeforeUpgrading() throws Exception {
        Raw refused =
                raw(
                        server.port(),
                        upgrade(CONNECT, "127.0.0.1:" + server.port(), "http://evil.test"));
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.headers()).containsEntry("x-rivet-error", "guard.origin_not_allowed");
        assertThat(refused.body()).contains("--cors-origin http://evil.test");

        // The JDK's client sees the refused handshake the way a browser would: no WebSocket at all.
        WireClient client = new WireClient();
        assertThatThrownBy(
                        () ->
                                http.newWebSocketBuilder()
                                        .header("Origin", "http://evil.test")
                                        .subprotocols("rivet")
                                        .buildAsync(
                                                URI.create(
                                                        server.endpoint().replace("http", "ws")
                                                                + CONNECT),
                                                client)
                                        .get())
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOfSatisfying(
                        WebSocketHandshakeException.class,
                        e -> assertThat(e.getResponse().statusCode()).isEqualTo(403));
        assertThat(server.connections()).isZero();
    }

    @Test
    void anUpgradeFromTheServersOwnOriginConnects() throws Exception {
        assertThat(
                        raw(
                                        server.port(),
                                        upgrade(
                                                CONNECT,
                                                "127.0.0.1:" + server.port(),
                                                server.endpoint()))
                                .status())
                .isEqualTo(101);
        WireClient client =
                WireClient.open(
                        http.newWebSocketBuilder().header("Origin", server.endpoint()),
                        WireClient.ws(server) + CONNECT,
                        List.of(Subprotocols.RIVET));
        await().until(() -> client.frames.size() == 1);
        assertThat(JSON.readTree((String) client.frames.getFirst()).at("/body/tag").asText())
                .isEqualTo("Init");
        client.socket.abort();
    }

    // ---------------------------------------------------------------- hosts (DNS rebinding)

    @Test
    void aForeignHostIsRefusedOnEveryRouteAndUpgrade() throws Exception {
        Raw page = raw(server.port(), get("/metadata", "evil.test:" + server.port()));
        assertThat(page.status()).isEqualTo(403);
        assertThat(page.headers()).containsEntry("x-rivet-error", "guard.host_not_allowed");
        JsonNode error = JSON.readTree(page.body());
        assertThat(error.get("code").asText()).isEqualTo("host_not_allowed");
        assertThat(error.get("message").asText())
                .startsWith("Host `evil.test:" + server.port() + "` is not allowed;")
                .contains("--public-url https://evil.test");
        // Same-origin to itself, as a rebinding page is: still refused by its Host.
        assertThat(
                        raw(server.port(), get(ACTION, "evil.test", "Origin: http://evil.test"))
                                .status())
                .isEqualTo(403);
        assertThat(
                        raw(server.port(), upgrade(CONNECT, "evil.test:" + server.port(), null))
                                .status())
                .isEqualTo(403);
        assertThat(raw(server.port(), get("/health", "127.0.0.2:" + server.port())).status())
                .isEqualTo(403);
        assertThat(raw(server.port(), get("/health", "[::1]:" + server.port())).status())
                .isEqualTo(403);
    }

    @Test
    void localhostTheBoundHostAndThePublicUrlHostAreServed() throws Exception {
        for (String host :
                new String[] {
                    "localhost",
                    "localhost:" + server.port(),
                    "LOCALHOST.",
                    "127.0.0.1",
                    "127.0.0.1:" + server.port()
                }) {
            assertThat(raw(server.port(), get("/health", host)).status()).as(host).isEqualTo(200);
        }
        assertThat(
                        raw(server.port(), upgrade(CONNECT, "localhost:" + server.port(), null))
                                .status())
                .isEqualTo(101);
        try (RivetServer proxied =
                other(
                        b ->
                                b.publicUrl("https://agents.example.com")
                                        .allowedHosts(Set.of("box.internal", "[::1]")))) {
            for (String host :
                    new String[] {
                        "agents.example.com",
                        "agents.example.com:443",
                        "box.internal:80",
                        "[::1]:6420",
                        "[0:0:0:0:0:0:0:1]"
                    }) {
                assertThat(raw(proxied.port(), get("/health", host)).status())
                        .as(host)
                        .isEqualTo(200);
            }
            assertThat(raw(proxied.port(), get("/health", "example.com")).status()).isEqualTo(403);
        }
    }

    @Test
    void aWildcardBindServesAnyAddressButNoOtherName() throws Exception {
        try (RivetServer wildcard = other(b -> b.host("0.0.0.0"))) {
            for (String host :
                    new String[] {
                        "10.1.2.3:6420", "127.0.0.1", "[::1]:6420", "[fe80::1]", "localhost"
                    }) {
                assertThat(raw(wildcard.port(), get("/health", host)).status())
                        .as(host)
                        .isEqualTo(200);
            }
            for (String host :
                    new String[] {"evil.test", "10.1.2.3.evil.test", "[::1", "300.1.2.3"}) {
                assertThat(raw(wildcard.port(), get("/health", host)).status())
                        .as(host)
                        .isIn(400, 403);
            }
            assertThat(raw(wildcard.port(), get("/health", "evil.test")).status()).isEqualTo(403);
        }
    }

    @Test
    void aRequestWithoutHostIsRefused() throws Exception {
        Raw noHost = raw(server.port(), "GET /health HTTP/1.0\r\n\r\n");
        assertThat(noHost.status()).isEqualTo(403);
        assertThat(noHost.headers()).containsEntry("x-rivet-error", "guard.host_not_allowed");
        assertThat(raw(server.port(), "GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n").status())
                .isEqualTo(200);
    }

    // ---------------------------------------------------------------- admin routes

    @Test
    void adminRoutesAreOpenByDefault() throws Exception {
        String id = json(call(server, "PUT", "/actors")).get("actor").get("actor_id").asText();
        assertThat(json(call(server, "GET", "/actors?name=counter")).get("actors")).hasSize(1);
        assertThat(call(server, "GET", "/metrics").statusCode()).isEqualTo(200);
        assertThat(call(server, "DELETE", "/actors/" + id).statusCode()).isEqualTo(200);
    }

    @Test
    void closedAdminRoutesNeedAToken() throws Exception {
        try (RivetServer closed = other(b -> b.adminRoutesOpen(false))) {
            String id = json(call(closed, "PUT", "/actors")).get("actor").get("actor_id").asText();
            for (String[] route :
                    new String[][] {
                        {"GET", "/actors?name=counter"},
                        {"DELETE", "/actors/" + id},
                        {"GET", "/metrics"}
                    }) {
                HttpResponse<String> refused = call(closed, route[0], route[1]);
                assertThat(refused.statusCode()).as(route[1]).isEqualTo(403);
                assertThat(json(refused).get("group").asText()).isEqualTo("guard");
                assertThat(json(refused).get("code").asText()).isEqualTo("admin_token_required");
                assertThat(json(refused).get("message").asText())
                        .contains("start the server with --token to use this route");
            }
            // The official client's routes stay open: lookups by name and key or by ids, the type
            // names, creation.
            assertThat(json(call(closed, "GET", "/actors?name=counter&key=o")).get("actors"))
                    .hasSize(1);
            assertThat(json(call(closed, "GET", "/actors?actor_ids=" + id)).get("actors"))
                    .hasSize(1);
            assertThat(json(call(closed, "GET", "/actors/names")).get("names").has("counter"))
                    .isTrue();
            assertThat(call(closed, "POST", ACTION).statusCode()).isEqualTo(200);
            // Nothing was destroyed.
            assertThat(json(call(closed, "GET", "/actors?actor_ids=" + id)).get("actors"))
                    .hasSize(1);
        }
    }

    @Test
    void anAdminTokenGuardsTheAdminRoutesAlone() throws Exception {
        try (RivetServer guarded = other(b -> b.token("tok").adminToken("adm"))) {
            String id =
                    json(call(guarded, "PUT", "/actors", "authorization", "Bearer tok"))
                            .get("actor")
                            .get("actor_id")
                            .asText();
            for (String[] credentials :
                    new String[][] {
                        {}, {"authorization", "Bearer tok"}, {"x-rivet-token", "tok"}
                    }) {
                HttpResponse<String> refused =
                        call(guarded, "GET", "/actors?name=counter", credentials);
                assertThat(refused.statusCode()).isEqualTo(403);
                assertThat(refused.headers().firstValue("x-rivet-error"))
                        .hasValue("auth.forbidden");
            }
            assertThat(call(guarded, "GET", "/metrics", "x-rivet-token", "tok").statusCode())
                    .isEqualTo(403);
            assertThat(
                            json(call(
                                            guarded,
                                            "GET",
                                            "/actors?name=counter",
                                            "authorization",
                                            "Bearer adm"))
                                    .get("actors"))
                    .hasSize(1);
            assertThat(call(guarded, "GET", "/metrics", "x-rivet-token", "adm").statusCode())
                    .isEqualTo(200);
            // The token keeps its meaning on the other routes.
            assertThat(call(guarded, "GET", "/actors?name=counter&key=o").statusCode())
                    .isEqualTo(403);
            assertThat(
                            call(
                                            guarded,
                                            "GET",
                                            "/actors?name=counter&key=o",
                                            "x-rivet-token",
                                            "tok")
                                    .statusCode())
                    .isEqualTo(200);
            assertThat(
                            call(guarded, "DELETE", "/actors/" + id, "authorization", "Bearer tok")
                                    .statusCode())
                    .isEqualTo(403);
            assertThat(
                            call(guarded, "DELETE", "/actors/" + id, "authorization", "Bearer adm")
                                    .statusCode())
                    .isEqualTo(200);
        }
    }

    @Test
    void withoutAnAdminTokenTheTokenOpensTheAdminRoutes() throws Exception {
        try (RivetServer guarded = other(b -> b.token("tok").adminRoutesOpen(false))) {
            assertThat(call(guarded, "GET", "/metrics").statusCode()).isEqualTo(403);
            assertThat(call(guarded, "GET", "/metrics").headers().firstValue("x-rivet-error"))
                    .hasValue("auth.forbidden");
            assertThat(call(guarded, "GET", "/metrics", "authorization", "Bearer tok").statusCode())
                    .isEqualTo(200);
            assertThat(
                            call(guarded, "GET", "/actors?name=counter", "x-rivet-token", "tok")
                                    .statusCode())
                    .isEqualTo(200);
        }
    }

    @Test
    void aPublicUrlThatIsNoHttpUrlFailsTheBuild() {
        assertThatThrownBy(
                        () -> RivetServer.builder(registry).publicUrl("agents.example.com").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("publicUrl");
    }

    // ---------------------------------------------------------------- raw HTTP

    /** A response read off a socket: the status, the headers (names in lower case) and the body. */
    record Raw(int status, Map<String, String> headers, String body) {}

    private static String get(String path, String host, String... headers) {
        return "GET "
                + path
                + " HTTP/1.1\r\nHost: "
                + host
                + "\r\n"
                + String.join("", Arrays.stream(headers).map(h -> h + "\r\n").toList())
                + "Connection: close\r\n\r\n";
    }

    private static String upgrade(String path, String host, @Nullable String origin) {
        return WireClient.upgradeRequest(
                path, host, List.of("rivet", "rivet_encoding.json"), origin);
    }

    /**
     * Writes a request by hand (the JDK's HttpClient will not set {@code Host}) and reads the
     * response.
     */
    private static Raw raw(int port, String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    break;
                }
                head.write(b);
            }
            String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
            int status = Integer.parseInt(lines[0].split(" ")[1]);
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0) {
                    headers.put(
                            lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                            lines[i].substring(colon + 1).trim());
                }
            }
            if (status == 101) {
                return new Raw(status, headers, "");
            }
            byte[] body =
                    headers.containsKey("content-length")
                            ? in.readNBytes(Integer.parseInt(headers.get("content-length")))
                            : in.readAllBytes();
            return new Raw(status, headers, new String(body, StandardCharsets.UTF_8));
        }
    }
}
