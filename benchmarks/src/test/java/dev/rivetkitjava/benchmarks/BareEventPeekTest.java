package dev.rivetkitjava.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.rivetkitjava.protocol.ClientProtocol;
import dev.rivetkitjava.protocol.Encoding;
import dev.rivetkitjava.protocol.ToClient;
import org.junit.jupiter.api.Test;

class BareEventPeekTest {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private static byte[] bare(ToClient message) {
        return ClientProtocol.encode(Encoding.BARE, message);
    }

    @Test
    void readsWhatTheDecoderReadsForOneUnsignedIntegerOfAnySize() {
        for (long n :
                new long[] {
                    0, 23, 24, 255, 256, 65_535, 65_536, Integer.MAX_VALUE, 4_294_967_295L
                }) {
            byte[] frame = bare(new ToClient.Event("newCount", NODES.arrayNode().add(n)));
            ToClient.Event decoded =
                    (ToClient.Event) ClientProtocol.decodeToClient(Encoding.BARE, frame);
            ToClient.Event peeked = BareEventPeek.event(frame);
            assertThat(peeked).as("n = %d", n).isNotNull();
            assertThat(peeked.name()).isEqualTo(decoded.name());
            assertThat(peeked.args().get(0).asLong())
                    .isEqualTo(decoded.args().get(0).asLong())
                    .isEqualTo(n);
            assertThat(peeked.args()).hasSize(1);
        }
    }

    @Test
    void leavesEveryOtherFrameToTheDecoder() {
        assertThat(
                        BareEventPeek.event(
                                bare(new ToClient.Event("newCount", NODES.arrayNode().add(-1)))))
                .isNull();
        assertThat(
                        BareEventPeek.event(
                                bare(
                                        new ToClient.Event(
                                                "newCount", NODES.arrayNode().add(1L << 40)))))
                .isNull();
        assertThat(
                        BareEventPeek.event(
                                bare(
                                        new ToClient.Event(
                                                "newCount", NODES.arrayNode().add(1).add(2)))))
                .isNull();
        assertThat(
                        BareEventPeek.event(
                                bare(new ToClient.Event("newCount", NODES.arrayNode().add("7")))))
                .isNull();
        assertThat(BareEventPeek.event(bare(new ToClient.Event("newCount", NODES.arrayNode()))))
                .isNull();
        assertThat(BareEventPeek.event(bare(new ToClient.ActionResponse(3, NODES.numberNode(5)))))
                .isNull();
        assertThat(BareEventPeek.event(bare(new ToClient.Init("actor", "conn")))).isNull();
        assertThat(BareEventPeek.event(new byte[] {4, 0, 3})).isNull();
    }
}
