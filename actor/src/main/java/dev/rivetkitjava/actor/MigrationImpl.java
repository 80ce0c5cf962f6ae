package dev.rivetkitjava.actor;

import com.fasterxml.jackson.databind.JsonNode;
import org.jspecify.annotations.Nullable;

/** The migration view handed to {@code onMigrate}. */
final class MigrationImpl implements Migration {
    private final boolean isNew;
    private final int fromVersion;
    private final int toVersion;
    private @Nullable JsonNode state;
    private boolean replaced;

    MigrationImpl(boolean isNew, int fromVersion, int toVersion, @Nullable JsonNode state) {
        this.isNew = isNew;
        this.fromVersion = fromVersion;
        this.toVersion = toVersion;
        this.state = state;
    }

    @Override
    public boolean isNew() {
        return isNew;
    }

    @Override
    public int fromVersion() {
        return fromVersion;
    }

    @Override
    public int toVersion() {
        return toVersion;
    }

    @Override
    public @Nullable JsonNode state() {
        return state;
    }

    /** Whether {@code onMigrate} replaced the stored state (then it is saved again). */
    boolean replaced() {
        return replaced;
    }

    @Override
    public void replaceState(JsonNode upgraded) {
        if (isNew) {
            throw new IllegalStateException(
                    "a new actor has no stored state to replace; use createState");
        }
        this.state = upgraded;
        this.replaced = true;
    }
}
