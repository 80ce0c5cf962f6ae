package dev.rivetkitjava.protocol;

import static dev.rivetkitjava.protocol.Captured.CBOR_ACTION_REQUEST;
import static dev.rivetkitjava.protocol.Captured.CBOR_SUBSCRIBE;
import static dev.rivetkitjava.protocol.Captured.JSON_SUBSCRIBE;
import static dev.rivetkitjava.protocol.Captured.hex;
import static dev.rivetkitjava.protocol.Captured.json;
import static dev.rivetkitjava.protocol.Captured.utf8;
import static dev.rivetkitjava.protocol.Encoding.CBOR;
import static dev.rivetkitjava.protocol.Encoding.JSON;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Malformed JSON and CBOR messages are ProtocolExceptions that say which field was wrong and how.
 */
class EnvelopeRejectionTest {
    @Test
    void notJsonAtAll() {
        rejectJson("").hasMessage("json ToServer: empty input where a JSON value was expected");
        rejectJson("{").hasMessageStartingWith("json ToServer: invalid JSON: ");
        rejectJson(JSON_SUBSCRIBE + " {}")
                .hasMessageStartingWith("json ToServer: invalid JSON: ")
                .hasMessageContaining("Trailing token");
    }

    @Test
    void invalidUtf8InJson() {
        byte[] frame = utf8("{\"body\":{\"tag\":\"X\",\"val\":{}}}");
        frame[16] = (byte) 0xff; // inside "X"
        assertThatThrownBy(() -> ClientProtocol.decodeToServer(JSON, frame))
                .isInstanceOf(ProtocolException.class)
                .hasMessageStartingWith("json ToServer: invalid JSON: ")
                .hasMessageContaining("UTF-8");
    }

    @Test
    void wrongShape() {
        rejectJson("[]").hasMessage("json ToServer: expected an object, found array");
        rejectJson("{}").hasMessage("json ToServer, body: expected an object, found nothing");
        rejectJson("{\"body\":{\"tag\":\"Nope\",\"val\":{}}}")
                .hasMessage("json ToServer, body.tag: unknown ToServer tag \"Nope\"");
        rejectJson("{\"body\":{\"tag\":1,\"val\":{}}}")
                .hasMessage("json ToServer, body.tag: expected a string, found number");
        rejectJson("{\"body\":{\"tag\":\"SubscriptionRequest\",\"val\":[]}}")
                .hasMessage("json ToServer, body.val: expected an object, found array");
        rejectJson(
                        "{\"body\":{\"tag\":\"SubscriptionRequest\",\"val\":{\"eventName\":\"e\",\"subscribe\":\"yes\"}}}")
                .hasMessage("json ToServer, body.val.subscribe: expected a boolean, found string");
        rejectJson(
                        "{\"body\":{\"tag\":\"ActionRequest\",\"val\":{\"id\":1,\"name\":5,\"args\":[]}}}")
                .hasMessage("json ToServer, body.val.name: expected a string, found number");
    }

    @Test
    void badIds() {
        rejectJson(actionRequestWithId(null))
                .hasMessage(
                        "json ToServer, body.val.id: expected an unsigned integer, found nothing");
        rejectJson(actionRequestWithId("\"5\""))
                .hasMessage(
                        "json ToServer, body.val.id: expected an unsigned integer, found string");
        rejectJson(actionRequestWithId("1.5"))
                .hasMessage(
                        "json ToServer, body.val.id: expected an unsigned integer, found number");
        rejectJson(actionRequestWithId("-1"))
                .hasMessage("json ToServer, body.val.id: integer \"-1\" is outside 0 to 2^63-1");
        rejectJson(actionRequestWithId("[\"$BigInt\",\"9223372036854775808\"]"))
                .hasMessage(
                        "json ToServer, body.val.id: integer \"9223372036854775808\" is outside 0 to 2^63-1");
        rejectJson(actionRequestWithId("[\"$BigInt\",\"0x10\"]"))
                .hasMessage(
                        "json ToServer, body.val.id: $BigInt needs a decimal integer, found \"0x10\"");
        rejectJson(actionRequestWithId("[\"$Set\",[1]]"))
                .hasMessage(
                        "json ToServer, body.val.id: expected an unsigned integer, found array");
    }

