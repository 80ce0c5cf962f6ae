package dev.rivetkitjava.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The subprotocols pinned to the letter, as RivetKit 2.3.19's client sends them. */
class SubprotocolsTest {
    @Test
    void theClientsOfferInItsOrder() {
        assertThat(Subprotocols.builder(Encoding.CBOR).build())
                .containsExactly("rivet", "rivet_encoding.cbor");
        assertThat(
                        Subprotocols.builder(Encoding.JSON)
                                .connParams("{\"user\":\"a b\",\"n\":\"\\u00fc&\"}")
                                .token("s3cret.-_")
                                .build())
                .containsExactly(
                        "rivet",
                        "rivet_encoding.json",
                        "rivet_conn_params.%7B%22user%22%3A%22a%20b%22%2C%22n%22%3A%22%5Cu00fc%26%22%7D",
                        "rivet_token.s3cret.-_");
        assertThat(Subprotocols.builder(Encoding.BARE).actor("abc-1").build())
                .containsExactly(
                        "rivet", "rivet_target.actor", "rivet_actor.abc-1", "rivet_encoding.bare");
    }

    @Test
    void aTokenThatIsNoHttpTokenCannotBeOne() {
        assertThat(Subprotocols.isToken("abc.DEF_1-~")).isTrue();
        assertThat(Subprotocols.isToken("has space")).isFalse();
        assertThat(Subprotocols.isToken("a,b")).isFalse();
        assertThat(Subprotocols.isToken("ü")).isFalse();
        assertThat(Subprotocols.isToken("")).isFalse();
        assertThat(Subprotocols.isToken(null)).isFalse();
        assertThatThrownBy(() -> Subprotocols.builder(Encoding.JSON).token("a b"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theServerReadsWhatTheClientOffers() {
        List<String> offered =
                Subprotocols.builder(Encoding.BARE)
                        .connParams("{\"note\":\"spaces & + (ok)\"}")
                        .token("t0k")
                        .actor("id 1")
                        .build();
        assertThat(Subprotocols.parse(offered))
                .isEqualTo(
                        new Subprotocols.Offer(
                                "bare", "{\"note\":\"spaces & + (ok)\"}", "t0k", "id 1"));
        assertThat(Subprotocols.parse(List.of("rivet")))
                .isEqualTo(new Subprotocols.Offer("json", null, null, null));
        assertThat(Subprotocols.parse(List.of("rivet_encoding.msgpack", "other")).encodingName())
                .isEqualTo("msgpack");
        assertThatThrownBy(() -> Subprotocols.parse(List.of("rivet_conn_params.%E")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
