package dev.rivetkitjava.protocol;

import static dev.rivetkitjava.protocol.Captured.ACTOR;
import static dev.rivetkitjava.protocol.Captured.ACTOR_ID;
import static dev.rivetkitjava.protocol.Captured.BARE_ACTION_REQUEST;
import static dev.rivetkitjava.protocol.Captured.BARE_ACTION_REQUEST_500;
import static dev.rivetkitjava.protocol.Captured.BARE_ACTION_REQUEST_NO_ARGS;
import static dev.rivetkitjava.protocol.Captured.BARE_ACTION_RESPONSE;
import static dev.rivetkitjava.protocol.Captured.BARE_ACTION_RESPONSE_TEXT;
import static dev.rivetkitjava.protocol.Captured.BARE_ERROR_INTERNAL;
import static dev.rivetkitjava.protocol.Captured.BARE_ERROR_REJECTED;
import static dev.rivetkitjava.protocol.Captured.BARE_ERROR_USER;
import static dev.rivetkitjava.protocol.Captured.BARE_EVENT;
import static dev.rivetkitjava.protocol.Captured.BARE_EVENT_TWO_ARGS;
import static dev.rivetkitjava.protocol.Captured.BARE_HTTP_ACTION_REQUEST;
import static dev.rivetkitjava.protocol.Captured.BARE_HTTP_ACTION_REQUEST_NO_ARGS;
import static dev.rivetkitjava.protocol.Captured.BARE_HTTP_ACTION_RESPONSE;
import static dev.rivetkitjava.protocol.Captured.BARE_HTTP_RESPONSE_ERROR;
import static dev.rivetkitjava.protocol.Captured.BARE_INIT;
import static dev.rivetkitjava.protocol.Captured.BARE_SUBSCRIBE;
import static dev.rivetkitjava.protocol.Captured.BARE_TYPES_RESPONSE;
import static dev.rivetkitjava.protocol.Captured.BARE_UNSUBSCRIBE;
import static dev.rivetkitjava.protocol.Captured.BARE_WHOAMI_RESPONSE;
import static dev.rivetkitjava.protocol.Captured.hex;
import static dev.rivetkitjava.protocol.Captured.json;
import static dev.rivetkitjava.protocol.Encoding.BARE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.BinaryNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.rivetkitjava.protocol.ToClient.ActionResponse;
import dev.rivetkitjava.protocol.ToClient.Error;
import dev.rivetkitjava.protocol.ToClient.Event;
import dev.rivetkitjava.protocol.ToClient.Init;
import dev.rivetkitjava.protocol.ToServer.ActionRequest;
import dev.rivetkitjava.protocol.ToServer.SubscriptionRequest;
import java.math.BigInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Frames the real client sent and accepted in BARE decode to the expected message and encode back
 * byte for byte.
 */
class BareFramesTest {
    static Stream<Arguments> toClientFrames() {
        return Stream.of(
                arguments(BARE_INIT, new Init(ACTOR_ID, "1e8a5d17-84f7-4b1a-83c1-aede58ced74a")),
                arguments(BARE_EVENT, new Event("newCount", json("[6]"))),
                arguments(BARE_EVENT_TWO_ARGS, new Event("direct", json("[\"hello\", 2]"))),
                arguments(BARE_ACTION_RESPONSE, new ActionResponse(0, json("6"))),
                arguments(BARE_ACTION_RESPONSE_TEXT, new ActionResponse(1, json("\"kicking\""))),
                arguments(
                        BARE_ERROR_USER,
                        new Error("user", "custom_code", "boom", json("{\"a\": 1}"), 2L, ACTOR)),
                arguments(
                        BARE_ERROR_INTERNAL,
                        new Error(
                                "rivetkit",
                                "internal_error",
                                "An internal error occurred",
                                null,
                                3L,
                                ACTOR)),
                arguments(
                        BARE_ERROR_REJECTED,
                        new Error("user", "rejected", "connection rejected", null, null, null)));
    }

    @ParameterizedTest
    @MethodSource("toClientFrames")
    void toClientFramesRoundTripByteForByte(String frame, ToClient message) {
        assertThat(ClientProtocol.decodeToClient(BARE, hex(frame))).isEqualTo(message);
        assertThat(hex(ClientProtocol.encode(BARE, message))).isEqualTo(frame);
    }

    static Stream<Arguments> toServerFrames() {
        return Stream.of(
                arguments(BARE_SUBSCRIBE, new SubscriptionRequest("newCount", true)),
                arguments(BARE_UNSUBSCRIBE, new SubscriptionRequest("newCount", false)),
                arguments(BARE_ACTION_REQUEST, new ActionRequest(0, "increment", json("[1]"))),
                arguments(BARE_ACTION_REQUEST_NO_ARGS, new ActionRequest(1, "whoami", json("[]"))),
                arguments(
                        BARE_ACTION_REQUEST_500,
                        new ActionRequest(0, "scheduleTick", json("[500]"))));
    }

    @ParameterizedTest
    @MethodSource("toServerFrames")
    void toServerFramesRoundTripByteForByte(String frame, ToServer message) {
        assertThat(ClientProtocol.decodeToServer(BARE, hex(frame))).isEqualTo(message);
        assertThat(hex(ClientProtocol.encode(BARE, message))).isEqualTo(frame);
    }

