package dev.rivetkitjava.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * A JSON or CBOR message before it is written: the protocol's own structure, with user values as
 * leaves. Keeping protocol integers apart from user values is what lets ids come out in the one
 * form the client accepts.
 */
sealed interface Envelope {
    /**
     * An object whose fields are written in this order in CBOR; JSON sorts them (see {@link
     * EnvelopeWriter}).
     */
    record Obj(List<Field> fields) implements Envelope {
        Obj(Field... fields) {
            this(List.of(fields));
        }
    }

    record Field(String name, Envelope value) {}

    record Text(String value) implements Envelope {}

    /**
     * An integer the client validates as a JavaScript bigint: {@code ["$BigInt", "<n>"]} in JSON,
     * and in CBOR a 64-bit integer ({@code 0x1b} + 8 bytes), the only form cbor-x decodes to a
     * bigint.
     */
    record Id(long value) implements Envelope {}

    /**
     * A non-negative integer the client accepts as a plain number. {@code wideInCbor} writes it as
     * a 64-bit CBOR integer all the same, as the reference server does for the generation in
     * WebSocket errors, so that our frames are byte-identical to ones the client is known to
     * accept.
     */
    record Num(long value, boolean wideInCbor) implements Envelope {}

    record Bool(boolean value) implements Envelope {}

    record Null() implements Envelope {}

    /** A user value, JSON-compat encoded when written. */
    record User(JsonNode value) implements Envelope {}
}
