package dev.rivetkitjava.actor.store;

import java.util.Map;

/**
 * A state save, applied only while the stored generation still equals {@code generation}.
 *
 * @param kvPuts key-value entries written in the same transaction as the state, and only when it is (the outcomes of
 *               calls with idempotency keys, so a retry after a crash never applies a call twice); usually empty
 */
public record StateWrite(String actorId, long generation, byte[] state, int stateVersion, Map<String, byte[]> kvPuts) {
    public StateWrite {
        kvPuts = kvPuts == null || kvPuts.isEmpty() ? Map.of() : Map.copyOf(kvPuts);
    }

    public StateWrite(String actorId, long generation, byte[] state, int stateVersion) {
        this(actorId, generation, state, stateVersion, Map.of());
    }
}
