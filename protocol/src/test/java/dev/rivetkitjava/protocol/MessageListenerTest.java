package dev.rivetkitjava.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MessageListenerTest {
    static final class CountingSocket extends OrderedSenderTest.SlowSocket {
        long requested;

        @Override
        public void request(long n) {
            requested += n;
        }
    }

    static final class Recorder extends MessageListener {
        final List<String> seen = new ArrayList<>();

        Recorder(int maxBytes) {
            super(maxBytes);
        }

        @Override
        protected void onMessage(WebSocket webSocket, byte[] message, boolean text) {
            seen.add((text ? "text " : "binary ") + new String(message, StandardCharsets.UTF_8));
        }

        @Override
        protected void onTooLarge(WebSocket webSocket, ProtocolException error) {
            seen.add("too large");
        }
    }

    @Test
    void wholeMessagesComeOutAndEachPartAsksForTheNext() {
        CountingSocket socket = new CountingSocket();
        Recorder listener = new Recorder(8);
        listener.onText(socket, "{\"a\"", false);
        listener.onText(socket, ":1}", true);
        listener.onBinary(socket, ByteBuffer.wrap("ab".getBytes(StandardCharsets.UTF_8)), false);
        listener.onBinary(socket, ByteBuffer.wrap("c".getBytes(StandardCharsets.UTF_8)), true);
        assertThat(listener.seen).containsExactly("text {\"a\":1}", "binary abc");
        assertThat(socket.requested).isEqualTo(4);

        listener.onBinary(socket, ByteBuffer.wrap(new byte[9]), true);
        assertThat(listener.seen).last().isEqualTo("too large");
        assertThat(socket.requested).as("no next part after a refused message").isEqualTo(4);
    }
}
