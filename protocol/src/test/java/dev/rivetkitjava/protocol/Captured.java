package dev.rivetkitjava.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * Frames captured between the unmodified rivetkit@2.3.19 client and the reference engine + RivetKit
 * server ({@code research/rivetkit-capture/transcripts/client-traffic.jsonl}; the line of each
 * frame in that file is in its comment). They are the ground truth the codecs are tested against.
 */
final class Captured {
    static final String ACTOR_ID = "h4qz7xfegjv2xob2ldev1l216xal00";
    static final ActorSpecifier ACTOR = new ActorSpecifier(ACTOR_ID, 1, "room-1");

    // --- BARE (transcript A, t-bare-basic.txt, plus the reconnect and sleep scenarios) ---
    /** Line 8: Init{actorId, connectionId "1e8a5d17-…"}. */
    static final String BARE_INIT =
            "0400001e6834717a37786665676a7632786f62326c646576316c32313678616c303024"
                    + "31653861356431372d383466372d346231612d383363312d616564653538636564373461";

    /** Line 9: SubscriptionRequest{newCount, true}. */
    static final String BARE_SUBSCRIBE = "040001086e6577436f756e7401";

    /** Line 296: SubscriptionRequest{newCount, false}. */
    static final String BARE_UNSUBSCRIBE = "040001086e6577436f756e7400";

    /** Line 10: ActionRequest{0, increment, [1]}. */
    static final String BARE_ACTION_REQUEST = "0400000009696e6372656d656e74028101";

    /** Line 13: ActionRequest{1, whoami, []}. */
    static final String BARE_ACTION_REQUEST_NO_ARGS = "040000010677686f616d690180";

    /** Line 357: ActionRequest{0, scheduleTick, [500]}. */
    static final String BARE_ACTION_REQUEST_500 = "040000000c7363686564756c655469636b04811901f4";

    /** Line 11: Event{newCount, [6]}. */
    static final String BARE_EVENT = "040003086e6577436f756e74028106";

    /** Line 283: Event{direct, ["hello", 2]}. */
    static final String BARE_EVENT_TWO_ARGS = "0400030664697265637408826568656c6c6f02";

    /** Line 12: ActionResponse{0, 6}. */
    static final String BARE_ACTION_RESPONSE = "040002000106";

    /** Line 286: ActionResponse{1, "kicking"}. */
    static final String BARE_ACTION_RESPONSE_TEXT = "0400020108676b69636b696e67";

    /** Line 16: Error{user, custom_code, boom, {a:1}, actionId 2, actor}. */
    static final String BARE_ERROR_USER =
            "04000104757365720b637573746f6d5f636f646504626f6f6d0104a1616101010201"
                    + "1e6834717a37786665676a7632786f62326c646576316c32313678616c3030010106726f6f6d2d31";

    /** Line 18: Error{rivetkit, internal_error, …, no metadata, actionId 3, actor}. */
    static final String BARE_ERROR_INTERNAL =
            "0400010872697665746b69740e696e7465726e616c5f6572726f721a416e2069"
                    + "6e7465726e616c206572726f72206f63637572726564000103011e6834717a37786665676a7632786f62326c646576316c"
                    + "32313678616c3030010106726f6f6d2d31";

    /** Line 99: connection-level Error{user, rejected, …}: no metadata, no actionId, no actor. */
    static final String BARE_ERROR_REJECTED =
            "04000104757365720872656a656374656413636f6e6e656374696f6e2072656a6563746564000000";

    /** Line 4: HttpActionRequest{[5]}. */
    static final String BARE_HTTP_ACTION_REQUEST = "0400028105";

    /** Line 21: HttpActionRequest{[]}. */
    static final String BARE_HTTP_ACTION_REQUEST_NO_ARGS = "04000180";

    /** Line 5: HttpActionResponse{5}. */
    static final String BARE_HTTP_ACTION_RESPONSE = "04000105";

    /** Line 24: HttpResponseError{user, custom_code, boom, {a:1}, actor}. */
    static final String BARE_HTTP_RESPONSE_ERROR =
            "040004757365720b637573746f6d5f636f646504626f6f6d0104a161610101"
                    + "1e6834717a37786665676a7632786f62326c646576316c32313678616c3030010106726f6f6d2d31";

    /**
     * Line 14: ActionResponse{1, whoami output}; the actor's cbor-x wrote its maps with 16-bit
     * headers.
     */
    static final String BARE_WHOAMI_RESPONSE =
            "040002019e01b9000666636f6e6e49647824316538613564"
                    + "31372d383466372d346231612d383363312d61656465353863656437346169636f6e6e5374617465b9000164757365726561"
                    + "6c69636566706172616d73b90001647573657265616c696365636b65798166726f6f6d2d31676163746f724964781e683471"
                    + "7a37786665676a7632786f62326c646576316c32313678616c3030646e616d6567636f756e746572";

