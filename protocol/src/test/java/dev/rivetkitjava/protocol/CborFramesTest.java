package dev.rivetkitjava.protocol;

import static dev.rivetkitjava.protocol.Captured.ACTOR;
import static dev.rivetkitjava.protocol.Captured.ACTOR_ID;
import static dev.rivetkitjava.protocol.Captured.CBOR_ACTION_REQUEST;
import static dev.rivetkitjava.protocol.Captured.CBOR_ACTION_REQUEST_NO_ARGS;
import static dev.rivetkitjava.protocol.Captured.CBOR_ACTION_RESPONSE;
import static dev.rivetkitjava.protocol.Captured.CBOR_ERROR_INTERNAL;
import static dev.rivetkitjava.protocol.Captured.CBOR_ERROR_USER;
import static dev.rivetkitjava.protocol.Captured.CBOR_EVENT;
import static dev.rivetkitjava.protocol.Captured.CBOR_HTTP_ACTION_REQUEST;
import static dev.rivetkitjava.protocol.Captured.CBOR_HTTP_ACTION_RESPONSE;
import static dev.rivetkitjava.protocol.Captured.CBOR_HTTP_RESPONSE_ERROR;
import static dev.rivetkitjava.protocol.Captured.CBOR_INIT;
import static dev.rivetkitjava.protocol.Captured.CBOR_SUBSCRIBE;
import static dev.rivetkitjava.protocol.Captured.CBOR_WHOAMI_RESPONSE;
import static dev.rivetkitjava.protocol.Captured.hex;
import static dev.rivetkitjava.protocol.Captured.json;
import static dev.rivetkitjava.protocol.Encoding.CBOR;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.rivetkitjava.protocol.ToClient.ActionResponse;
import dev.rivetkitjava.protocol.ToClient.Error;
import dev.rivetkitjava.protocol.ToClient.Event;
import dev.rivetkitjava.protocol.ToClient.Init;
import dev.rivetkitjava.protocol.ToServer.ActionRequest;
import dev.rivetkitjava.protocol.ToServer.SubscriptionRequest;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Transcript C: the CBOR frames the reference server sent are reproduced exactly, including the
 * 64-bit ids ({@code 1b} + 8 bytes) that cbor-x needs to see a bigint; the client's frames (16-bit
 * map headers) are understood.
 */
class CborFramesTest {
    static Stream<Arguments> toClientFrames() {
        return Stream.of(
                arguments(CBOR_INIT, new Init(ACTOR_ID, "4161a7f1-9d17-4ee8-a3c6-11847baf1a3a")),
                arguments(CBOR_EVENT, new Event("newCount", json("[18]"))),
                arguments(CBOR_ACTION_RESPONSE, new ActionResponse(0, json("18"))),
                arguments(
                        CBOR_ERROR_USER,
                        new Error("user", "custom_code", "boom", json("{\"a\": 1}"), 2L, ACTOR)),
                arguments(
                        CBOR_ERROR_INTERNAL,
                        new Error(
                                "rivetkit",
                                "internal_error",
                                "An internal error occurred",
                                null,
                                3L,
                                ACTOR)));
    }

    @ParameterizedTest
    @MethodSource("toClientFrames")
    void serverFramesRoundTripByteForByte(String frame, ToClient message) {
        assertThat(ClientProtocol.decodeToClient(CBOR, hex(frame))).isEqualTo(message);
        assertThat(hex(ClientProtocol.encode(CBOR, message))).isEqualTo(frame);
    }

    @Test
    void idsAreAlways64BitIntegers() {
        assertThat(hex(ClientProtocol.encode(CBOR, new ActionResponse(7, json("null")))))
                .contains("6269641b0000000000000007"); // "id" 1b 00000000 00000007
        assertThat(hex(ClientProtocol.encode(CBOR, new Error("g", "c", "m", null, 300L, null))))
                .endsWith("68616374696f6e49641b000000000000012c"); // "actionId" 1b …012c
        assertThat(hex(ClientProtocol.encode(CBOR, new Error("g", "c", "m", null, null, null))))
                .endsWith(
                        "68616374696f6e4964f6"); // "actionId" null: present, as the client requires
    }

    @Test
    void outputWrittenByCborXDecodes() {
        assertThat(ClientProtocol.decodeToClient(CBOR, hex(CBOR_WHOAMI_RESPONSE)))
                .isEqualTo(
                        new ActionResponse(
                                1,
                                json(
                                        """
        {"connId": "4161a7f1-9d17-4ee8-a3c6-11847baf1a3a", "connState": {"user": "alice"},
         "params": {"user": "alice"}, "key": ["room-1"], "actorId": "h4qz7xfegjv2xob2ldev1l216xal00",
         "name": "counter"}""")));
    }

    @Test
    void clientFramesDecode() {
        assertThat(ClientProtocol.decodeToServer(CBOR, hex(CBOR_SUBSCRIBE)))
                .isEqualTo(new SubscriptionRequest("newCount", true));
        assertThat(ClientProtocol.decodeToServer(CBOR, hex(CBOR_ACTION_REQUEST)))
                .isEqualTo(new ActionRequest(0, "increment", json("[1]")));
        assertThat(ClientProtocol.decodeToServer(CBOR, hex(CBOR_ACTION_REQUEST_NO_ARGS)))
                .isEqualTo(new ActionRequest(1, "whoami", json("[]")));
    }

    /**
     * The client's frame with shortest map headers instead of cbor-x's 16-bit ones; the id stays
     * 64-bit.
     */
    @Test
    void clientFramesEncode() {
        assertThat(hex(ClientProtocol.encode(CBOR, new ActionRequest(0, "increment", json("[1]")))))
                .isEqualTo(
                        "a164626f6479a2637461676d416374696f6e526571756573746376616ca3"
                                + "6269641b0000000000000000646e616d6569696e6372656d656e7464617267738101");
    }

    @Test
    void httpBodiesRoundTrip() {
        assertThat(ClientProtocol.decodeHttpActionRequest(CBOR, hex(CBOR_HTTP_ACTION_REQUEST)))
                .isEqualTo(new HttpActionRequest(json("[5]")));
        assertThat(hex(ClientProtocol.encode(CBOR, new HttpActionRequest(json("[5]")))))
                .isEqualTo("a1646172677381" + "05");

        assertThat(ClientProtocol.decodeHttpActionResponse(CBOR, hex(CBOR_HTTP_ACTION_RESPONSE)))
                .isEqualTo(new HttpActionResponse(json("17")));
        assertThat(hex(ClientProtocol.encode(CBOR, new HttpActionResponse(json("17")))))
                .isEqualTo(CBOR_HTTP_ACTION_RESPONSE);

        HttpResponseError error =
                new HttpResponseError("user", "custom_code", "boom", json("{\"a\": 1}"), ACTOR);
        assertThat(ClientProtocol.decodeHttpResponseError(CBOR, hex(CBOR_HTTP_RESPONSE_ERROR)))
                .isEqualTo(error);
        assertThat(hex(ClientProtocol.encode(CBOR, error))).isEqualTo(CBOR_HTTP_RESPONSE_ERROR);
    }
}