    @Test
    void httpBodiesRoundTripByteForByte() {
        assertThat(ClientProtocol.decodeHttpActionRequest(BARE, hex(BARE_HTTP_ACTION_REQUEST)))
                .isEqualTo(new HttpActionRequest(json("[5]")));
        assertThat(hex(ClientProtocol.encode(BARE, new HttpActionRequest(json("[5]")))))
                .isEqualTo(BARE_HTTP_ACTION_REQUEST);
        assertThat(hex(ClientProtocol.encode(BARE, new HttpActionRequest(json("[]")))))
                .isEqualTo(BARE_HTTP_ACTION_REQUEST_NO_ARGS);

        assertThat(ClientProtocol.decodeHttpActionResponse(BARE, hex(BARE_HTTP_ACTION_RESPONSE)))
                .isEqualTo(new HttpActionResponse(json("5")));
        assertThat(hex(ClientProtocol.encode(BARE, new HttpActionResponse(json("5")))))
                .isEqualTo(BARE_HTTP_ACTION_RESPONSE);

        HttpResponseError error =
                new HttpResponseError("user", "custom_code", "boom", json("{\"a\": 1}"), ACTOR);
        assertThat(ClientProtocol.decodeHttpResponseError(BARE, hex(BARE_HTTP_RESPONSE_ERROR)))
                .isEqualTo(error);
        assertThat(hex(ClientProtocol.encode(BARE, error))).isEqualTo(BARE_HTTP_RESPONSE_ERROR);
    }

    /**
     * cbor-x wrote this output with 16-bit map headers, which Jackson does not; the value must
     * survive anyway.
     */
    @Test
    void outputWrittenByCborXDecodesAndSurvivesReencoding() {
        ToClient decoded = ClientProtocol.decodeToClient(BARE, hex(BARE_WHOAMI_RESPONSE));

        assertThat(decoded)
                .isEqualTo(
                        new ActionResponse(
                                1,
                                json(
                                        """
        {"connId": "1e8a5d17-84f7-4b1a-83c1-aede58ced74a", "connState": {"user": "alice"},
         "params": {"user": "alice"}, "key": ["room-1"], "actorId": "h4qz7xfegjv2xob2ldev1l216xal00",
         "name": "counter"}""")));
        byte[] reencoded = ClientProtocol.encode(BARE, decoded);
        assertThat(reencoded).hasSizeLessThan(hex(BARE_WHOAMI_RESPONSE).length);
        assertThat(ClientProtocol.decodeToClient(BARE, reencoded)).isEqualTo(decoded);
    }

    /**
     * The JSON-compat tags and cbor-x's native tags (Date = tag 1, Map = tag 259) as the real actor
     * sent them.
     */
    @Test
    void typesOutputRevivesEveryJavaScriptType() {
        JsonNode output =
                ClientProtocol.decodeHttpActionResponse(BARE, hex(BARE_TYPES_RESPONSE)).output();

        assertThat(output.get("big")).isEqualTo(BigIntegerNode.valueOf(BigInteger.TEN));
        assertThat(output.get("bytes")).isEqualTo(BinaryNode.valueOf(new byte[] {1, 2, 3}));
        assertThat(output.get("undef")).isEqualTo(NullNode.getInstance());
        assertThat(output.get("date").isIntegralNumber()).isTrue();
        assertThat(output.get("date").longValue()).isZero();
        assertThat(output.get("set")).isEqualTo(json("[1]"));
        assertThat(output.get("map")).isEqualTo(json("{\"k\": 1}"));
    }

    /**
     * v1 to v3 lay out ToServer and the HTTP action request as v4 does, so an older client is
     * understood.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void olderVersionsWithTheSameLayoutAreAccepted(int version) {
        byte[] frame = hex(BARE_ACTION_REQUEST);
        frame[0] = (byte) version;
        byte[] body = hex(BARE_HTTP_ACTION_REQUEST);
        body[0] = (byte) version;

        assertThat(ClientProtocol.decodeToServer(BARE, frame))
                .isEqualTo(new ActionRequest(0, "increment", json("[1]")));
        assertThat(ClientProtocol.decodeHttpActionRequest(BARE, body))
                .isEqualTo(new HttpActionRequest(json("[5]")));
    }

    @Test
    void largestIdRoundTrips() {
        ActionRequest request = new ActionRequest(Long.MAX_VALUE, "a", json("[]"));
        byte[] frame = ClientProtocol.encode(BARE, request);

        assertThat(hex(frame)).isEqualTo("040000" + "ffffffffffffffff7f" + "0161" + "0180");
        assertThat(ClientProtocol.decodeToServer(BARE, frame)).isEqualTo(request);
    }

    /**
     * An explicit null metadata is not the same as none: BARE carries it as a present CBOR null.
     */
    @Test
    void nullMetadataIsKeptApartFromNoMetadata() {
        Error error = new Error("g", "c", "m", NullNode.getInstance(), null, null);
        byte[] frame = ClientProtocol.encode(BARE, error);

        assertThat(hex(frame))
                .isEqualTo("040001" + "0167" + "0163" + "016d" + "0101f6" + "00" + "00");
        assertThat(ClientProtocol.decodeToClient(BARE, frame)).isEqualTo(error);
    }
}
