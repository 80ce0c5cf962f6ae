package dev.rivetkitjava.actor.store;

import dev.rivetkitjava.actor.KvBatch;

/**
 * A state save, applied only while the stored generation still equals {@code generation}.
 *
 * @param kv key-value changes applied in the same transaction as the state, and only when it is
 *     (the outcomes of calls with idempotency keys, so a retry after a crash never applies a call
 *     twice); {@link #NO_KV} for almost every write
 */
public record StateWrite(
        String actorId, long generation, byte[] state, int stateVersion, KvBatch kv) {
    /** No key-value changes: shared, so a plain state write allocates nothing for them. */
    public static final KvBatch NO_KV = KvBatch.builder().build();

    public StateWrite(String actorId, long generation, byte[] state, int stateVersion) {
        this(actorId, generation, state, stateVersion, NO_KV);
    }
}
