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
 * @param repeatOfLostRun with a key: a repeat sent because the activation that was running the call
 *     went silent (its node may have stopped mid-run). It gets the outcome the call left, if it
 *     left one; otherwise {@code actor.call_interrupted}, not a second run, since what the call did
 *     outside the actor (an agent's turn, say) may have happened
 */
public record ActionCall(
        String name, List<Object> args, @Nullable String idempotencyKey, boolean repeatOfLostRun) {
    public ActionCall {
        args = Collections.unmodifiableList(Arrays.asList(args.toArray()));
    }

    public ActionCall(String name, List<Object> args, @Nullable String idempotencyKey) {
        this(name, args, idempotencyKey, false);
    }

    public static ActionCall of(String name, Object... args) {
        return new ActionCall(name, Arrays.asList(args), null);
    }

    public ActionCall withIdempotencyKey(@Nullable String key) {
        return new ActionCall(name, args, key, repeatOfLostRun);
    }
}
