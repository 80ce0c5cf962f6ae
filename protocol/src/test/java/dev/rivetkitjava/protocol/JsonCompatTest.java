package dev.rivetkitjava.protocol;

import static dev.rivetkitjava.protocol.Captured.hex;
import static dev.rivetkitjava.protocol.Captured.json;
import static dev.rivetkitjava.protocol.Captured.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.BinaryNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** RivetKit's JSON-compat layer, both ways, and the CBOR value helpers for actor inputs. */
class JsonCompatTest {
    @Test
    void revivesEveryTag() {
        assertThat(
                        ClientProtocol.reviveWireValue(
                                json("[\"$BigInt\", \"12345678901234567890123\"]")))
                .isEqualTo(BigIntegerNode.valueOf(new BigInteger("12345678901234567890123")));
        assertThat(ClientProtocol.reviveWireValue(json("[\"$BigInt\", 10]")))
                .isEqualTo(BigIntegerNode.valueOf(BigInteger.TEN));
        assertThat(ClientProtocol.reviveWireValue(json("[\"$Uint8Array\", \"AQID\"]")))
                .isEqualTo(BinaryNode.valueOf(new byte[] {1, 2, 3}));
        assertThat(ClientProtocol.reviveWireValue(json("[\"$ArrayBuffer\", \"AQID\"]")))
                .isEqualTo(BinaryNode.valueOf(new byte[] {1, 2, 3}));
        assertThat(ClientProtocol.reviveWireValue(json("[\"$Undefined\", 0]")))
                .isEqualTo(NullNode.getInstance());
        assertThat(ClientProtocol.reviveWireValue(json("[\"$Set\", [1, [\"$BigInt\", \"2\"]]]")))
                .isEqualTo(
                        JsonNodeFactory.instance
                                .arrayNode()
                                .add(1)
                                .add(BigIntegerNode.valueOf(BigInteger.TWO)));
        assertThat(ClientProtocol.reviveWireValue(json("[\"$$BigInt\", \"10\"]")))
                .isEqualTo(json("[\"$BigInt\", \"10\"]"));
        assertThat(ClientProtocol.reviveWireValue(json("[\"$$$x\", [\"$BigInt\", \"1\"]]")))
                .isEqualTo(
                        JsonNodeFactory.instance
                                .arrayNode()
                                .add("$$x")
                                .add(BigIntegerNode.valueOf(BigInteger.ONE)));
    }

    @Test
    void revivesInsideObjectsAndArraysAndLeavesLookalikesAlone() {
        JsonNode revived =
                ClientProtocol.reviveWireValue(
                        json(
                                """
        {"a": [["$BigInt", "1"], {"b": ["$Undefined", 0]}], "plain": ["x", 1], "three": ["$BigInt", "1", 2]}"""));

        assertThat(revived.get("a").get(0)).isEqualTo(BigIntegerNode.valueOf(BigInteger.ONE));
        assertThat(revived.get("a").get(1).get("b")).isEqualTo(NullNode.getInstance());
        assertThat(revived.get("plain")).isEqualTo(json("[\"x\", 1]"));
        assertThat(revived.get("three")).isEqualTo(json("[\"$BigInt\", \"1\", 2]"));
    }

    @Test
    void encodesBigIntsBytesAndEscapesLookalikes() {
        ObjectNode value = JsonNodeFactory.instance.objectNode();
        value.set("big", BigIntegerNode.valueOf(BigInteger.TEN));
        value.set("bytes", BinaryNode.valueOf(new byte[] {1, 2, 3}));
        value.set("lookalike", json("[\"$Set\", [1]]"));
        value.set("escaped", json("[\"$$x\", 1]"));
        value.set(
                "nested",
                JsonNodeFactory.instance
                        .arrayNode()
                        .add(BigIntegerNode.valueOf(BigInteger.ONE))
                        .add("$x"));

        JsonNode wire = ClientProtocol.toWireValue(value);

        assertThat(wire)
                .isEqualTo(
                        json(
                                """
        {"big": ["$BigInt", "10"], "bytes": ["$Uint8Array", "AQID"], "lookalike": ["$$Set", [1]],
         "escaped": ["$$$x", 1], "nested": [["$BigInt", "1"], "$x"]}"""));
        assertThat(ClientProtocol.reviveWireValue(wire)).isEqualTo(value);
    }

    /**
     * Else cbor-x would hand the client a bigint where the actor returned a plain number (a
     * timestamp, say).
     */
    @Test
    void longsBeyond32BitsGoOutAsJavaScriptNumbers() {
        JsonNode output =
                JsonNodeFactory.instance
                        .arrayNode()
                        .add(1_700_000_000_000L)
                        .add(-1_700_000_000_000L)
                        .add(4_294_967_295L)
                        .add(-4_294_967_296L)
                        .add(5L);

        assertThat(ClientProtocol.toWireValue(output))
                .isEqualTo(
                        JsonNodeFactory.instance
                                .arrayNode()
                                .add(1.7e12)
                                .add(-1.7e12)
                                .add(4_294_967_295L)
                                .add(-4_294_967_296L)
                                .add(5L));
        assertThat(hex(ClientProtocol.encode(Encoding.BARE, new HttpActionResponse(output))))
                .isEqualTo(
                        "0400"
                                + "1e"
                                + "85"
                                + "fb4278bcfe56800000"
                                + "fbc278bcfe56800000"
                                + "1affffffff"
                                + "3affffffff"
                                + "05");
    }

