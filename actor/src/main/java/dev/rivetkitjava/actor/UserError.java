package dev.rivetkitjava.actor;

import java.util.Map;

/** An error actor code throws on purpose: it reaches the caller as is, with group {@code user}. */
public class UserError extends ActorError {
    public UserError(String message) {
        this(message, "user_error", Map.of());
    }

    public UserError(String message, String code) {
        this(message, code, Map.of());
    }

    public UserError(String message, String code, Map<String, Object> metadata) {
        super("user", code, message, metadata, null);
    }
}
