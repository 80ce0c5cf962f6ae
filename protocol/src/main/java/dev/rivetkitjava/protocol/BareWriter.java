package dev.rivetkitjava.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Writes one BARE message behind its 2-byte little-endian version prefix. */
final class BareWriter {
    private static final byte[] REPLACEMENT_CHARACTER = "\uFFFD".getBytes(StandardCharsets.UTF_8);

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    BareWriter(int version) {
        out.write(version & 0xff);
        out.write(version >>> 8);
    }

    /** Unsigned LEB128. */
    void uint(long value) {
        while ((value & ~0x7fL) != 0) {
            out.write((int) (value & 0x7f) | 0x80);
            value >>>= 7;
        }
        out.write((int) value);
    }

    void str(String s) {
        data(utf8(s));
    }

    void data(byte[] bytes) {
        uint(bytes.length);
        out.writeBytes(bytes);
    }

    void bool(boolean b) {
        out.write(b ? 1 : 0);
    }

    /**
     * Writes the presence flag of an {@code optional<T>} and returns it, so the caller writes the
     * value only if present.
     */
    boolean optional(boolean present) {
        bool(present);
        return present;
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }

    /**
     * UTF-8 with each lone surrogate (legal in a JS string, so in JSON, but not in UTF-8) written
     * as U+FFFD, as the client's TextEncoder does; {@code String.getBytes} would write {@code ?}.
     */
    static byte[] utf8(String s) {
        try {
            ByteBuffer bytes =
                    StandardCharsets.UTF_8
                            .newEncoder()
                            .onMalformedInput(CodingErrorAction.REPLACE)
                            .replaceWith(REPLACEMENT_CHARACTER)
                            .encode(CharBuffer.wrap(s));
            return Arrays.copyOf(bytes.array(), bytes.limit());
        } catch (CharacterCodingException e) {
            throw new IllegalStateException("UTF-8 encoding with replacement cannot fail", e);
        }
    }
}
