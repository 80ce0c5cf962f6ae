package dev.rivetkitjava.protocol;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * The two URL encodings of the wire contract, as JavaScript's {@code URLSearchParams} and {@code
 * encodeURIComponent} write them.
 */
public final class UrlText {
    private UrlText() {}

    /**
     * As JavaScript's {@code URLSearchParams}: spaces as {@code +}, everything but {@code *-._} and
     * alphanumerics escaped.
     */
    public static String form(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /**
     * Percent-encodes all but {@code *-._} and alphanumerics (a space as {@code %20}): what
     * JavaScript's {@code decodeURIComponent} reverses, and made only of characters a WebSocket
     * subprotocol or a path segment may hold.
     */
    public static String component(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * Reverses {@link #form} (and {@link #component}): {@code +} is a space.
     *
     * @throws IllegalArgumentException on bad percent-encoding
     */
    public static String decode(String value) {
        return URLDecoder.decode(value, StandardCharsets.UTF_8);
    }

    /**
     * A path segment: percent-decoding only ({@code +} stays a plus, unlike in a query).
     *
     * @throws IllegalArgumentException on bad percent-encoding
     */
    public static String decodePath(String segment) {
        return decode(segment.replace("+", "%2B"));
    }
}
