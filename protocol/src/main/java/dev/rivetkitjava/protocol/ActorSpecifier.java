package dev.rivetkitjava.protocol;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Which actor an error came from, so the client can tell a stale actor id from a live one.
 *
 * @param key the serialized key ({@code room-1}), or null for an actor without a key
 */
public record ActorSpecifier(String actorId, long generation, @Nullable String key) {
    public ActorSpecifier {
        Objects.requireNonNull(actorId, "actorId");
        Checks.unsigned(generation, "generation");
    }
}
