package dev.rivetkitjava.benchmarks;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.rivetkitjava.protocol.ToClient;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * The load tool's shortcut for the frame it receives most: a BARE {@code Event} whose arguments are
 * one unsigned integer below 2^32 ({@code newCount(n)}), read in place. The full decoder runs
 * Jackson's CBOR parser on the arguments, which cost the tool a quarter of its CPU on the 2 cores
 * it shares with the server. Any other frame gives null and is decoded in full.
 */
final class BareEventPeek {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private BareEventPeek() {}

    static ToClient.@Nullable Event event(byte[] frame) {
        // Version 4 (u16, little-endian), then tag 3 (Event); lengths below 128 are one uvarint
        // byte.
        if (frame.length < 7 || frame[0] != 4 || frame[1] != 0 || frame[2] != 3 || frame[3] < 0) {
            return null;
        }
        int nameLength = frame[3];
        int at = 4 + nameLength;
        if (at + 3 > frame.length || frame[at] < 0 || at + 1 + frame[at] != frame.length) {
            return null;
        }
        // The arguments: CBOR [n], an array of one unsigned integer (major type 0).
        int args = at + 1;
        if (frame[args] != (byte) 0x81) {
            return null;
        }
        int head = frame[args + 1] & 0xff;
        int extra =
                switch (head) {
                    case 0x18 -> 1;
                    case 0x19 -> 2;
                    case 0x1a -> 4;
                    default -> head < 0x18 ? 0 : -1;
                };
        if (extra < 0 || args + 2 + extra != frame.length) {
            return null;
        }
        long value = extra == 0 ? head : 0;
        for (int i = 0; i < extra; i++) {
            value = value << 8 | (frame[args + 2 + i] & 0xff);
        }
        String name = new String(frame, 4, nameLength, StandardCharsets.UTF_8);
        return new ToClient.Event(name, NODES.arrayNode().add(value));
    }
}
