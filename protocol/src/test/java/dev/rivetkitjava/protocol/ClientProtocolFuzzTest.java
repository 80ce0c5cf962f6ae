package dev.rivetkitjava.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;
import java.util.function.BiFunction;

/**
 * Fuzz targets for the decoders that read what clients send. Whatever the bytes, nothing but a
 * ProtocolException may escape, and a message that decodes must survive being encoded and decoded
 * again (the second encoding equals the first).
 *
 * <p>A plain {@code mvn test} runs these in regression mode: once per seed in {@code
 * src/test/resources/dev/rivetkitjava/protocol/ClientProtocolFuzzTestInputs/<method>/} plus once
 * with empty input, in well under a second. To fuzz for real, one method at a time (a crashing
 * input is saved in that seed directory and so becomes a regression test; the corpus grows in
 * {@code protocol/.cifuzz-corpus/}):
 *
 * <pre>
 *   JAZZER_FUZZ=1 mvn -pl protocol test -Dtest=ClientProtocolFuzzTest#bareToServer -Djazzer.max_duration=10m
 * </pre>
 */
class ClientProtocolFuzzTest {
    @FuzzTest
    void bareToServer(byte[] data) {
        survives(Encoding.BARE, data, ClientProtocol::decodeToServer, ClientProtocol::encode);
    }

    @FuzzTest
    void jsonToServer(byte[] data) {
        survives(Encoding.JSON, data, ClientProtocol::decodeToServer, ClientProtocol::encode);
    }

    @FuzzTest
    void cborToServer(byte[] data) {
        survives(Encoding.CBOR, data, ClientProtocol::decodeToServer, ClientProtocol::encode);
    }

    /**
     * The first byte picks the encoding (0 BARE, 1 JSON, 2 CBOR, modulo 3); the rest is the request
     * body.
     */
    @FuzzTest
    void httpActionRequest(byte[] data) {
        Encoding encoding =
                data.length == 0
                        ? Encoding.BARE
                        : ENCODINGS[Byte.toUnsignedInt(data[0]) % ENCODINGS.length];
        byte[] body = data.length == 0 ? data : Arrays.copyOfRange(data, 1, data.length);
        survives(encoding, body, ClientProtocol::decodeHttpActionRequest, ClientProtocol::encode);
    }

    private static final Encoding[] ENCODINGS = {Encoding.BARE, Encoding.JSON, Encoding.CBOR};

    private static <T> void survives(
            Encoding encoding,
            byte[] data,
            BiFunction<Encoding, byte[], T> decode,
            BiFunction<Encoding, T, byte[]> encode) {
        T message;
        try {
            message = decode.apply(encoding, data);
        } catch (ProtocolException rejected) {
            return;
        }
        byte[] encoded = encode.apply(encoding, message);
        byte[] reencoded = encode.apply(encoding, decode.apply(encoding, encoded));
        assertThat(reencoded).as("%s re-encoded from %s", encoding, message).isEqualTo(encoded);
    }
}
