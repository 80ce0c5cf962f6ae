package dev.rivetkitjava.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class FrameAssemblerTest {
    @Test
    void wholeMessagesPassThrough() {
        FrameAssembler frames = new FrameAssembler();
        assertThat(frames.text("{\"a\":1}", true))
                .isEqualTo("{\"a\":1}".getBytes(StandardCharsets.UTF_8));
        assertThat(frames.binary(ByteBuffer.wrap(new byte[] {1, 2, 3}), true))
                .containsExactly(1, 2, 3);
    }

    @Test
    void partsAreJoinedAndTheNextMessageStartsAfresh() {
        FrameAssembler frames = new FrameAssembler();
        assertThat(frames.text("ünï", false)).isNull();
        // A surrogate pair split between two parts is whole again in the message's UTF-8.
        String emoji = "🎉";
        assertThat(frames.text("code " + emoji.charAt(0), false)).isNull();
        assertThat(frames.text(emoji.substring(1), true))
                .isEqualTo("ünïcode 🎉".getBytes(StandardCharsets.UTF_8));
        assertThat(frames.text("next", true)).isEqualTo("next".getBytes(StandardCharsets.UTF_8));

        assertThat(frames.binary(ByteBuffer.wrap(new byte[] {1, 2}), false)).isNull();
        assertThat(frames.binary(ByteBuffer.wrap(new byte[] {3}), false)).isNull();
        assertThat(frames.binary(ByteBuffer.wrap(new byte[] {4}), true))
                .containsExactly(1, 2, 3, 4);
        assertThat(frames.binary(ByteBuffer.wrap(new byte[] {5}), true)).containsExactly(5);
    }

    @Test
    void aMessageOverTheBoundIsRefusedAndForgotten() {
        FrameAssembler frames = new FrameAssembler(4);
        assertThat(frames.binary(ByteBuffer.wrap(new byte[] {1, 2, 3}), false)).isNull();
        ByteBuffer rest = ByteBuffer.wrap(new byte[] {4, 5});
        assertThatThrownBy(() -> frames.binary(rest, false))
                .isInstanceOf(ProtocolException.class)
                .hasMessage(
                        "websocket: a binary message of at least 5 bytes is larger than the bound of 4 bytes");
        assertThat(rest.hasRemaining()).isFalse();
        assertThat(frames.binary(ByteBuffer.wrap(new byte[] {9, 9, 9, 9}), true)).hasSize(4);

        assertThatThrownBy(() -> frames.text("abcde", true)).isInstanceOf(ProtocolException.class);
        assertThat(frames.text("abc", false)).isNull();
        assertThatThrownBy(() -> frames.text("de", true)).isInstanceOf(ProtocolException.class);
        // Four chars, but more than four bytes of UTF-8.
        assertThatThrownBy(() -> frames.text("üüü", true))
                .hasMessage(
                        "websocket: a text message of at least 6 bytes is larger than the bound of 4 bytes");
        assertThat(frames.text("abcd", true)).hasSize(4);
        assertThat(frames.maxBytes()).isEqualTo(4);
        assertThatThrownBy(() -> new FrameAssembler(0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
