package dev.rivetkitjava.actor;

import java.time.Duration;
import java.util.Objects;

/** Per-action settings. */
public record ActionOptions(Duration timeout) {
    /** No limit: for actions that legitimately run for many minutes, such as an agent turn. */
    public static final Duration NO_TIMEOUT = Duration.ZERO;

    public ActionOptions {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must not be negative");
        }
    }

    public static ActionOptions timeout(Duration timeout) {
        return new ActionOptions(timeout);
    }

    public static ActionOptions noTimeout() {
        return new ActionOptions(NO_TIMEOUT);
    }
}