    /**
     * Line 32: HttpActionResponse of the {@code types()} action: {big: 10n, bytes:
     * Uint8Array[1,2,3], undef: undefined, date: new Date(0) (CBOR tag 1), set: Set{1}, map: Map{k:
     * 1} (CBOR tag 259)}.
     */
    static final String BARE_TYPES_RESPONSE =
            "040060b9000663626967826724426967496e74623130656279746573826b2455"
                    + "696e74384172726179644151494465756e646566826a24556e646566696e6564006464617465c11a0000000063736574826424"
                    + "5365748101636d6170d90103a1616b01";

    // --- JSON (transcript B, t-json-basic.txt) ---
    /** Line 114. */
    static final String JSON_INIT =
            "{\"body\":{\"tag\":\"Init\",\"val\":{\"actorId\":\""
                    + ACTOR_ID
                    + "\",\"connectionId\":\"6fb7c00d-2ccf-45f7-b09f-ccccce0082fc\"}}}";

    /** Line 115. */
    static final String JSON_SUBSCRIBE =
            "{\"body\":{\"tag\":\"SubscriptionRequest\",\"val\":{\"eventName\":\"newCount\",\"subscribe\":true}}}";

    /** Line 116. */
    static final String JSON_ACTION_REQUEST =
            "{\"body\":{\"tag\":\"ActionRequest\",\"val\":{\"id\":[\"$BigInt\",\"0\"],\"name\":\"increment\",\"args\":[1]}}}";

    /** Line 119. */
    static final String JSON_ACTION_REQUEST_NO_ARGS =
            "{\"body\":{\"tag\":\"ActionRequest\",\"val\":{\"id\":[\"$BigInt\",\"1\"],\"name\":\"whoami\",\"args\":[]}}}";

    /** Line 117. */
    static final String JSON_EVENT =
            "{\"body\":{\"tag\":\"Event\",\"val\":{\"args\":[12],\"name\":\"newCount\"}}}";

    /** Line 118. */
    static final String JSON_ACTION_RESPONSE =
            "{\"body\":{\"tag\":\"ActionResponse\",\"val\":{\"id\":[\"$BigInt\",\"0\"],\"output\":12}}}";

    /** Line 120. */
    static final String JSON_WHOAMI_RESPONSE =
            "{\"body\":{\"tag\":\"ActionResponse\",\"val\":{\"id\":[\"$BigInt\",\"1\"],"
                    + "\"output\":{\"actorId\":\""
                    + ACTOR_ID
                    + "\",\"connId\":\"6fb7c00d-2ccf-45f7-b09f-ccccce0082fc\","
                    + "\"connState\":{\"user\":\"alice\"},\"key\":[\"room-1\"],\"name\":\"counter\",\"params\":{\"user\":\"alice\"}}}}}";

    private static final String JSON_ACTOR =
            "\"actor\":{\"actorId\":\"" + ACTOR_ID + "\",\"generation\":1,\"key\":\"room-1\"}";

    /** Line 122. */
    static final String JSON_ERROR_USER =
            "{\"body\":{\"tag\":\"Error\",\"val\":{\"actionId\":[\"$BigInt\",\"2\"],"
                    + JSON_ACTOR
                    + ",\"code\":\"custom_code\",\"group\":\"user\",\"message\":\"boom\",\"metadata\":{\"a\":1}}}}";

    /** Line 124. */
    static final String JSON_ERROR_INTERNAL =
            "{\"body\":{\"tag\":\"Error\",\"val\":{\"actionId\":[\"$BigInt\",\"3\"],"
                    + JSON_ACTOR
                    + ",\"code\":\"internal_error\",\"group\":\"rivetkit\",\"message\":\"An internal error occurred\"}}}";

    /** Line 230 (t-json-misc.txt): connection rejected; actionId present and null. */
    static final String JSON_ERROR_REJECTED =
            "{\"body\":{\"tag\":\"Error\",\"val\":{\"actionId\":null,"
                    + "\"code\":\"rejected\",\"group\":\"user\",\"message\":\"connection rejected\"}}}";

    /** Line 110. */
    static final String JSON_HTTP_ACTION_REQUEST = "{\"args\":[5]}";

    /** Line 111. */
    static final String JSON_HTTP_ACTION_RESPONSE = "{\"output\":11}";

    /** Line 130. */
    static final String JSON_HTTP_RESPONSE_ERROR =
            "{"
                    + JSON_ACTOR
                    + ",\"code\":\"custom_code\",\"group\":\"user\",\"message\":\"boom\",\"metadata\":{\"a\":1}}";

