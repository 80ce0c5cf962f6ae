package dev.rivetkitjava.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class EncodingTest {
    @Test
    void wireNamesRoundTrip() {
        assertThat(Encoding.JSON.wireName()).isEqualTo("json");
        assertThat(Encoding.CBOR.wireName()).isEqualTo("cbor");
        assertThat(Encoding.BARE.wireName()).isEqualTo("bare");
        for (Encoding e : Encoding.values()) {
            assertThat(Encoding.fromWireName(e.wireName())).isEqualTo(e);
        }
    }

    @Test
    void unknownNamesAreProtocolErrors() {
        assertThatThrownBy(() -> Encoding.fromWireName("msgpack"))
                .isInstanceOf(ProtocolException.class)
                .hasMessage(
                        "encoding: unsupported encoding \"msgpack\" (expected json, cbor or bare)");
        assertThatThrownBy(() -> Encoding.fromWireName("JSON"))
                .isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> Encoding.fromWireName(null))
                .isInstanceOf(ProtocolException.class)
                .hasMessage("encoding: unsupported encoding null (expected json, cbor or bare)");
    }

    @Test
    void contentTypesAndFrameKinds() {
        assertThat(Encoding.JSON.contentType()).isEqualTo("application/json");
        assertThat(Encoding.CBOR.contentType()).isEqualTo("application/octet-stream");
        assertThat(Encoding.BARE.contentType()).isEqualTo("application/octet-stream");
        assertThat(Encoding.JSON.binary()).isFalse();
        assertThat(Encoding.CBOR.binary()).isTrue();
        assertThat(Encoding.BARE.binary()).isTrue();
    }
}
