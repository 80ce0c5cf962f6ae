package dev.rivetkitjava.actor;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An error with RivetKit's shape: a {@code group}, a {@code code}, a human message and optional
 * metadata.
 *
 * <p>Errors the runtime raises have group {@code actor} (for example {@code actor.not_found},
 * {@code actor.action_not_found}); a {@link UserError} thrown by actor code has group {@code user};
 * anything else thrown by actor code reaches callers as {@code rivetkit.internal_error} with its
 * detail only in the log.
 */
public class ActorError extends RuntimeException {
    private final String group;
    private final String code;
    private final String message;
    private final Map<String, Object> metadata;

    public ActorError(String group, String code, String message) {
        this(group, code, message, Map.of(), null);
    }

    public ActorError(
            String group,
            String code,
            String message,
            @Nullable Map<String, Object> metadata,
            @Nullable Throwable cause) {
        super(message, cause);
        this.group = group;
        this.code = code;
        this.message = message;
        this.metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }

    /**
     * The human message, as {@link #getMessage()} but typed non-null: every constructor takes one.
     */
    public String message() {
        return message;
    }

    public String group() {
        return group;
    }

    public String code() {
        return code;
    }

    public Map<String, Object> metadata() {
        return metadata;
    }

    /**
     * {@code group.code}, the form RivetKit uses in close reasons and the {@code x-rivet-error}
     * header.
     */
    public String qualifiedCode() {
        return group + "." + code;
    }

    @Override
    public String toString() {
        return qualifiedCode() + ": " + getMessage() + (metadata.isEmpty() ? "" : " " + metadata);
    }
}
