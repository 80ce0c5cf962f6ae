package dev.rivetkitjava.sandboxagent;

import com.fasterxml.jackson.databind.JsonNode;
import org.jspecify.annotations.Nullable;

/**
 * 401 {@code token_invalid}: the server wants {@code Authorization: Bearer <token>} and the token
 * was missing or wrong.
 */
public final class AuthenticationException extends HttpProblemException {

    public AuthenticationException(
            String message,
            @Nullable String type,
            @Nullable String title,
            @Nullable String detail,
            @Nullable JsonNode problem) {
        super(message, 401, type, title, detail, problem);
    }
}
