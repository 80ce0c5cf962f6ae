package dev.rivetkitjava.actor;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One action call as it travels to an actor.
 *
 * @param idempotencyKey when set, a call repeated with the same key (after an unknown outcome, say)
 *     gets the first call's outcome instead of running again, while the actor stays awake
 */
public record ActionCall(String name, List<Object> args, @Nullable String idempotencyKey) {
    public ActionCall {
        args = Collections.unmodifiableList(Arrays.asList(args.toArray()));
    }

    public static ActionCall of(String name, Object... args) {
        return new ActionCall(name, Arrays.asList(args), null);
    }

    public ActionCall withIdempotencyKey(@Nullable String key) {
        return new ActionCall(name, args, key);
    }
}
