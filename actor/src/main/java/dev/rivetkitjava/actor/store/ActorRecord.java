package dev.rivetkitjava.actor.store;

import dev.rivetkitjava.actor.ActorKey;
import org.jspecify.annotations.Nullable;

/**
 * One actor as stored.
 *
 * @param state the JSON state, or {@code null} while creation has not finished (creation then
 *     re-runs)
 * @param stateVersion the actor type's state version that wrote {@code state}, for {@code
 *     onMigrate}
 * @param generation bumped by every {@link ActorStore#claim claim}: the epoch that fences stale
 *     writers
 */
public record ActorRecord(
        String id,
        String name,
        ActorKey key,
        long createdAtMillis,
        byte @Nullable [] input,
        byte @Nullable [] state,
        int stateVersion,
        long generation) {

    public boolean initialized() {
        return state != null;
    }
}
