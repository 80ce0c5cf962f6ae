package dev.rivetkitjava.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class OrderedSenderTest {
    /** A WebSocket whose sends complete only when the test says so, as a slow network would. */
    static class SlowSocket implements WebSocket {
        final List<String> started = new ArrayList<>();
        final List<CompletableFuture<WebSocket>> sends = new ArrayList<>();

        private synchronized CompletableFuture<WebSocket> start(String what) {
            started.add(what);
            CompletableFuture<WebSocket> done = new CompletableFuture<>();
            sends.add(done);
            return done;
        }

        @Override
        public CompletableFuture<WebSocket> sendText(CharSequence data, boolean last) {
            return start("text " + data);
        }

        @Override
        public CompletableFuture<WebSocket> sendBinary(ByteBuffer data, boolean last) {
            return start("binary " + data.remaining());
        }

        @Override
        public CompletableFuture<WebSocket> sendPing(ByteBuffer message) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<WebSocket> sendPong(ByteBuffer message) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<WebSocket> sendClose(int statusCode, String reason) {
            return start("close " + statusCode + " " + reason);
        }

        @Override
        public void request(long n) {}

        @Override
        public String getSubprotocol() {
            return "rivet";
        }

        @Override
        public boolean isOutputClosed() {
            return false;
        }

        @Override
        public boolean isInputClosed() {
            return false;
        }

        @Override
        public void abort() {}
    }

    @Test
    void eachSendWaitsForTheOneBeforeItEvenAFailedOne() {
        SlowSocket socket = new SlowSocket();
        OrderedSender sender = new OrderedSender(socket, Encoding.JSON);
        CompletableFuture<WebSocket> first =
                sender.send("{\"a\":1}".getBytes(StandardCharsets.UTF_8));
        CompletableFuture<WebSocket> second = sender.send("ü".getBytes(StandardCharsets.UTF_8));
        CompletableFuture<WebSocket> close = sender.close(1000, "Disposed");
        assertThat(socket.started).containsExactly("text {\"a\":1}");

        socket.sends.get(0).completeExceptionally(new IllegalStateException("lost"));
        assertThat(first).isCompletedExceptionally();
        assertThat(socket.started).containsExactly("text {\"a\":1}", "text ü");
        socket.sends.get(1).complete(socket);
        assertThat(second).isCompletedWithValue(socket);
        assertThat(socket.started).endsWith("close 1000 Disposed");
        assertThat(close).isNotDone();
        socket.sends.get(2).complete(socket);
        assertThat(close).isCompleted();
        assertThat(sender.socket()).isSameAs(socket);
    }

    @Test
    void binaryEncodingsSendBinaryFrames() {
        SlowSocket socket = new SlowSocket();
        new OrderedSender(socket, Encoding.BARE).send(new byte[] {1, 2, 3});
        new OrderedSender(socket, Encoding.CBOR).send(new byte[] {1});
        assertThat(socket.started).containsExactly("binary 3", "binary 1");
    }
}
