package dev.rivetkitjava.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;
import java.util.function.Function;

/**
 * Encodes and decodes the messages of RivetKit's client protocol (v4) in the three encodings the
 * official JS client speaks. User values ({@code args}, {@code output}, {@code metadata}) are plain
 * Jackson trees in their revived form: a JavaScript bigint is a {@code BigIntegerNode}, a {@code
 * Uint8Array} a {@code BinaryNode}, {@code undefined} a {@code NullNode}.
 *
 * <p>Every decoder throws {@link ProtocolException}, and nothing else, on malformed input. Encoders
 * throw it only for a user value Jackson cannot write, such as one nested more than 1000 levels
 * deep.
 */
public final class ClientProtocol {
    private ClientProtocol() {}

    public static byte[] encode(Encoding e, ToClient m) {
        return encode(e, m, BareCodec::encode, EnvelopeCodec::of);
    }

    public static ToClient decodeToClient(Encoding e, byte[] data) {
        return decode(e, data, "ToClient", BareCodec::decodeToClient, EnvelopeCodec::toClient);
    }

    public static byte[] encode(Encoding e, ToServer m) {
        return encode(e, m, BareCodec::encode, EnvelopeCodec::of);
    }

    public static ToServer decodeToServer(Encoding e, byte[] data) {
        return decode(e, data, "ToServer", BareCodec::decodeToServer, EnvelopeCodec::toServer);
    }

    public static byte[] encode(Encoding e, HttpActionRequest m) {
        return encode(e, m, BareCodec::encode, EnvelopeCodec::of);
    }

    public static HttpActionRequest decodeHttpActionRequest(Encoding e, byte[] data) {
        return decode(
                e,
                data,
                "HttpActionRequest",
                BareCodec::decodeHttpActionRequest,
                EnvelopeCodec::toHttpActionRequest);
    }

    public static byte[] encode(Encoding e, HttpActionResponse m) {
        return encode(e, m, BareCodec::encode, EnvelopeCodec::of);
    }

    public static HttpActionResponse decodeHttpActionResponse(Encoding e, byte[] data) {
        return decode(
                e,
                data,
                "HttpActionResponse",
                BareCodec::decodeHttpActionResponse,
                EnvelopeCodec::toHttpActionResponse);
    }

    public static byte[] encode(Encoding e, HttpResponseError m) {
        return encode(e, m, BareCodec::encode, EnvelopeCodec::of);
    }

    public static HttpResponseError decodeHttpResponseError(Encoding e, byte[] data) {
        return decode(
                e,
                data,
                "HttpResponseError",
                BareCodec::decodeHttpResponseError,
                EnvelopeCodec::toHttpResponseError);
    }

    /**
     * A user value in its wire form (the JSON-compat layer applied), ready for any JSON or CBOR
     * writer: {@code revived} itself when that needs no change (so modify neither afterwards).
     */
    public static JsonNode toWireValue(JsonNode revived) {
        return JsonCompat.toWire(revived);
    }

    /**
     * The user value a wire value stands for; a malformed JSON-compat tag is a ProtocolException.
     */
    public static JsonNode reviveWireValue(JsonNode wire) {
        return JsonCompat.revive(Objects.requireNonNull(wire, "wire"), "value");
    }

    /**
     * A user value as the client CBOR-encodes it on its own, e.g. the actor input in {@code
     * rvt-input} (after base64url) or in {@code PUT /actors} (after base64).
     */
    public static byte[] encodeCborValue(JsonNode revived) {
        return Values.write(Values.CBOR, JsonCompat.toWire(revived));
    }

    /**
     * Decodes one CBOR user value, e.g. an actor input, with the same limits as the message
     * decoders.
     */
    public static JsonNode decodeCborValue(byte[] cbor) {
        return JsonCompat.revive(
                Values.read(Values.CBOR, Objects.requireNonNull(cbor, "cbor"), "cbor value"),
                "cbor value");
    }

    private static <T> byte[] encode(
            Encoding e, T message, Function<T, byte[]> bare, Function<T, Envelope> envelope) {
        Objects.requireNonNull(message, "message");
        return switch (Objects.requireNonNull(e, "encoding")) {
            case BARE -> bare.apply(message);
            case JSON, CBOR -> EnvelopeWriter.write(e, envelope.apply(message));
        };
    }

    private static <T> T decode(
            Encoding e,
            byte[] data,
            String type,
            Function<byte[], T> bare,
            Function<Located, T> fromTree) {
        Objects.requireNonNull(data, "data");
        if (e == Encoding.BARE) {
            return bare.apply(data);
        }
        String where = e.wireName() + " " + type;
        return fromTree.apply(
                Located.root(
                        Values.read(e == Encoding.JSON ? Values.JSON : Values.CBOR, data, where),
                        where));
    }
}
