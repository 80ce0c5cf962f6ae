package dev.rivetkitjava.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rivetkitjava.protocol.Envelope.Bool;
import dev.rivetkitjava.protocol.Envelope.Field;
import dev.rivetkitjava.protocol.Envelope.Id;
import dev.rivetkitjava.protocol.Envelope.Null;
import dev.rivetkitjava.protocol.Envelope.Num;
import dev.rivetkitjava.protocol.Envelope.Obj;
import dev.rivetkitjava.protocol.Envelope.Text;
import dev.rivetkitjava.protocol.Envelope.User;
import java.io.ByteArrayOutputStream;
import java.util.Comparator;

/**
 * Writes an {@link Envelope} as JSON or CBOR. The CBOR envelope is written by hand because Jackson
 * always picks the shortest integer form and the client needs ids in the 64-bit one; user values
 * inside it are still Jackson's.
 */
final class EnvelopeWriter {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private EnvelopeWriter() {}

    static byte[] write(Encoding encoding, Envelope envelope) {
        if (encoding == Encoding.JSON) {
            return Values.write(Values.JSON, json(envelope));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        cbor(envelope, out);
        return out.toByteArray();
    }

    /**
     * Fields are sorted by name, as the reference server's JSON is (key order means nothing to the
     * client), so our frames match its captured ones byte for byte. User values keep their own
     * order.
     */
    private static JsonNode json(Envelope envelope) {
        return switch (envelope) {
            case Obj obj -> {
                ObjectNode out = NODES.objectNode();
                obj.fields().stream()
                        .sorted(Comparator.comparing(Field::name))
                        .forEach(field -> out.set(field.name(), json(field.value())));
                yield out;
            }
            case Text text -> NODES.textNode(text.value());
            case Id id -> NODES.arrayNode(2).add("$BigInt").add(Long.toString(id.value()));
            case Num num -> NODES.numberNode(num.value());
            case Bool bool -> NODES.booleanNode(bool.value());
            case Null ignored -> NODES.nullNode();
            case User user -> JsonCompat.toWire(user.value());
        };
    }

    private static void cbor(Envelope envelope, ByteArrayOutputStream out) {
        switch (envelope) {
            case Obj obj -> {
                head(out, 5, obj.fields().size());
                for (Field field : obj.fields()) {
                    text(out, field.name());
                    cbor(field.value(), out);
                }
            }
            case Text text -> text(out, text.value());
            case Id id -> wide(out, id.value());
            case Num num -> {
                if (num.wideInCbor()) {
                    wide(out, num.value());
                } else {
                    head(out, 0, num.value());
                }
            }
            case Bool bool -> out.write(bool.value() ? 0xf5 : 0xf4);
            case Null ignored -> out.write(0xf6);
            case User user ->
                    out.writeBytes(Values.write(Values.CBOR, JsonCompat.toWire(user.value())));
        }
    }

    private static void text(ByteArrayOutputStream out, String s) {
        byte[] utf8 = BareWriter.utf8(s);
        head(out, 3, utf8.length);
        out.writeBytes(utf8);
    }

    /** A CBOR item head in its shortest form, as every CBOR encoder writes it. */
    private static void head(ByteArrayOutputStream out, int major, long argument) {
        int type = major << 5;
        if (argument < 24) {
            out.write(type | (int) argument);
        } else if (argument < 0x100) {
            out.write(type | 24);
            out.write((int) argument);
        } else if (argument < 0x10000) {
            out.write(type | 25);
            writeBigEndian(out, argument, 2);
        } else if (argument < 0x1_0000_0000L) {
            out.write(type | 26);
            writeBigEndian(out, argument, 4);
        } else {
            out.write(type | 27);
            writeBigEndian(out, argument, 8);
        }
    }

    /** An unsigned integer with an 8-byte argument, even when it is small. */
    private static void wide(ByteArrayOutputStream out, long value) {
        out.write(27);
        writeBigEndian(out, value, 8);
    }

    private static void writeBigEndian(ByteArrayOutputStream out, long value, int bytes) {
        for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) {
            out.write((int) (value >>> shift) & 0xff);
        }
    }
}
