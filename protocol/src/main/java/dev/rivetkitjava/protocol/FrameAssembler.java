package dev.rivetkitjava.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Joins the parts java.net.http hands a {@code WebSocket.Listener} ({@code onText} / {@code
 * onBinary} with {@code last == false}) into whole messages, refusing a message larger than its
 * bound. Text comes out as its UTF-8 bytes, which is what {@link ClientProtocol} decodes. One per
 * socket, fed from its listener (one callback at a time, as java.net.http calls them); not
 * thread-safe.
 */
public final class FrameAssembler {
    /**
     * The bound when none is given: far above any message the protocol sends, far below running out
     * of memory.
     */
    public static final int DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

    private final int maxBytes;
    private final StringBuilder text = new StringBuilder();
    private final ByteArrayOutputStream binary = new ByteArrayOutputStream();

    public FrameAssembler() {
        this(DEFAULT_MAX_BYTES);
    }

    /**
     * @param maxBytes the largest whole message accepted, in bytes (UTF-8 bytes for text)
     */
    public FrameAssembler(int maxBytes) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be positive: " + maxBytes);
        }
        this.maxBytes = maxBytes;
    }

    /**
     * A part of a text message: its UTF-8 bytes once {@code last}, else null.
     *
     * @throws ProtocolException when the message grows past the bound (what was gathered is
     *     dropped)
     */
    public byte @Nullable [] text(CharSequence part, boolean last) {
        if (last && text.isEmpty()) {
            return bounded(part.toString().getBytes(StandardCharsets.UTF_8));
        }
        text.append(part);
        // A char is at least one UTF-8 byte: more chars than the bound can only be too large.
        if (text.length() > maxBytes) {
            int length = text.length();
            text.setLength(0);
            throw tooLarge("text", length);
        }
        if (!last) {
            return null;
        }
        byte[] whole = text.toString().getBytes(StandardCharsets.UTF_8);
        text.setLength(0);
        return bounded(whole);
    }

    /**
     * A part of a binary message (read to its end): the whole message once {@code last}, else null.
     *
     * @throws ProtocolException when the message grows past the bound (what was gathered is
     *     dropped)
     */
    public byte @Nullable [] binary(ByteBuffer part, boolean last) {
        if ((long) binary.size() + part.remaining() > maxBytes) {
            long length = (long) binary.size() + part.remaining();
            binary.reset();
            part.position(part.limit());
            throw tooLarge("binary", length);
        }
        byte[] chunk = new byte[part.remaining()];
        part.get(chunk);
        if (last && binary.size() == 0) {
            return chunk;
        }
        binary.writeBytes(chunk);
        if (!last) {
            return null;
        }
        byte[] whole = binary.toByteArray();
        binary.reset();
        return whole;
    }

    /** The largest whole message accepted, in bytes. */
    public int maxBytes() {
        return maxBytes;
    }

    private byte[] bounded(byte[] whole) {
        if (whole.length > maxBytes) {
            throw tooLarge("text", whole.length);
        }
        return whole;
    }

    private ProtocolException tooLarge(String kind, long atLeast) {
        return new ProtocolException(
                "websocket: a "
                        + kind
                        + " message of at least "
                        + atLeast
                        + " bytes is larger than the bound of "
                        + maxBytes
                        + " bytes");
    }
}
