package dev.rivetkitjava.client;

import com.fasterxml.jackson.databind.JsonNode;
import org.jspecify.annotations.Nullable;

/**
 * A structured error from an actor, the server or the engine, with RivetKit's shape: {@code
 * user.custom_code}, {@code rivetkit.internal_error}, {@code actor.action_not_found}, {@code
 * actor.not_found}, {@code actor.duplicate_key}, {@code auth.forbidden}, …
 */
public class RivetError extends ClientError {
    private static final long serialVersionUID = 1L;

    private final String group;
    private final String code;
    private final String rawMessage;
    private final transient @Nullable JsonNode metadata;
    private final @Nullable String actorId;

    /**
     * @param metadata null for none
     * @param actorId the actor the error came from, or null when the server did not say
     */
    public RivetError(
            String group,
            String code,
            String message,
            @Nullable JsonNode metadata,
            @Nullable String actorId) {
        super(message + " (" + group + "." + code + ")");
        this.group = group;
        this.code = code;
        this.rawMessage = message;
        this.metadata =
                metadata == null || metadata.isNull() || metadata.isMissingNode() ? null : metadata;
        this.actorId = actorId;
    }

    /** {@code user}, {@code actor}, {@code rivetkit}, {@code guard}, {@code auth}, … */
    public String group() {
        return group;
    }

    /** The code within the group, e.g. {@code custom_code} or {@code not_found}. */
    public String code() {
        return code;
    }

    /** {@code group.code}, as in {@code x-rivet-error} and WebSocket close reasons. */
    public String qualifiedCode() {
        return group + "." + code;
    }

    /**
     * The message exactly as the server sent it ({@link #getMessage()} adds the qualified code).
     */
    public String message() {
        return rawMessage;
    }

    /**
     * The error's metadata, e.g. {@code {"a":1}} from a {@code UserError}; null when it has none.
     */
    public @Nullable JsonNode metadata() {
        return metadata;
    }

    /** The actor the error came from, or null when the server did not say (gateway errors). */
    public @Nullable String actorId() {
        return actorId;
    }
}
