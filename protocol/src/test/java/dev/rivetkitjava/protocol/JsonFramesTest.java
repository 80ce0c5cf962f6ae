package dev.rivetkitjava.protocol;

import static dev.rivetkitjava.protocol.Captured.ACTOR;
import static dev.rivetkitjava.protocol.Captured.ACTOR_ID;
import static dev.rivetkitjava.protocol.Captured.JSON_ACTION_REQUEST;
import static dev.rivetkitjava.protocol.Captured.JSON_ACTION_REQUEST_NO_ARGS;
import static dev.rivetkitjava.protocol.Captured.JSON_ACTION_RESPONSE;
import static dev.rivetkitjava.protocol.Captured.JSON_ERROR_INTERNAL;
import static dev.rivetkitjava.protocol.Captured.JSON_ERROR_REJECTED;
import static dev.rivetkitjava.protocol.Captured.JSON_ERROR_USER;
import static dev.rivetkitjava.protocol.Captured.JSON_EVENT;
import static dev.rivetkitjava.protocol.Captured.JSON_HTTP_ACTION_REQUEST;
import static dev.rivetkitjava.protocol.Captured.JSON_HTTP_ACTION_RESPONSE;
import static dev.rivetkitjava.protocol.Captured.JSON_HTTP_RESPONSE_ERROR;
import static dev.rivetkitjava.protocol.Captured.JSON_INIT;
import static dev.rivetkitjava.protocol.Captured.JSON_SUBSCRIBE;
import static dev.rivetkitjava.protocol.Captured.JSON_WHOAMI_RESPONSE;
import static dev.rivetkitjava.protocol.Captured.json;
import static dev.rivetkitjava.protocol.Captured.utf8;
import static dev.rivetkitjava.protocol.Encoding.JSON;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.BinaryNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.rivetkitjava.protocol.ToClient.ActionResponse;
import dev.rivetkitjava.protocol.ToClient.Error;
import dev.rivetkitjava.protocol.ToClient.Event;
import dev.rivetkitjava.protocol.ToClient.Init;
import dev.rivetkitjava.protocol.ToServer.ActionRequest;
import dev.rivetkitjava.protocol.ToServer.SubscriptionRequest;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Transcript B: the JSON frames the reference server sent are reproduced exactly; the client's are
 * understood.
 */
class JsonFramesTest {
    static Stream<Arguments> toClientFrames() {
        return Stream.of(
                arguments(JSON_INIT, new Init(ACTOR_ID, "6fb7c00d-2ccf-45f7-b09f-ccccce0082fc")),
                arguments(JSON_EVENT, new Event("newCount", json("[12]"))),
                arguments(JSON_ACTION_RESPONSE, new ActionResponse(0, json("12"))),
                arguments(
                        JSON_WHOAMI_RESPONSE,
                        new ActionResponse(
                                1,
                                json(
                                        """
            {"actorId": "h4qz7xfegjv2xob2ldev1l216xal00", "connId": "6fb7c00d-2ccf-45f7-b09f-ccccce0082fc",
             "connState": {"user": "alice"}, "key": ["room-1"], "name": "counter", "params": {"user": "alice"}}"""))),
                arguments(
                        JSON_ERROR_USER,
                        new Error("user", "custom_code", "boom", json("{\"a\": 1}"), 2L, ACTOR)),
                arguments(
                        JSON_ERROR_INTERNAL,
                        new Error(
                                "rivetkit",
                                "internal_error",
                                "An internal error occurred",
                                null,
                                3L,
                                ACTOR)),
                arguments(
                        JSON_ERROR_REJECTED,
                        new Error("user", "rejected", "connection rejected", null, null, null)));
    }

    @ParameterizedTest
    @MethodSource("toClientFrames")
    void serverFramesRoundTripByteForByte(String frame, ToClient message) {
        assertThat(ClientProtocol.decodeToClient(JSON, utf8(frame))).isEqualTo(message);
        assertThat(text(ClientProtocol.encode(JSON, message))).isEqualTo(frame);
    }

