package dev.rivetkitjava.protocol;

import static dev.rivetkitjava.protocol.Captured.BARE_ACTION_REQUEST;
import static dev.rivetkitjava.protocol.Captured.BARE_ACTION_REQUEST_500;
import static dev.rivetkitjava.protocol.Captured.BARE_ERROR_USER;
import static dev.rivetkitjava.protocol.Captured.BARE_HTTP_ACTION_REQUEST;
import static dev.rivetkitjava.protocol.Captured.BARE_INIT;
import static dev.rivetkitjava.protocol.Captured.BARE_SUBSCRIBE;
import static dev.rivetkitjava.protocol.Captured.hex;
import static dev.rivetkitjava.protocol.Encoding.BARE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every way a BARE message can be malformed is a ProtocolException that says what and at which
 * byte.
 */
class BareRejectionTest {
    @Test
    void missingVersionPrefix() {
        rejectToServer("")
                .hasMessage(
                        "bare ToServer, byte 0: missing the 2-byte version prefix (input has 0 byte(s))");
        rejectToServer("04")
                .hasMessage(
                        "bare ToServer, byte 0: missing the 2-byte version prefix (input has 1 byte(s))");
    }

    @Test
    void unsupportedVersions() {
        rejectToServer("0500" + BARE_SUBSCRIBE.substring(4))
                .hasMessage(
                        "bare ToServer, byte 0: unsupported protocol version 5 (supported: 1 to 4)");
        rejectToServer("0000" + BARE_SUBSCRIBE.substring(4))
                .hasMessage(
                        "bare ToServer, byte 0: unsupported protocol version 0 (supported: 1 to 4)");
        // Big-endian 4 is version 1024: the prefix is little-endian.
        rejectToServer("0004" + BARE_SUBSCRIBE.substring(4))
                .hasMessage(
                        "bare ToServer, byte 0: unsupported protocol version 1024 (supported: 1 to 4)");
        // Before v4, Error had no actor and Init carried a token: a v3 ToClient is not read as v4.
        assertThatThrownBy(
                        () ->
                                ClientProtocol.decodeToClient(
                                        BARE, hex("0300" + BARE_INIT.substring(4))))
                .isInstanceOf(ProtocolException.class)
                .hasMessage("bare ToClient, byte 0: unsupported protocol version 3 (supported: 4)");
    }

    @Test
    void unknownUnionTags() {
        rejectToServer("040002")
                .hasMessage("bare ToServer, byte 2: unknown ToServerBody tag 2 (expected 0 to 1)");
        assertThatThrownBy(() -> ClientProtocol.decodeToClient(BARE, hex("040004")))
                .isInstanceOf(ProtocolException.class)
                .hasMessage("bare ToClient, byte 2: unknown ToClientBody tag 4 (expected 0 to 3)");
    }

    @Test
    void truncatedInput() {
        rejectToServer(BARE_SUBSCRIBE.substring(0, BARE_SUBSCRIBE.length() - 2))
                .hasMessage(
                        "bare ToServer, byte 12: subscribe: truncated input (input ends at byte 12)");
        rejectToServer(BARE_ACTION_REQUEST.substring(0, BARE_ACTION_REQUEST.length() - 2))
                .hasMessage(
                        "bare ToServer, byte 14: args: length 2 exceeds the 1 remaining byte(s)");
        rejectToServer("040000")
                .hasMessage("bare ToServer, byte 3: id: truncated input (input ends at byte 3)");
    }

    /**
     * Cutting a real frame anywhere never yields a message, nor anything but a ProtocolException.
     */
    @ParameterizedTest
    @ValueSource(strings = {BARE_SUBSCRIBE, BARE_ACTION_REQUEST, BARE_ACTION_REQUEST_500})
    void everyPrefixOfAFrameIsRejected(String frame) {
        byte[] whole = hex(frame);
        for (int length = 0; length < whole.length; length++) {
            byte[] prefix = Arrays.copyOf(whole, length);
            assertThatThrownBy(() -> ClientProtocol.decodeToServer(BARE, prefix))
                    .isInstanceOf(ProtocolException.class);
        }
    }

    @Test
    void everyPrefixOfAnErrorFrameIsRejected() {
        byte[] whole = hex(BARE_ERROR_USER);
        for (int length = 0; length < whole.length; length++) {
            byte[] prefix = Arrays.copyOf(whole, length);
            assertThatThrownBy(() -> ClientProtocol.decodeToClient(BARE, prefix))
                    .isInstanceOf(ProtocolException.class);
        }
    }

    @Test
    void trailingBytes() {
        rejectToServer(BARE_SUBSCRIBE + "00")
                .hasMessage("bare ToServer, byte 13: 1 trailing byte(s) after the message");
        assertThatThrownBy(
                        () ->
                                ClientProtocol.decodeHttpActionRequest(
                                        BARE, hex(BARE_HTTP_ACTION_REQUEST + "0000")))
                .isInstanceOf(ProtocolException.class)
                .hasMessage("bare HttpActionRequest, byte 5: 2 trailing byte(s) after the message");
    }

