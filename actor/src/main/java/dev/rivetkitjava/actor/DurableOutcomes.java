package dev.rivetkitjava.actor;

import dev.rivetkitjava.actor.store.StateWrite;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The outcomes of one actor's calls with idempotency keys, kept in its key-value store under
 * {@value #PREFIX} so that a retry after the actor moved (or slept) gets the first outcome instead
 * of running the call again. Each is written in the transaction of the state its call produced
 * ({@link StateWrite#kv()}); an actor keeps the newest {@value #MAX_OUTCOMES}, none older than a
 * day. A value is the save time (8 bytes, epoch millis) followed by the result as JSON.
 *
 * <p>Turn-confined, except the unconfirmed changes, which the saver thread clears.
 */
final class DurableOutcomes {
    static final String PREFIX = "~rivetkit/outcome/";
    static final int MAX_OUTCOMES = 256;
    static final long MAX_AGE_MILLIS = 24 * 60 * 60 * 1000L;

    private final ActorRuntime runtime;
    private final String actorId;

    /** Turn: the stored keys and their save times, oldest first; loaded on first use. */
    private final LinkedHashMap<String, Long> savedAt = new LinkedHashMap<>();

    private boolean loaded; // turn

    /**
     * Turn: changes were made since the last {@link #changes()}; the next write must carry them.
     */
    private boolean changed;

    /**
     * Changes handed to the saver and not yet known durable: every write carries them again until
     * one that carried them commits, so a failed write cannot leave the state (written by a later
     * write) without its outcomes.
     */
    private final Map<String, byte[]> unconfirmedPuts = new ConcurrentHashMap<>();

    private final Set<String> unconfirmedDeletes = ConcurrentHashMap.newKeySet();

    DurableOutcomes(ActorRuntime runtime, String actorId) {
        this.runtime = runtime;
        this.actorId = actorId;
    }

    /** Turn: the result recorded for {@code idempotencyKey}, as JSON, if there is one. */
    Optional<byte[]> recorded(String idempotencyKey) {
        String key = storeKey(idempotencyKey);
        Long at = savedAtIndex().get(key);
        if (at == null || expired(at, runtime.clock().nowMillis())) {
            return Optional.empty();
        }
        byte[] value = unconfirmedPuts.get(key);
        Optional<byte[]> stored =
                value != null ? Optional.of(value) : runtime.store().kvGet(actorId, key);
        return stored.map(v -> Arrays.copyOfRange(v, Long.BYTES, v.length));
    }

    /** Turn: records a call's result for the next state write, and prunes the oldest. */
    void record(String idempotencyKey, byte[] resultJson) {
        String key = storeKey(idempotencyKey);
        long now = runtime.clock().nowMillis();
        Map<String, Long> index = savedAtIndex();
        index.remove(key);
        index.put(key, now);
        unconfirmedDeletes.remove(key);
        unconfirmedPuts.put(
                key,
                ByteBuffer.allocate(Long.BYTES + resultJson.length)
                        .putLong(now)
                        .put(resultJson)
                        .array());
        prune(now);
        changed = true;
    }

    /** Turn: whether changes were made that no write handed to the saver carries yet. */
    boolean changed() {
        return changed;
    }

    /**
     * Turn: the changes the next state write carries ({@link StateWrite#NO_KV} when none); call
     * {@link #confirmed} with them once that write commits.
     */
    KvBatch changes() {
        changed = false;
        if (unconfirmedPuts.isEmpty() && unconfirmedDeletes.isEmpty()) {
            return StateWrite.NO_KV;
        }
        KvBatch.Builder batch = KvBatch.builder();
        unconfirmedDeletes.forEach(batch::delete);
        unconfirmedPuts.forEach(batch::put);
        return batch.build();
    }

    /** Saver thread: {@code batch} is durable; later writes need not carry it. */
    void confirmed(KvBatch batch) {
        // By identity: a newer outcome under the same key stays to be written.
        batch.puts().forEach(unconfirmedPuts::remove);
        batch.deletes().forEach(unconfirmedDeletes::remove);
    }

    private Map<String, Long> savedAtIndex() {
        if (!loaded) {
            load();
            loaded = true;
        }
        return savedAt;
    }

    private void load() {
        List<Map.Entry<String, Long>> entries = new ArrayList<>();
        runtime.forEachKv(
                actorId,
                PREFIX,
                entry ->
                        entries.add(
                                Map.entry(entry.key(), ByteBuffer.wrap(entry.value()).getLong())));
        entries.sort(Map.Entry.comparingByValue(Comparator.naturalOrder()));
        entries.forEach(entry -> savedAt.put(entry.getKey(), entry.getValue()));
        prune(runtime.clock().nowMillis());
        changed = !unconfirmedDeletes.isEmpty();
    }

    /**
     * Deletes the oldest outcomes beyond the newest {@value #MAX_OUTCOMES} and the expired ones.
     */
    private void prune(long now) {
        Iterator<Map.Entry<String, Long>> oldestFirst = savedAt.entrySet().iterator();
        while (oldestFirst.hasNext()) {
            Map.Entry<String, Long> oldest = oldestFirst.next();
            if (savedAt.size() <= MAX_OUTCOMES && !expired(oldest.getValue(), now)) {
                return;
            }
            oldestFirst.remove();
            unconfirmedPuts.remove(oldest.getKey());
            unconfirmedDeletes.add(oldest.getKey());
        }
    }

    private static boolean expired(long savedAtMillis, long now) {
        return now - savedAtMillis > MAX_AGE_MILLIS;
    }

    /**
     * The key-value key of an idempotency key: the key itself after the prefix, or its SHA-256 when
     * that would be no valid key (too long, unpaired surrogates).
     */
    private static String storeKey(String idempotencyKey) {
        String key = PREFIX + idempotencyKey;
        try {
            return KvBatch.checkKey(key);
        } catch (IllegalArgumentException tooLongOrUnencodable) {
            try {
                byte[] digest =
                        MessageDigest.getInstance("SHA-256")
                                .digest(idempotencyKey.getBytes(StandardCharsets.UTF_16BE));
                return PREFIX + "sha256:" + HexFormat.of().formatHex(digest);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JVM has SHA-256", e);
            }
        }
    }
}
