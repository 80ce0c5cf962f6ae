package dev.rivetkitjava.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads one versioned BARE message as strictly as the client's own decoder: every rule broken is a
 * ProtocolException that names the byte offset.
 */
final class BareReader {
    /** A uint above this many bytes does not fit a Java long (9 × 7 = 63 bits). */
    private static final int MAX_UINT_BYTES = 9;

    private final byte[] data;
    private final String where;
    private int pos;

    /**
     * Reads the 2-byte little-endian version prefix; versions from {@code oldestVersion} to the
     * current one lay this message out identically, so they are read the same way.
     */
    BareReader(byte[] data, String where, int oldestVersion) {
        this.data = data;
        this.where = where;
        if (data.length < 2) {
            throw error(
                    0, "missing the 2-byte version prefix (input has " + data.length + " byte(s))");
        }
        int version = (data[0] & 0xff) | (data[1] & 0xff) << 8;
        if (version < oldestVersion || version > BareCodec.VERSION) {
            String supported =
                    oldestVersion == BareCodec.VERSION
                            ? String.valueOf(oldestVersion)
                            : oldestVersion + " to " + BareCodec.VERSION;
            throw error(
                    0,
                    "unsupported protocol version " + version + " (supported: " + supported + ")");
        }
        pos = 2;
    }

    long uint(String field) {
        int start = pos;
        long value = 0;
        for (int i = 0; ; i++) {
            if (i == MAX_UINT_BYTES) {
                throw error(start, field + ": uint does not fit in 63 bits");
            }
            need(1, field);
            int b = data[pos++] & 0xff;
            value |= (long) (b & 0x7f) << (7 * i);
            if ((b & 0x80) == 0) {
                if (b == 0 && i > 0) {
                    throw error(
                            start,
                            field + ": uint has a needless trailing zero byte (non-canonical)");
                }
                return value;
            }
        }
    }

    /** A union's tag, which must name one of its {@code count} members. */
    int tag(String union, int count) {
        int start = pos;
        long tag = uint(union + " tag");
        if (tag >= count) {
            throw error(
                    start,
                    "unknown " + union + " tag " + tag + " (expected 0 to " + (count - 1) + ")");
        }
        return (int) tag;
    }

    String str(String field) {
        int start = pos;
        int length = length(field);
        try {
            String s =
                    StandardCharsets.UTF_8
                            .newDecoder()
                            .decode(ByteBuffer.wrap(data, pos, length))
                            .toString();
            pos += length;
            return s;
        } catch (CharacterCodingException e) {
            throw error(start, field + ": invalid UTF-8 in str");
        }
    }

    byte[] data(String field) {
        int length = length(field);
        pos += length;
        return Arrays.copyOfRange(data, pos - length, pos);
    }

    /** A {@code data} field that holds one CBOR-encoded user value. */
    JsonNode value(String field) {
        String at = where + ", byte " + pos + ", " + field;
        return JsonCompat.revive(Values.read(Values.CBOR, data(field), at), at);
    }

    boolean bool(String field) {
        return flag(field, "bool");
    }

    /** The presence flag of an {@code optional<T>}; the value follows when it is true. */
    boolean optional(String field) {
        return flag(field, "optional flag");
    }

    /** The message must use up the input exactly, as the client's decoder demands. */
    void end() {
        if (pos != data.length) {
            throw error(pos, (data.length - pos) + " trailing byte(s) after the message");
        }
    }

    private boolean flag(String field, String kind) {
        need(1, field);
        int b = data[pos] & 0xff;
        if (b > 1) {
            throw error(pos, field + ": " + kind + " must be 0 or 1, found " + b);
        }
        pos++;
        return b == 1;
    }

    private int length(String field) {
        int start = pos;
        long length = uint(field + " length");
        if (length > data.length - pos) {
            throw error(
                    start,
                    field
                            + ": length "
                            + length
                            + " exceeds the "
                            + (data.length - pos)
                            + " remaining byte(s)");
        }
        return (int) length;
    }

    private void need(int bytes, String field) {
        if (data.length - pos < bytes) {
            throw error(pos, field + ": truncated input (input ends at byte " + data.length + ")");
        }
    }

    private ProtocolException error(int offset, String what) {
        return new ProtocolException(where + ", byte " + offset + ": " + what);
    }
}