    @Test
    void clientFramesDecode() {
        assertThat(ClientProtocol.decodeToServer(JSON, utf8(JSON_SUBSCRIBE)))
                .isEqualTo(new SubscriptionRequest("newCount", true));
        assertThat(ClientProtocol.decodeToServer(JSON, utf8(JSON_ACTION_REQUEST)))
                .isEqualTo(new ActionRequest(0, "increment", json("[1]")));
        assertThat(ClientProtocol.decodeToServer(JSON, utf8(JSON_ACTION_REQUEST_NO_ARGS)))
                .isEqualTo(new ActionRequest(1, "whoami", json("[]")));
    }

    /**
     * Our fields come out sorted by name (the client's own order differs; key order means nothing
     * in JSON).
     */
    @Test
    void clientFramesEncodeWithBigIntIds() {
        assertThat(text(ClientProtocol.encode(JSON, new SubscriptionRequest("newCount", true))))
                .isEqualTo(JSON_SUBSCRIBE);
        assertThat(
                        text(
                                ClientProtocol.encode(
                                        JSON, new ActionRequest(0, "increment", json("[1]")))))
                .isEqualTo(
                        "{\"body\":{\"tag\":\"ActionRequest\",\"val\":{\"args\":[1],\"id\":[\"$BigInt\",\"0\"],"
                                + "\"name\":\"increment\"}}}");
    }

    @Test
    void httpBodiesRoundTripByteForByte() {
        assertThat(ClientProtocol.decodeHttpActionRequest(JSON, utf8(JSON_HTTP_ACTION_REQUEST)))
                .isEqualTo(new HttpActionRequest(json("[5]")));
        assertThat(text(ClientProtocol.encode(JSON, new HttpActionRequest(json("[5]")))))
                .isEqualTo(JSON_HTTP_ACTION_REQUEST);

        assertThat(ClientProtocol.decodeHttpActionResponse(JSON, utf8(JSON_HTTP_ACTION_RESPONSE)))
                .isEqualTo(new HttpActionResponse(json("11")));
        assertThat(text(ClientProtocol.encode(JSON, new HttpActionResponse(json("11")))))
                .isEqualTo(JSON_HTTP_ACTION_RESPONSE);

        HttpResponseError error =
                new HttpResponseError("user", "custom_code", "boom", json("{\"a\": 1}"), ACTOR);
        assertThat(ClientProtocol.decodeHttpResponseError(JSON, utf8(JSON_HTTP_RESPONSE_ERROR)))
                .isEqualTo(error);
        assertThat(text(ClientProtocol.encode(JSON, error))).isEqualTo(JSON_HTTP_RESPONSE_ERROR);
    }

    /** The client's schema takes a missing actor or key, but rejects a null one. */
    @Test
    void absentOptionalFieldsAreLeftOutButActionIdIsAlwaysThere() {
        Error error = new Error("g", "c", "m", null, 7L, new ActorSpecifier("a", 2, null));

        assertThat(text(ClientProtocol.encode(JSON, error)))
                .isEqualTo(
                        "{\"body\":{\"tag\":\"Error\",\"val\":{"
                                + "\"actionId\":[\"$BigInt\",\"7\"],\"actor\":{\"actorId\":\"a\",\"generation\":2},"
                                + "\"code\":\"c\",\"group\":\"g\",\"message\":\"m\"}}}");
        assertThat(
                        text(
                                ClientProtocol.encode(
                                        JSON, new HttpResponseError("g", "c", "m", null, null))))
                .isEqualTo("{\"code\":\"c\",\"group\":\"g\",\"message\":\"m\"}");
    }

    @Test
    void userValuesGoThroughTheJsonCompatLayer() {
        var output =
                JsonNodeFactory.instance
                        .arrayNode()
                        .add(BigIntegerNode.valueOf(BigInteger.TWO.pow(70)))
                        .add(BinaryNode.valueOf(new byte[] {1, 2, 3}))
                        .add(json("[\"$not-a-tag\", 1]"));
        byte[] frame = ClientProtocol.encode(JSON, new ActionResponse(3, output));

        assertThat(text(frame))
                .isEqualTo(
                        "{\"body\":{\"tag\":\"ActionResponse\",\"val\":{\"id\":[\"$BigInt\",\"3\"],"
                                + "\"output\":[[\"$BigInt\",\"1180591620717411303424\"],[\"$Uint8Array\",\"AQID\"],[\"$$not-a-tag\",1]]}}}");
        assertThat(ClientProtocol.decodeToClient(JSON, frame))
                .isEqualTo(new ActionResponse(3, output));
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
