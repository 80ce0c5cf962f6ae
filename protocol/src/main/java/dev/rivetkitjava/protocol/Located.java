package dev.rivetkitjava.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import java.math.BigInteger;
import java.util.Locale;

/**
 * A value inside a decoded JSON or CBOR message together with where it sits, so that reading a
 * field that is missing or of the wrong type fails with a ProtocolException saying which one.
 *
 * @param value null when the field is absent
 * @param where the encoding and message type, e.g. {@code json ToServer}
 * @param path the field path inside the message, e.g. {@code body.val.id}; empty for the message
 *     itself
 */
record Located(JsonNode value, String where, String path) {
    static Located root(JsonNode value, String where) {
        return new Located(value, where, "");
    }

    Located field(String name) {
        if (value == null || !value.isObject()) {
            throw expected("an object");
        }
        return new Located(value.get(name), where, path.isEmpty() ? name : path + "." + name);
    }

    /** Absent and null are the same to the client's schema for every optional field. */
    boolean isNull() {
        return value == null || value.isNull();
    }

    String text() {
        if (value == null || !value.isTextual()) {
            throw expected("a string");
        }
        return value.textValue();
    }

    boolean bool() {
        if (value == null || !value.isBoolean()) {
            throw expected("a boolean");
        }
        return value.booleanValue();
    }

    /**
     * A protocol integer: a plain integer of any width, or the client's {@code ["$BigInt", "<n>"]}.
     */
    long uint() {
        JsonNode n =
                value != null && value.isArray() ? JsonCompat.revive(value, location()) : value;
        if (n == null || !n.isIntegralNumber()) {
            throw expected("an unsigned integer");
        }
        BigInteger big = n.bigIntegerValue();
        if (big.signum() < 0 || big.bitLength() > 63) {
            throw error("integer " + Quote.of(big) + " is outside 0 to 2^63-1");
        }
        return big.longValue();
    }

    /** A user value, revived from its JSON-compat form; absent reads as null. */
    JsonNode user() {
        return value == null ? NullNode.getInstance() : JsonCompat.revive(value, location());
    }

    ProtocolException error(String what) {
        return new ProtocolException(location() + ": " + what);
    }

    static String typeOf(JsonNode value) {
        return value == null ? "nothing" : value.getNodeType().name().toLowerCase(Locale.ROOT);
    }

    private ProtocolException expected(String what) {
        return error("expected " + what + ", found " + typeOf(value));
    }

    private String location() {
        return path.isEmpty() ? where : where + ", " + path;
    }
}
