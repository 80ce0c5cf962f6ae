package dev.rivetkitjava.actor;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * An action's arguments as the caller sent them, converted on demand to the types the action reads.
 */
public final class ActionArgs {
    private final List<Object> values;
    private final Json json;

    ActionArgs(List<Object> values, Json json) {
        this.values = values;
        this.json = json;
    }

    public int size() {
        return values.size();
    }

    /**
     * Argument {@code index} as {@code type}; {@code null} when the caller sent fewer arguments.
     */
    public <T> @Nullable T get(int index, Class<T> type) {
        if (index >= values.size()) {
            return null;
        }
        return json.convert(values.get(index), type, "argument " + index);
    }
}