    // --- CBOR (transcript C, t-cbor-basic.txt) ---
    /** Line 139: Init{actorId, "4161a7f1-…"}. */
    static final String CBOR_INIT =
            "a164626f6479a26374616764496e69746376616ca2676163746f724964781e6834717a37786665"
                    + "676a7632786f62326c646576316c32313678616c30306c636f6e6e656374696f6e4964782434313631613766312d396431372d"
                    + "346565382d613363362d313138343762616631613361";

    /** Line 140: SubscriptionRequest, as cbor-x writes it (16-bit map headers). */
    static final String CBOR_SUBSCRIBE =
            "b9000164626f6479b900026374616773537562736372697074696f6e52657175657374"
                    + "6376616cb90002696576656e744e616d65686e6577436f756e7469737562736372696265f5";

    /** Line 141: ActionRequest{0, increment, [1]}, id as 1b 0000000000000000. */
    static final String CBOR_ACTION_REQUEST =
            "b9000164626f6479b90002637461676d416374696f6e526571756573746376616c"
                    + "b900036269641b0000000000000000646e616d6569696e6372656d656e7464617267738101";

    /** Line 144: ActionRequest{1, whoami, []}. */
    static final String CBOR_ACTION_REQUEST_NO_ARGS =
            "b9000164626f6479b90002637461676d416374696f6e5265717565737463"
                    + "76616cb900036269641b0000000000000001646e616d656677686f616d69646172677380";

    /** Line 142: Event{newCount, [18]}. */
    static final String CBOR_EVENT =
            "a164626f6479a263746167654576656e746376616ca2646e616d65686e6577436f756e7464617267738112";

    /** Line 143: ActionResponse{0, 18}. */
    static final String CBOR_ACTION_RESPONSE =
            "a164626f6479a2637461676e416374696f6e526573706f6e73656376616ca26269"
                    + "641b0000000000000000666f757470757412";

    /** Line 145: ActionResponse{1, whoami output}; the output map came from the actor's cbor-x. */
    static final String CBOR_WHOAMI_RESPONSE =
            "a164626f6479a2637461676e416374696f6e526573706f6e73656376616ca26269"
                    + "641b0000000000000001666f7574707574b9000666636f6e6e4964782434313631613766312d396431372d346565382d613363"
                    + "362d31313834376261663161336169636f6e6e5374617465b90001647573657265616c69636566706172616d73b900016475"
                    + "73657265616c696365636b65798166726f6f6d2d31676163746f724964781e6834717a37786665676a7632786f62326c6465"
                    + "76316c32313678616c3030646e616d6567636f756e746572";

    private static final String CBOR_ACTOR =
            "656163746f72a3676163746f724964781e6834717a37786665676a7632786f62326c"
                    + "646576316c32313678616c30306a67656e65726174696f6e1b0000000000000001636b657966726f6f6d2d31";

    /** Line 147: Error{user, custom_code, boom, {a:1}, actor, actionId 2}. */
    static final String CBOR_ERROR_USER =
            "a164626f6479a263746167654572726f726376616ca66567726f7570647573657264"
                    + "636f64656b637573746f6d5f636f6465676d65737361676564626f6f6d686d65746164617461a1616101"
                    + CBOR_ACTOR
                    + "68616374696f6e49641b0000000000000002";

    /** Line 149: Error{rivetkit, internal_error, …, actor, actionId 3}. */
    static final String CBOR_ERROR_INTERNAL =
            "a164626f6479a263746167654572726f726376616ca56567726f75706872697665"
                    + "746b697464636f64656e696e7465726e616c5f6572726f72676d657373616765781a416e20696e7465726e616c206572726f72"
                    + "206f63637572726564"
                    + CBOR_ACTOR
                    + "68616374696f6e49641b0000000000000003";

    /** Line 135: HttpActionRequest{[5]}. */
    static final String CBOR_HTTP_ACTION_REQUEST = "b9000164617267738105";

    /** Line 136: HttpActionResponse{17}. */
    static final String CBOR_HTTP_ACTION_RESPONSE = "a1666f757470757411";

    /** Line 155: HttpResponseError{actor, custom_code, user, boom, {a:1}}, short generation. */
    static final String CBOR_HTTP_RESPONSE_ERROR =
            "a5656163746f72a3676163746f724964781e6834717a37786665676a763278"
                    + "6f62326c646576316c32313678616c30306a67656e65726174696f6e01636b657966726f6f6d2d3164636f64656b637573746f"
                    + "6d5f636f64656567726f75706475736572676d65737361676564626f6f6d686d65746164617461a1616101";

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private Captured() {}

    static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex);
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A user value written as JSON, for expected values. */
    static JsonNode json(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(json, e);
        }
    }
}
