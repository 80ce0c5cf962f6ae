package dev.rivetkitjava.actor;

/**
 * Whether the runtime can save what it is given: {@code ok} unless some actor's state saves are
 * failing or the last store write failed, with a short reason then.
 */
public record RuntimeHealth(boolean ok, String reason) {
    public static final RuntimeHealth OK = new RuntimeHealth(true, "ok");

    public static RuntimeHealth failing(String reason) {
        return new RuntimeHealth(false, reason);
    }
}
