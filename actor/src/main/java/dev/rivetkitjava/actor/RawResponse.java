package dev.rivetkitjava.actor;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/** What an actor's {@code onRequest} answers. */
public record RawResponse(int status, Map<String, String> headers, byte[] body) {

    public static RawResponse of(int status, String contentType, String body) {
        return new RawResponse(
                status, Map.of("content-type", contentType), body.getBytes(StandardCharsets.UTF_8));
    }
}