    @Test
    void aValueThatNeedsNoChangeGoesOutAsItIsAndOneThatDoesIsCopiedLeavingItUntouched() {
        JsonNode plain =
                json(
                        "{\"method\": \"session/update\", \"params\": {\"n\": 1, \"parts\": [\"$x\", 2, 3]}}");
        JsonNode deep = json("{\"params\": {\"parts\": [\"$x\", 2]}}");

        assertThat(ClientProtocol.toWireValue(plain)).isSameAs(plain);
        assertThat(ClientProtocol.toWireValue(deep))
                .isEqualTo(json("{\"params\": {\"parts\": [\"$$x\", 2]}}"));
        assertThat(deep).isEqualTo(json("{\"params\": {\"parts\": [\"$x\", 2]}}"));
    }

    @Test
    void nullAndMissingAreJsonNull() {
        assertThat(ClientProtocol.toWireValue(null)).isEqualTo(NullNode.getInstance());
        assertThat(ClientProtocol.toWireValue(json("{}").path("absent")))
                .isEqualTo(NullNode.getInstance());
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "[\"$Foo\", 1]            | value: unknown JSON-compat tag \"$Foo\"",
                "[\"$BigInt\", \"1.5\"]   | value: $BigInt needs a decimal integer, found \"1.5\"",
                "[\"$BigInt\", true]      | value: $BigInt needs a decimal integer, found boolean",
                "[\"$Uint8Array\", 5]     | value: $Uint8Array needs a base64 string, found number",
                "[\"$Set\", {}]           | value: $Set needs an array, found object",
                "{\"a\": [[\"$X\", 0]]}   | value: unknown JSON-compat tag \"$X\""
            })
    void rejectsMalformedTags(String wire, String message) {
        assertThatThrownBy(() -> ClientProtocol.reviveWireValue(json(wire)))
                .isInstanceOf(ProtocolException.class)
                .hasMessage(message);
    }

    @Test
    void rejectsBadBase64AndHugeBigInts() {
        assertThatThrownBy(() -> ClientProtocol.reviveWireValue(json("[\"$ArrayBuffer\", \"!!\"]")))
                .isInstanceOf(ProtocolException.class)
                .hasMessageStartingWith("value: $ArrayBuffer has invalid base64: ");
        assertThatThrownBy(
                        () ->
                                ClientProtocol.reviveWireValue(
                                        json("[\"$BigInt\", \"" + "9".repeat(1001) + "\"]")))
                .isInstanceOf(ProtocolException.class)
                .hasMessageStartingWith("value: $BigInt needs a decimal integer, found \"999");
    }

    /**
     * The actor inputs the real client sent: base64 CBOR in PUT /actors, base64url CBOR in
     * rvt-input.
     */
    @Test
    void decodesActorInputsAsTheClientSendsThem() {
        assertThat(
                        ClientProtocol.decodeCborValue(
                                Base64.getDecoder().decode("uQABZWhlbGxvZXdvcmxk")))
                .isEqualTo(json("{\"hello\": \"world\"}"));
        assertThat(
                        ClientProtocol.decodeCborValue(
                                Base64.getUrlDecoder().decode("uQABZWhlbGxvZWlucHV0")))
                .isEqualTo(json("{\"hello\": \"input\"}"));
    }

    @Test
    void cborValuesRoundTripWithTagsAndCompat() {
        JsonNode value =
                JsonNodeFactory.instance
                        .arrayNode()
                        .add(BigIntegerNode.valueOf(BigInteger.TWO.pow(100)))
                        .add(BinaryNode.valueOf(new byte[] {9}))
                        .add(json("[\"$x\", 1]"));

        byte[] cbor = ClientProtocol.encodeCborValue(value);

        assertThat(hex(cbor)).startsWith("8382" + "6724426967496e74"); // [["$BigInt", …
        assertThat(ClientProtocol.decodeCborValue(cbor)).isEqualTo(value);
        // cbor-x's Date (tag 1) and Map (tag 259) read as their contents.
        assertThat(ClientProtocol.decodeCborValue(hex("c11a00000000"))).isEqualTo(json("0"));
        assertThat(ClientProtocol.decodeCborValue(hex("d90103a1616b01")))
                .isEqualTo(json("{\"k\": 1}"));
        assertThatThrownBy(() -> ClientProtocol.decodeCborValue(hex("")))
                .isInstanceOf(ProtocolException.class)
                .hasMessage("cbor value: empty input where a CBOR value was expected");
    }

    /**
     * JSON has no bigints here, so an integer too big for a long is a JavaScript number and must
     * stay one.
     */
    @Test
    void hugeJsonIntegersStayNumbers() {
        HttpActionRequest request =
                ClientProtocol.decodeHttpActionRequest(
                        Encoding.JSON, utf8("{\"args\":[100000000000000000000]}"));

        assertThat(request.args().get(0)).isEqualTo(DoubleNode.valueOf(1e20));
        assertThat(
                        new String(
                                ClientProtocol.encode(Encoding.JSON, request),
                                java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo("{\"args\":[1.0E20]}");
    }
}
