package dev.rivetkitjava.protocol;

import static dev.rivetkitjava.protocol.Captured.hex;
import static dev.rivetkitjava.protocol.Captured.json;
import static dev.rivetkitjava.protocol.Captured.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.BinaryNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The server relays values between clients of different encodings (a JSON client's action args end
 * up in an event to a BARE client), so every encoding must carry every revived value alike.
 */
class CrossEncodingTest {
    private static JsonNode richValue() {
        ObjectNode value = JsonNodeFactory.instance.objectNode();
        value.set("big", BigIntegerNode.valueOf(BigInteger.TWO.pow(80).negate()));
        value.set("bytes", BinaryNode.valueOf(new byte[] {0, -1, 7}));
        value.set("lookalikes", json("[[\"$BigInt\", \"1\"], [\"$$x\", {\"$y\": [\"$z\", 0]}]]"));
        value.set(
                "plain",
                json(
                        "{\"n\": -3, \"f\": 1.5, \"t\": true, \"z\": null, \"s\": \"héllo ✓ 😀\", \"e\": []}"));
        return value;
    }

    @ParameterizedTest
    @EnumSource(Encoding.class)
    void everyValueSurvivesEveryEncoding(Encoding encoding) {
        ToClient.Event event =
                new ToClient.Event("e", JsonNodeFactory.instance.arrayNode().add(richValue()));
        ToServer.ActionRequest request =
                new ToServer.ActionRequest(
                        9, "a", JsonNodeFactory.instance.arrayNode().add(richValue()));
        HttpResponseError error = new HttpResponseError("g", "c", "m", richValue(), null);

        assertThat(ClientProtocol.decodeToClient(encoding, ClientProtocol.encode(encoding, event)))
                .isEqualTo(event);
        assertThat(
                        ClientProtocol.decodeToServer(
                                encoding, ClientProtocol.encode(encoding, request)))
                .isEqualTo(request);
        assertThat(
                        ClientProtocol.decodeHttpResponseError(
                                encoding, ClientProtocol.encode(encoding, error)))
                .isEqualTo(error);
    }

    /**
     * Legal in a JS string, so in JSON; not in UTF-8, where it becomes U+FFFD as the client's
     * TextEncoder makes it.
     */
    @Test
    void loneSurrogatesFromJsonBecomeReplacementCharactersInBinaryEncodings() {
        ToServer.ActionRequest request =
                (ToServer.ActionRequest)
                        ClientProtocol.decodeToServer(
                                Encoding.JSON,
                                utf8(
                                        "{\"body\":{\"tag\":\"ActionRequest\",\"val\":{\"id\":1,\"name\":\"x\\ud800\",\"args\":[\"a\\udc00\"]}}}"));
        ToClient.Event relayed = new ToClient.Event(request.name(), request.args());

        for (Encoding binary : new Encoding[] {Encoding.BARE, Encoding.CBOR}) {
            assertThat(
                            ClientProtocol.decodeToClient(
                                    binary, ClientProtocol.encode(binary, relayed)))
                    .isEqualTo(new ToClient.Event("x\uFFFD", json("[\"a\uFFFD\"]")));
        }
        assertThat(
                        ClientProtocol.decodeToClient(
                                Encoding.JSON, ClientProtocol.encode(Encoding.JSON, relayed)))
                .isEqualTo(relayed);
    }

    /** cbor-x writes negative bignums per RFC 8949 (tag 3 holds -1 - n). */
    @Test
    void negativeBignumsReadAsTheStandardSays() {
        assertThat(ClientProtocol.decodeCborValue(hex("c34101")))
                .isEqualTo(BigIntegerNode.valueOf(BigInteger.valueOf(-2)));
    }
}
