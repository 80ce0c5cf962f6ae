package dev.rivetkitjava.actor;

import com.fasterxml.jackson.databind.JsonNode;
import org.jspecify.annotations.Nullable;

/**
 * What {@code onMigrate} sees: the stored state as JSON and the version that wrote it, before it is
 * read as the state type. Replace the JSON to upgrade old state.
 */
public interface Migration {

    /** True when the actor is being created (there is no stored state yet). */
    boolean isNew();

    /** The state version that wrote the stored state ({@code 0} for new actors). */
    int fromVersion();

    /** The actor type's current state version. */
    int toVersion();

    /** The stored state; {@code null} when new. */
    @Nullable JsonNode state();

    void replaceState(JsonNode upgraded);
}
