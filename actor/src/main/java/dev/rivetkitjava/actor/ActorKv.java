package dev.rivetkitjava.actor;

import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The actor's durable key-value store, RivetKit's {@code c.kv}: for data too large or too often
 * written to keep in the state (which is written whole on every save). String keys, byte values,
 * ordered by the keys' UTF-8 bytes.
 *
 * <p>Every write is in the store when the call returns, in one atomic transaction, and only while
 * this activation still owns the actor: a write of an activation that another one has replaced
 * fails with {@code actor.fenced} and writes nothing. The entries are deleted with the actor.
 *
 * <p>Calls do not take the actor's turn, so any thread may use them while the actor is awake (an
 * SDK's callback thread as well as an action, also inside {@code c.await}); the store applies
 * writes one at a time, so each call is atomic, and calls from one thread land in their order.
 * Combine a read and a write that must not interleave with another thread's by holding the turn
 * ({@link ActorContext#withTurn}) or a lock of your own. Once the activation has stopped, calls
 * fail with {@code actor.stopped}.
 */
public interface ActorKv {

    Optional<byte[]> get(String key);

    void put(String key, byte[] value);

    void delete(String key);

    /** Applies the batch's deletes, then its puts, atomically. */
    void write(KvBatch batch);

    /**
     * At most {@code limit} entries whose key starts with {@code prefix} ({@code ""}: any key) and
     * sorts after {@code afterKey} (exclusive; null: from the first), in key order. Page on with
     * the last key read.
     */
    List<KvEntry> list(String prefix, @Nullable String afterKey, int limit);
}
