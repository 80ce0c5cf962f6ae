package dev.rivetkitjava.protocol;

import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A java.net.http {@link WebSocket.Listener} that sees whole messages: the parts of {@code onText}
 * and {@code onBinary} go through a {@link FrameAssembler}, and {@link #onMessage} gets each
 * message once it is complete. After every part it calls {@link #next} (by default {@code
 * request(1)}, so parts flow one at a time); a message over the bound goes to {@link #onTooLarge}
 * instead, and then no next part is asked for.
 */
public abstract class MessageListener implements WebSocket.Listener {
    private final FrameAssembler frames;

    protected MessageListener() {
        this(FrameAssembler.DEFAULT_MAX_BYTES);
    }

    protected MessageListener(int maxBytes) {
        this.frames = new FrameAssembler(maxBytes);
    }

    /** A whole message: a text one as its UTF-8 bytes ({@code text} true), a binary one as is. */
    protected abstract void onMessage(WebSocket webSocket, byte[] message, boolean text);

    /**
     * A message grew past the bound; what came of it is dropped. Typically the socket is aborted.
     */
    protected abstract void onTooLarge(WebSocket webSocket, ProtocolException error);

    /** After each part: asks for the next one. Override for other flow control (or none). */
    protected void next(WebSocket webSocket) {
        webSocket.request(1);
    }

    @Override
    public final @Nullable CompletionStage<?> onText(
            WebSocket webSocket, CharSequence data, boolean last) {
        return part(webSocket, () -> frames.text(data, last), true);
    }

    @Override
    public final @Nullable CompletionStage<?> onBinary(
            WebSocket webSocket, ByteBuffer data, boolean last) {
        return part(webSocket, () -> frames.binary(data, last), false);
    }

    private @Nullable CompletionStage<?> part(
            WebSocket webSocket, Supplier<byte[]> assemble, boolean text) {
        byte[] message;
        try {
            message = assemble.get();
        } catch (ProtocolException e) {
            onTooLarge(webSocket, e);
            return null;
        }
        if (message != null) {
            onMessage(webSocket, message, text);
        }
        next(webSocket);
        return null;
    }
}
