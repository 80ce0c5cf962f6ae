package dev.rivetkitjava.actor.spi;

import dev.rivetkitjava.actor.ActorKey;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How a caller names an actor; a {@link Placement} turns it into a running actor wherever that
 * actor lives.
 */
public sealed interface ActorQuery {

    /** An existing actor by id. */
    record ById(String actorId) implements ActorQuery {
        public ById {
            Objects.requireNonNull(actorId, "actorId");
        }
    }

    /** An existing actor by name and key. */
    record Get(String name, ActorKey key) implements ActorQuery {
        public Get {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(key, "key");
        }
    }

    /** The actor with this name and key, created with {@code input} if it does not exist. */
    record GetOrCreate(String name, ActorKey key, @Nullable Object input) implements ActorQuery {
        public GetOrCreate {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(key, "key");
        }
    }

    /**
     * A new actor; an existing one with this name and key is an {@code actor.duplicate_key} error.
     */
    record Create(String name, ActorKey key, @Nullable Object input) implements ActorQuery {
        public Create {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(key, "key");
        }
    }
}