    @Test
    void invalidUtf8() {
        rejectToServer("040001" + "02c328" + "01")
                .hasMessage("bare ToServer, byte 3: eventName: invalid UTF-8 in str");
        // An unpaired surrogate encoded as UTF-8 (CESU style) is not valid UTF-8 either.
        rejectToServer("040001" + "03eda080" + "01")
                .hasMessage("bare ToServer, byte 3: eventName: invalid UTF-8 in str");
    }

    @Test
    void lengthsBeyondTheInput() {
        rejectToServer("040001" + "ffffffff0f")
                .hasMessage(
                        "bare ToServer, byte 3: eventName: length 4294967295 exceeds the 0 remaining byte(s)");
        rejectToServer("040000" + "00" + "0161" + "ffffffffffffffff7f")
                .hasMessage(
                        "bare ToServer, byte 6: args: length 9223372036854775807 exceeds the 0 remaining byte(s)");
    }

    @Test
    void uintsThatAreTooLongOrOverlong() {
        rejectToServer("040000" + "ffffffffffffffffff01" + "0161" + "0180")
                .hasMessage("bare ToServer, byte 3: id: uint does not fit in 63 bits");
        rejectToServer("040000" + "8000" + "0161" + "0180")
                .hasMessage(
                        "bare ToServer, byte 3: id: uint has a needless trailing zero byte (non-canonical)");
        rejectToServer("040080" + "00")
                .hasMessage(
                        "bare ToServer, byte 2: ToServerBody tag: uint has a needless trailing zero byte (non-canonical)");
    }

    @Test
    void boolAndOptionalFlagsMustBeZeroOrOne() {
        rejectToServer("040001086e6577436f756e7402")
                .hasMessage("bare ToServer, byte 12: subscribe: bool must be 0 or 1, found 2");
        assertThatThrownBy(
                        () ->
                                ClientProtocol.decodeToClient(
                                        BARE, hex("040001" + "0167" + "0163" + "016d" + "02")))
                .isInstanceOf(ProtocolException.class)
                .hasMessage(
                        "bare ToClient, byte 9: metadata: optional flag must be 0 or 1, found 2");
    }

    @Test
    void nestedCborMustBeExactlyOneValidValue() {
        String request = "040000" + "00" + "0161";
        rejectToServer(request + "00")
                .hasMessage(
                        "bare ToServer, byte 6, args: empty input where a CBOR value was expected");
        rejectToServer(request + "011c")
                .hasMessageStartingWith("bare ToServer, byte 6, args: invalid CBOR: ");
        rejectToServer(request + "03810101")
                .hasMessageStartingWith("bare ToServer, byte 6, args: invalid CBOR: ")
                .hasMessageContaining("Trailing token");
        rejectToServer(request + "02" + "61ff")
                .hasMessageStartingWith("bare ToServer, byte 6, args: invalid CBOR: ")
                .hasMessageContaining("UTF-8");
    }

    @Test
    void malformedJsonCompatTagsInNestedCbor() {
        // ["$Foo", 1]: a tag the client never writes (it would have escaped a user array to
        // "$$Foo").
        rejectToServer("040000" + "00" + "0161" + "07" + "826424466f6f01")
                .hasMessage("bare ToServer, byte 6, args: unknown JSON-compat tag \"$Foo\"");
    }

    @Test
    void absurdNestingInNestedCborIsRejectedNotOverflowed() {
        int depth = 100_000;
        byte[] args = new byte[depth + 1];
        Arrays.fill(args, (byte) 0x81); // an array holding an array holding …
        args[depth] = 0x01;
        BareWriter w = new BareWriter(4);
        w.uint(0);
        w.uint(0);
        w.str("a");
        w.data(args);

        assertThatThrownBy(() -> ClientProtocol.decodeToServer(BARE, w.toByteArray()))
                .isInstanceOf(ProtocolException.class)
                .hasMessageStartingWith("bare ToServer, byte 6, args: invalid CBOR: ")
                .hasMessageContaining("nesting depth");
    }

    @Test
    void nestingWithinTheLimitIsFine() {
        int depth = Values.MAX_NESTING - 1;
        byte[] args = new byte[depth + 1];
        Arrays.fill(args, (byte) 0x81);
        args[depth] = 0x01;
        BareWriter w = new BareWriter(4);
        w.uint(0);
        w.uint(0);
        w.str("a");
        w.data(args);

        assertThat(ClientProtocol.decodeToServer(BARE, w.toByteArray()))
                .isInstanceOf(ToServer.ActionRequest.class);
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> rejectToServer(String frame) {
        return assertThatThrownBy(() -> ClientProtocol.decodeToServer(BARE, hex(frame)))
                .isInstanceOf(ProtocolException.class);
    }
}