    /**
     * Lenient in what we accept: plain numbers for ids, and args as the reference server normalizes
     * them.
     */
    @Test
    void lenientForms() {
        assertThat(ClientProtocol.decodeToServer(JSON, utf8(actionRequestWithId("7"))))
                .isEqualTo(new ToServer.ActionRequest(7, "a", json("[]")));
        assertThat(
                        ClientProtocol.decodeToServer(
                                JSON,
                                utf8(
                                        "{\"body\":{\"tag\":\"ActionRequest\",\"val\":{\"id\":1,\"name\":\"a\"}}}")))
                .isEqualTo(new ToServer.ActionRequest(1, "a", json("[]")));
        assertThat(ClientProtocol.decodeHttpActionRequest(JSON, utf8("{\"args\":null}")))
                .isEqualTo(new HttpActionRequest(json("[]")));
        assertThat(ClientProtocol.decodeHttpActionRequest(JSON, utf8("{\"args\":5}")))
                .isEqualTo(new HttpActionRequest(json("[5]")));
        assertThat(ClientProtocol.decodeHttpActionRequest(JSON, utf8("{}")))
                .isEqualTo(new HttpActionRequest(json("[]")));
        // A connection-level error without actionId still reads (the client requires it; we do
        // not).
        assertThat(
                        ClientProtocol.decodeToClient(
                                JSON,
                                utf8(
                                        "{\"body\":{\"tag\":\"Error\",\"val\":{\"group\":\"g\",\"code\":\"c\",\"message\":\"m\"}}}")))
                .isEqualTo(new ToClient.Error("g", "c", "m", null, null, null));
    }

    @Test
    void cborIdsOfAnyWidth() {
        // {"body":{"tag":"ActionRequest","val":{"id":7,"name":"a","args":[]}}} with a 1-byte id.
        String frame =
                "a164626f6479a2637461676d416374696f6e526571756573746376616ca3"
                        + "626964"
                        + "07"
                        + "646e616d656161"
                        + "646172677380";
        assertThat(ClientProtocol.decodeToServer(CBOR, hex(frame)))
                .isEqualTo(new ToServer.ActionRequest(7, "a", json("[]")));
        assertThat(
                        ClientProtocol.decodeToServer(
                                CBOR, hex(frame.replace("62696407", "6269641903e8"))))
                .isEqualTo(new ToServer.ActionRequest(1000, "a", json("[]")));
        assertThatThrownBy(
                        () ->
                                ClientProtocol.decodeToServer(
                                        CBOR,
                                        hex(frame.replace("62696407", "6269641bffffffffffffffff"))))
                .isInstanceOf(ProtocolException.class)
                .hasMessage(
                        "cbor ToServer, body.val.id: integer \"18446744073709551615\" is outside 0 to 2^63-1");
    }

    @Test
    void absurdNestingIsRejectedNotOverflowed() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        rejectJson(
                        "{\"body\":{\"tag\":\"ActionRequest\",\"val\":{\"id\":1,\"name\":\"a\",\"args\":"
                                + deep
                                + "}}}")
                .hasMessageStartingWith("json ToServer: invalid JSON: ")
                .hasMessageContaining("nesting depth");

        byte[] cbor = new byte[100_000];
        Arrays.fill(cbor, (byte) 0x81);
        assertThatThrownBy(() -> ClientProtocol.decodeToServer(CBOR, cbor))
                .isInstanceOf(ProtocolException.class)
                .hasMessageStartingWith("cbor ToServer: invalid CBOR: ")
                .hasMessageContaining("nesting depth");
    }

    /** Declared lengths far beyond the input fail at once instead of allocating them. */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "5b7fffffffffffffff", // byte string of 2^63-1 bytes
                "5affffffff", // byte string of 4 GiB
                "a164626f64797affffffff", // {"body": text string of 4 GiB}
                "9b00000000ffffffff", // array of 2^32-1 items
                "bb7fffffffffffffff", // map of 2^63-1 pairs
                "a164626f6479d9010398ffff" // tag 259 around an array with a declared count and
                // nothing else
            })
    void hugeCborLengthsAreRejected(String frame) {
        assertThatThrownBy(() -> ClientProtocol.decodeToServer(CBOR, hex(frame)))
                .isInstanceOf(ProtocolException.class)
                .hasMessageStartingWith("cbor ToServer: invalid CBOR: ");
    }

    @Test
    void everyPrefixOfACborFrameIsRejected() {
        byte[] whole = hex(CBOR_ACTION_REQUEST);
        for (int length = 0; length < whole.length; length++) {
            byte[] prefix = Arrays.copyOf(whole, length);
            assertThatThrownBy(() -> ClientProtocol.decodeToServer(CBOR, prefix))
                    .isInstanceOf(ProtocolException.class);
        }
    }

    @Test
    void cborErrorsNameTheFieldToo() {
        // {"body":{"tag":"SubscriptionRequest","val":{"eventName":h'00',"subscribe":true}}}: bytes,
        // not text.
        String frame = CBOR_SUBSCRIBE.replace("686e6577436f756e74", "4100");
        assertThatThrownBy(() -> ClientProtocol.decodeToServer(CBOR, hex(frame)))
                .isInstanceOf(ProtocolException.class)
                .hasMessage("cbor ToServer, body.val.eventName: expected a string, found binary");
    }

    private static String actionRequestWithId(String id) {
        return "{\"body\":{\"tag\":\"ActionRequest\",\"val\":{"
                + (id == null ? "" : "\"id\":" + id + ",")
                + "\"name\":\"a\",\"args\":[]}}}";
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> rejectJson(String frame) {
        return assertThatThrownBy(() -> ClientProtocol.decodeToServer(JSON, utf8(frame)))
                .isInstanceOf(ProtocolException.class);
    }
}
