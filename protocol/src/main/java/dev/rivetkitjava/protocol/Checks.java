package dev.rivetkitjava.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import java.util.Objects;

/**
 * Argument checks of the message records: mistakes in our own code fail at construction, not on the
 * wire.
 */
final class Checks {
    private Checks() {}

    static void unsigned(long value, String name) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must not be negative: " + value);
        }
    }

    static void array(JsonNode args) {
        Objects.requireNonNull(args, "args");
        if (!args.isArray()) {
            throw new IllegalArgumentException(
                    "args must be a JSON array, was " + args.getNodeType());
        }
    }

    /** A user value of null is JSON null, as {@code undefined} results reach the client as null. */
    static JsonNode value(JsonNode value) {
        return value == null || value.isMissingNode() ? NullNode.getInstance() : value;
    }
}
