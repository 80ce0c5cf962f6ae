package dev.rivetkitjava.protocol;

import java.util.Locale;

/**
 * How a client encodes its messages, chosen per request by the {@code x-rivet-encoding} header or
 * the {@code rivet_encoding.*} WebSocket subprotocol.
 */
public enum Encoding {
    JSON,
    CBOR,
    BARE;

    private final String wireName =
            name().toLowerCase(Locale.ROOT); // asked for on every message decoded

    /** The name on the wire: {@code json}, {@code cbor} or {@code bare}. */
    public String wireName() {
        return wireName;
    }

    /** The encoding with this wire name; exact match, as the client's own check is. */
    public static Encoding fromWireName(String s) {
        for (Encoding e : values()) {
            if (e.wireName().equals(s)) {
                return e;
            }
        }
        throw new ProtocolException(
                "encoding: unsupported encoding " + Quote.of(s) + " (expected json, cbor or bare)");
    }

    public String contentType() {
        return this == JSON ? "application/json" : "application/octet-stream";
    }

    /** Whether messages travel in binary WebSocket frames; JSON travels in text frames. */
    public boolean binary() {
        return this != JSON;
    }
}
