package dev.rivetkitjava.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.BinaryNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.util.Base64;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * RivetKit's JSON-compat layer for user values: JavaScript bigints, byte arrays, {@code undefined}
 * and sets travel as two-element arrays tagged with a {@code $}-string, and user arrays that look
 * like such a tag get one more {@code $}.
 */
final class JsonCompat {
    private static final String BIGINT = "$BigInt";
    private static final String UINT8_ARRAY = "$Uint8Array";
    private static final String ARRAY_BUFFER = "$ArrayBuffer";
    private static final String UNDEFINED = "$Undefined";
    private static final String SET = "$Set";

    /** BigInteger parsing is quadratic; Jackson caps numbers at 1000 digits for the same reason. */
    private static final Pattern BIGINT_DIGITS = Pattern.compile("-?[0-9]{1,1000}");

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private JsonCompat() {}

    static JsonNode toWire(JsonNode revived) {
        JsonNode value = Checks.value(revived);
        // Most values (an agent's events: objects, strings, small numbers) are their own wire form:
        // no copy then.
        return isWire(value) ? value : copyToWire(value);
    }

    /**
     * Whether {@link #copyToWire} would return an equal tree: nothing to tag, escape or narrow.
     * Allocates nothing.
     */
    private static boolean isWire(JsonNode value) {
        if (value instanceof BigIntegerNode
                || value instanceof BinaryNode
                || value.isMissingNode()
                || value.isLong() && outsideCborInt32(value.longValue())) {
            return false;
        }
        if (value.isArray()) {
            if (looksTagged(value)) {
                return false;
            }
            for (int i = 0; i < value.size(); i++) {
                if (!isWire(value.get(i))) {
                    return false;
                }
            }
        } else if (value.isObject()) {
            for (Map.Entry<String, JsonNode> field : value.properties()) {
                if (!isWire(field.getValue())) {
                    return false;
                }
            }
        }
        return true;
    }

    private static JsonNode copyToWire(JsonNode revived) {
        JsonNode value = Checks.value(revived);
        if (value instanceof BigIntegerNode big) {
            return tagged(BIGINT, NODES.textNode(big.bigIntegerValue().toString()));
        }
        if (value.isLong() && outsideCborInt32(value.longValue())) {
            // cbor-x reads every 64-bit CBOR integer as a bigint, and Jackson writes longs this
            // large in that form;
            // a Java long is a JS number, which cbor-x itself writes as a float64 (exact up to
            // 2^53).
            return NODES.numberNode((double) value.longValue());
        }
        if (value instanceof BinaryNode bytes) {
            return tagged(
                    UINT8_ARRAY,
                    NODES.textNode(Base64.getEncoder().encodeToString(bytes.binaryValue())));
        }
        if (value.isArray()) {
            ArrayNode out = NODES.arrayNode(value.size());
            value.forEach(element -> out.add(copyToWire(element)));
            if (looksTagged(out)) {
                out.set(0, "$" + out.get(0).textValue());
            }
            return out;
        }
        if (value.isObject()) {
            ObjectNode out = NODES.objectNode();
            for (Map.Entry<String, JsonNode> field : value.properties()) {
                out.set(field.getKey(), copyToWire(field.getValue()));
            }
            return out;
        }
        return value;
    }

    /**
     * The user value a wire value stands for; a malformed tag is a ProtocolException naming {@code
     * where}.
     */
    static JsonNode revive(JsonNode wire, String where) {
        if (wire.isArray()) {
            if (looksTagged(wire)) {
                return untag(wire.get(0).textValue(), wire.get(1), where);
            }
            return reviveElements(wire, where);
        }
        if (wire.isObject()) {
            ObjectNode out = NODES.objectNode();
            for (Map.Entry<String, JsonNode> field : wire.properties()) {
                out.set(field.getKey(), revive(field.getValue(), where));
            }
            return out;
        }
        return wire;
    }

    private static JsonNode untag(String tag, JsonNode value, String where) {
        return switch (tag) {
            case BIGINT -> BigIntegerNode.valueOf(bigInteger(value, where));
            case UINT8_ARRAY, ARRAY_BUFFER -> BinaryNode.valueOf(base64(tag, value, where));
            case UNDEFINED -> NullNode.getInstance();
            case SET -> {
                if (!value.isArray()) {
                    throw new ProtocolException(
                            where + ": " + SET + " needs an array, found " + Located.typeOf(value));
                }
                yield reviveElements(value, where);
            }
            default -> {
                if (!tag.startsWith("$$")) {
                    throw new ProtocolException(
                            where + ": unknown JSON-compat tag " + Quote.of(tag));
                }
                yield tagged(tag.substring(1), revive(value, where));
            }
        };
    }

    private static ArrayNode reviveElements(JsonNode array, String where) {
        ArrayNode out = NODES.arrayNode(array.size());
        array.forEach(element -> out.add(revive(element, where)));
        return out;
    }

    private static BigInteger bigInteger(JsonNode value, String where) {
        if (value.isIntegralNumber()) {
            return value.bigIntegerValue();
        }
        if (value.isTextual() && BIGINT_DIGITS.matcher(value.textValue()).matches()) {
            return new BigInteger(value.textValue());
        }
        throw new ProtocolException(
                where + ": " + BIGINT + " needs a decimal integer, found " + describe(value));
    }

    private static byte[] base64(String tag, JsonNode value, String where) {
        if (value.isTextual()) {
            try {
                return Base64.getDecoder().decode(value.textValue());
            } catch (IllegalArgumentException e) {
                throw new ProtocolException(
                        where + ": " + tag + " has invalid base64: " + e.getMessage(), e);
            }
        }
        throw new ProtocolException(
                where + ": " + tag + " needs a base64 string, found " + Located.typeOf(value));
    }

    /**
     * Whether CBOR needs more than a 32-bit argument for this integer: 0 ≤ v < 2^32, or -2^32 ≤ v <
     * 0.
     */
    private static boolean outsideCborInt32(long v) {
        return v >= 0x1_0000_0000L || v < -0x1_0000_0000L;
    }

    private static boolean looksTagged(JsonNode array) {
        return array.size() == 2
                && array.get(0).isTextual()
                && array.get(0).textValue().startsWith("$");
    }

    private static ArrayNode tagged(String tag, JsonNode value) {
        return NODES.arrayNode(2).add(tag).add(value);
    }

    private static String describe(JsonNode value) {
        return value.isTextual() ? Quote.of(value.textValue()) : Located.typeOf(value);
    }
}
