package dev.rivetkitjava.actor.store;

import dev.rivetkitjava.actor.ActorKey;
import org.jspecify.annotations.Nullable;

/**
 * What {@link ActorStore#insertIfAbsent} needs to create an actor; {@code input} is JSON or {@code
 * null}.
 */
public record NewActor(
        String id, String name, ActorKey key, long createdAtMillis, byte @Nullable [] input) {}
