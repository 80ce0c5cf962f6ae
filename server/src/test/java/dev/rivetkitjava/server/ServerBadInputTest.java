package dev.rivetkitjava.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rivetkitjava.actor.Registry;
import dev.rivetkitjava.protocol.ClientProtocol;
import dev.rivetkitjava.protocol.Encoding;
import dev.rivetkitjava.protocol.GatewayUrl;
import dev.rivetkitjava.protocol.Subprotocols;
import dev.rivetkitjava.protocol.ToClient;
import dev.rivetkitjava.protocol.ToServer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Bad frames close only the connection that sent them, with a structured reason; nothing else is
 * disturbed.
 */
class ServerBadInputTest {
    private Registry registry;
    private RivetServer server;

    @BeforeEach
    void start() throws Exception {
        registry = Registry.builder().use(CompatFixtures.counter(Duration.ofSeconds(30))).build();
        server =
                RivetServer.builder(registry).port(0).maxIncomingMessageBytes(1024).build().start();
    }

    @AfterEach
    void stop() {
        server.close();
        registry.close();
    }

    private static ToClient decoded(Encoding encoding, Object frame) {
        byte[] bytes =
                frame instanceof String text
                        ? text.getBytes(StandardCharsets.UTF_8)
                        : (byte[]) frame;
        return ClientProtocol.decodeToClient(encoding, bytes);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource({
        "bare, ffff00", // wrong version prefix
        "bare, 04000900", // unknown union tag
        "bare, 0400000009696e63", // truncated ActionRequest
        "bare, 04000100010101", // trailing bytes after a SubscriptionRequest
        "cbor, ff00", // not CBOR
        "cbor, a164626f6479a0", // {body:{}}: no tag
        "json, 7b7b7b", // "{{{"
        "json, 7b22626f6479223a7b22746167223a224e6f7065227d7d", // unknown tag Nope
    })
    void aMalformedFrameClosesItsConnectionWithInvalidRequest(String encodingName, String hex)
            throws Exception {
        Encoding encoding = Encoding.fromWireName(encodingName);
        WireClient bystander = WireClient.connect(server, "shared");
        WireClient sender = WireClient.connect(server, "shared", encoding);
        await().until(() -> sender.frames.size() == 1 && bystander.frames.size() == 1);

        byte[] bad = HexFormat.of().parseHex(hex);
        if (encoding.binary()) {
            sender.socket.sendBinary(ByteBuffer.wrap(bad), true).get();
        } else {
            sender.socket.sendText(new String(bad, StandardCharsets.UTF_8), true).get();
        }

        assertThat(sender.closed.get()).isEqualTo("1011 actor.invalid_request");
        assertThat(decoded(encoding, sender.frames.getLast()))
                .isInstanceOfSatisfying(
                        ToClient.Error.class,
                        e -> {
                            assertThat(e.code()).isEqualTo("invalid_request");
                            assertThat(e.actionId()).isNull();
                        });
        // The other connection to the same actor still works.
        bystander
                .socket
                .sendText(
                        "{\"body\":{\"tag\":\"ActionRequest\",\"val\":{\"id\":[\"$BigInt\",\"7\"],\"name\":\"increment\",\"args\":[1]}}}",
                        true)
                .get();
        await().until(() -> bystander.frames.size() == 2);
        assertThat(decoded(Encoding.JSON, bystander.frames.get(1)))
                .isInstanceOf(ToClient.ActionResponse.class);
        assertThat(bystander.closed).isNotDone();
    }

    @Test
    void anOversizedMessageClosesWithIncomingTooLong() throws Exception {
        WireClient client = WireClient.connect(server, "big", Encoding.BARE);
        await().until(() -> client.frames.size() == 1);
        byte[] big =
                ClientProtocol.encode(
                        Encoding.BARE,
                        new ToServer.ActionRequest(
                                1,
                                "increment",
                                new com.fasterxml.jackson.databind.ObjectMapper()
                                        .createArrayNode()
                                        .add("x".repeat(2_000))));
        client.socket.sendBinary(ByteBuffer.wrap(big), true).get();
        assertThat(client.closed.get()).isEqualTo("1011 message.incoming_too_long");
    }

    @Test
    void anUnknownEncodingClosesWith1003() throws Exception {
        WireClient client =
                WireClient.connect(
                        server,
                        "x",
                        List.of(Subprotocols.RIVET, Subprotocols.ENCODING_PREFIX + "msgpack"));
        assertThat(client.closed.get()).isEqualTo("1003 actor.unsupported_websocket_encoding");
    }

    @Test
    void oversizedOrMalformedConnParamsAreRejected() throws Exception {
        WireClient tooBig =
                WireClient.connect(
                        server,
                        "p",
                        Subprotocols.builder(Encoding.JSON)
                                .connParams("\"" + "a".repeat(5_000) + "\"")
                                .build());
        assertThat(tooBig.closed.get()).isEqualTo("1011 actor.invalid_request");
        WireClient notJson =
                WireClient.connect(
                        server, "p", Subprotocols.builder(Encoding.JSON).connParams("{").build());
        assertThat(notJson.closed.get()).isEqualTo("1011 actor.invalid_request");
    }

    @Test
    void unknownActorsAndRoutesCloseWithNotFound() throws Exception {
        WireClient client =
                WireClient.open(
                        WireClient.ws(server) + WireClient.get("counter", "nobody", "/connect"),
                        List.of(Subprotocols.RIVET));
        assertThat(client.closed.get()).isEqualTo("1011 actor.not_found");

        WireClient unknownType =
                WireClient.open(
                        WireClient.ws(server)
                                + GatewayUrl.query("", "nope", "/connect")
                                        .getOrCreate("default")
                                        .build(),
                        List.of(Subprotocols.RIVET));
        assertThat(unknownType.closed.get()).isEqualTo("1011 actor.not_found");

        // The reason arrives in the client's own encoding, or a BARE client could not read it.
        WireClient bare =
                WireClient.open(
                        WireClient.ws(server) + WireClient.get("counter", "nobody", "/connect"),
                        Subprotocols.builder(Encoding.BARE).build());
        assertThat(bare.closed.get()).isEqualTo("1011 actor.not_found");
        assertThat(decoded(Encoding.BARE, bare.frames.getLast()))
                .isInstanceOfSatisfying(
                        ToClient.Error.class, e -> assertThat(e.code()).isEqualTo("not_found"));
    }
}
