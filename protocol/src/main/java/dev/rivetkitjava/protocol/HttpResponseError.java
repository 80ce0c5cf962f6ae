package dev.rivetkitjava.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The body of a failed actor HTTP request.
 *
 * @param metadata null for none
 * @param actor null for none
 */
public record HttpResponseError(
        String group,
        String code,
        String message,
        @Nullable JsonNode metadata,
        @Nullable ActorSpecifier actor) {
    public HttpResponseError {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(message, "message");
    }
}
