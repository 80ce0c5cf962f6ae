package dev.rivetkitjava.actor;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Per-action settings.
 *
 * @param timeout the action's timeout; null means the actor type's (or the registry's) default
 * @param repliesBeforeSave whether the reply leaves before the state the action changed is durable
 *     (saved within the save interval, 100 ms by default); by default a reply waits for that save
 */
public record ActionOptions(@Nullable Duration timeout, boolean repliesBeforeSave) {
    /** No limit: for actions that legitimately run for many minutes, such as an agent turn. */
    public static final Duration NO_TIMEOUT = Duration.ZERO;

    public ActionOptions {
        if (timeout != null && timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must not be negative");
        }
    }

    public ActionOptions(Duration timeout) {
        this(Objects.requireNonNull(timeout, "timeout"), false);
    }

    /** Options with this timeout; the reply waits for the save as by default. */
    public static ActionOptions withTimeout(Duration timeout) {
        return new ActionOptions(timeout);
    }

    public static ActionOptions noTimeout() {
        return new ActionOptions(NO_TIMEOUT);
    }

    /**
     * Replies as soon as the action returns, before what it changed is saved (within the save
     * interval): faster, but a crash in that window loses a change the caller saw acknowledged.
     */
    public static ActionOptions replyBeforeSave() {
        return new ActionOptions(null, true);
    }

    /** These options, replying before the save (see {@link #replyBeforeSave()}). */
    public ActionOptions andReplyBeforeSave() {
        return new ActionOptions(timeout, true);
    }
}
