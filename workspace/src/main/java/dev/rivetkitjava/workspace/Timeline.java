package dev.rivetkitjava.workspace;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.rivetkitjava.actor.ActorKv;
import dev.rivetkitjava.actor.KvBatch;
import dev.rivetkitjava.actor.KvEntry;
import dev.rivetkitjava.sandboxagent.persist.actor.ActorStatePersistDriver.AddedEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * A workspace's whole timeline, durably, in the actor's key-value store: one entry per {@code
 * chat.user}, {@code session.event}, {@code permission.requested}, {@code permission.resolved} and
 * {@code session.error}, each {@code {seq, event, data}} where {@code seq} grows by one per
 * workspace from 1 and {@code data} is the payload as it was broadcast.
 *
 * <p>Keys: {@value #PREFIX} + the seq as 19 digits (so key order is seq order), and {@value #META}
 * {@code {first, next}}, written in the same atomic batch as every append, so the latest page needs
 * no scan. Appends go through one queue and one writer, which writes what piled up in one key-value
 * write (a group commit: an agent streams far faster than one write per event would allow) and
 * broadcasts each entry after it is durable, so seq order is append order is broadcast order.
 * Appends do not take the actor's turn (key-value writes need none): the SDK's event thread appends
 * while an action runs. The session's events come through the persist driver's write ({@link
 * #writeWith}): their entries go in the same key-value write as the driver's own copy of them, so
 * that an agent event costs one durable write. With a retention of N entries, each write deletes
 * the entries that fell out of the last N in the same batch.
 */
final class Timeline {

    static final String PREFIX = "timeline/";
    static final String META = "timeline-meta";
    static final String SESSION_EVENT = "session.event";

    /** Entries in a page when the caller names no limit. */
    static final int DEFAULT_PAGE = 200;

    /** The most entries a page has, whatever the caller asks. */
    static final int MAX_PAGE = 500;

    /**
     * A page stops growing before its JSON passes this (it always has one entry, however large).
     */
    static final int MAX_PAGE_BYTES = 1 << 20;

    /**
     * Deletes an append makes at most (a retention lowered on a long timeline catches up over a few
     * appends).
     */
    private static final int MAX_DELETES_PER_WRITE = 10_000;

    private static final int WRITE_CHUNK = 500;

    /** Entries the writer takes into one key-value write at most. */
    private static final int MAX_BATCH = 256;

    /**
     * Buffers from a shared pool: the default keeps them per thread, and the writers are
     * short-lived ones.
     */
    private static final ObjectMapper JSON =
            JsonMapper.builder(
                            JsonFactory.builder()
                                    .recyclerPool(JsonRecyclerPools.sharedConcurrentDequePool())
                                    .build())
                    .build();

    /** An entry as it is stored and returned. */
    record Entry(long seq, String event, Object data) {}

    /**
     * An entry waiting for the writer; {@code dataJson}: its data already written as JSON, or null.
     */
    private record Queued(
            String event, Object data, byte @Nullable [] dataJson, CompletableFuture<Long> done) {}

    /** The stored meta: the first seq kept and the next seq to give (first == next: empty). */
    record Meta(long first, long next) {}

    private final ActorKv kv;
    private final long maxEntries;
    private final BiConsumer<String, Object> broadcast;

    /** Held while writing (the writer's batches, a migration). */
    private final ReentrantLock appends = new ReentrantLock();

    private final ArrayDeque<Queued> queue = new ArrayDeque<>(); // guarded by itself
    private boolean draining; // guarded by queue
    private CompletableFuture<Long> last =
            CompletableFuture.completedFuture(0L); // guarded by queue

    /** Written under {@link #appends}; read by pages without it. */
    private volatile Meta meta;

    private final boolean stored;

    private Timeline(
            ActorKv kv,
            long maxEntries,
            BiConsumer<String, Object> broadcast,
            Meta meta,
            boolean stored) {
        this.kv = kv;
        this.maxEntries = maxEntries;
        this.broadcast = broadcast;
        this.meta = meta;
        this.stored = stored;
    }

    /**
     * The timeline stored in {@code kv}, or a new empty one (nothing written yet: {@link #exists()}
     * is false).
     *
     * @param maxEntries entries kept (0: all)
     * @param broadcast sends an appended entry's event to the connections, after it is durable
     */
    static Timeline open(ActorKv kv, long maxEntries, BiConsumer<String, Object> broadcast) {
        Optional<byte[]> stored = kv.get(META);
        Meta meta = stored.isEmpty() ? new Meta(1, 1) : read(stored.get(), Meta.class, META);
        return new Timeline(kv, maxEntries, broadcast, meta, stored.isPresent());
    }

    /**
     * Whether this workspace has stored a timeline (a workspace of the previous version has none).
     */
    boolean exists() {
        return stored;
    }

    /** The seq of the oldest entry kept and the next one to give. */
    Meta meta() {
        return meta;
    }

    /**
     * Appends one entry and waits until it is durable and broadcast. Any thread.
     *
     * @return the entry's seq
     */
    long append(String event, Object data) {
        try {
            return appendLater(event, data).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException cause ? cause : e;
        }
    }

    /**
     * Queues one entry: the timeline's writer appends it with whatever else is queued (one
     * key-value write for all of them, a group commit), then broadcasts them in order. For the
     * SDK's event thread, which need not wait.
     *
     * @return completes with the entry's seq once it is durable and broadcast, or with the write's
     *     error
     */
    CompletableFuture<Long> appendLater(String event, Object data) {
        CompletableFuture<Long> done = new CompletableFuture<>();
        synchronized (queue) {
            queue.add(new Queued(event, data, null, done));
            last = done;
            if (!draining) {
                draining = true;
                Thread.ofVirtual().name("workspace-timeline").start(this::drain);
            }
        }
        return done;
    }

    /** Waits until every entry queued so far is written and broadcast (or failed). */
    void flush() {
        CompletableFuture<Long> tail;
        synchronized (queue) {
            tail = last;
        }
        tail.handle((seq, error) -> null).join();
    }

    /**
     * The persist driver's event writer ({@code ActorStatePersistDriver.EventWriter}): one atomic
     * key-value write of {@code changes} (the driver's copy of the events), the entries queued
     * before them, and theirs, {@code session.event} each; then the broadcasts, in seq order.
     * Throws, writing nothing, when the write fails (the queued entries taken along fail with it).
     */
    void writeWith(String sessionId, List<AddedEvent> events, KvBatch.Builder changes) {
        appends.lock();
        try {
            List<Queued> batch = takeQueued(Integer.MAX_VALUE);
            for (AddedEvent added : events) {
                batch.add(
                        new Queued(
                                SESSION_EVENT,
                                added.event(),
                                added.json(),
                                new CompletableFuture<>()));
            }
            RuntimeException failed = writeBatch(batch, changes);
            if (failed != null) {
                throw failed;
            }
        } finally {
            appends.unlock();
        }
    }

    private void drain() {
        while (true) {
            // Taken under the lock, so that entries queued before a writeWith are written before
            // its events.
            appends.lock();
            try {
                List<Queued> batch;
                synchronized (queue) {
                    batch = takeQueued(MAX_BATCH);
                    if (batch.isEmpty()) {
                        draining = false;
                        return;
                    }
                }
                writeBatch(batch, KvBatch.builder());
            } finally {
                appends.unlock();
            }
        }
    }

    /** At most {@code max} of the queued entries, oldest first. */
    private List<Queued> takeQueued(int max) {
        List<Queued> batch = new ArrayList<>();
        synchronized (queue) {
            while (!queue.isEmpty() && batch.size() < max) {
                batch.add(queue.poll());
            }
        }
        return batch;
    }

    /**
     * Lock held. One atomic write of {@code changes}, the entries, their retention deletes and the
     * meta; then the broadcasts. Returns the write's failure (every entry's future has it), or
     * null.
     */
    private @Nullable RuntimeException writeBatch(List<Queued> batch, KvBatch.Builder changes) {
        Meta current = meta;
        long seq = current.next();
        long next = seq + batch.size();
        try {
            long first = current.first();
            if (maxEntries > 0 && next - maxEntries > first) {
                first = Math.min(next - maxEntries, first + MAX_DELETES_PER_WRITE);
            }
            for (long old = current.first(); old < Math.min(first, seq); old++) {
                changes.delete(key(old));
            }
            for (int i = 0; i < batch.size(); i++) {
                Queued entry = batch.get(i);
                if (seq + i
                        >= first) { // an entry already past the retention is broadcast, not kept
                    changes.put(
                            key(seq + i),
                            entry.dataJson() != null
                                    ? written(seq + i, entry.event(), entry.dataJson())
                                    : write(new Entry(seq + i, entry.event(), entry.data())));
                }
            }
            Meta written = new Meta(first, next);
            changes.put(META, write(written));
            kv.write(changes.build());
            meta = written;
        } catch (RuntimeException e) {
            batch.forEach(entry -> entry.done().completeExceptionally(e));
            return e;
        }
        for (int i = 0; i < batch.size(); i++) {
            Queued entry = batch.get(i);
            try {
                broadcast.accept(entry.event(), entry.data());
                entry.done().complete(seq + i);
            } catch (RuntimeException e) {
                entry.done().completeExceptionally(e);
            }
        }
        return null;
    }

    /**
     * Writes a whole timeline at once, without broadcasting: the migration of a workspace stored by
     * the previous version. Only the last {@code maxEntries} are kept. Call on an empty timeline.
     */
    void appendAll(List<Entry> entries) {
        appends.lock();
        try {
            Meta current = meta;
            if (current.next() != 1) {
                throw new IllegalStateException("the timeline is not empty");
            }
            int total = entries.size();
            int skip = maxEntries > 0 && total > maxEntries ? (int) (total - maxEntries) : 0;
            long first = 1 + skip;
            Meta done = new Meta(first, total + 1L);
            if (total == 0) {
                kv.put(META, write(done));
            }
            for (int from = skip; from < total; from += WRITE_CHUNK) {
                int to = Math.min(total, from + WRITE_CHUNK);
                KvBatch.Builder batch = KvBatch.builder();
                for (int i = from; i < to; i++) {
                    Entry entry = entries.get(i);
                    batch.put(key(i + 1L), write(new Entry(i + 1L, entry.event(), entry.data())));
                }
                if (to == total) {
                    batch.put(META, write(done)); // the last chunk marks the migration done
                }
                kv.write(batch.build());
            }
            meta = done;
        } finally {
            appends.unlock();
        }
    }

    /**
     * The entries just before {@code beforeSeq} (null: the latest), oldest first: at most {@code
     * limit} (null: {@value #DEFAULT_PAGE}; capped at {@value #MAX_PAGE}), and fewer when their
     * JSON array would pass {@value #MAX_PAGE_BYTES} bytes (at least one entry). Empty when there
     * is none. Any thread.
     */
    List<JsonNode> page(@Nullable Long beforeSeq, @Nullable Integer limit) {
        Meta current = meta;
        int size = limit == null ? DEFAULT_PAGE : Math.max(1, Math.min(MAX_PAGE, limit));
        long before = beforeSeq == null ? current.next() : Math.min(beforeSeq, current.next());
        long start = Math.max(current.first(), before - size);
        if (start >= before) {
            return List.of();
        }
        String end = key(before);
        // Entries deleted meanwhile (retention) would let the listing run past beforeSeq: cut
        // there.
        List<KvEntry> stored =
                kv.list(PREFIX, key(start - 1), (int) (before - start)).stream()
                        .filter(entry -> entry.key().compareTo(end) < 0)
                        .toList();
        // Newest first, while the JSON array ([, the entries, commas, ]) stays within the byte
        // budget.
        int from = stored.size();
        long bytes = 2;
        int taken = 0;
        while (from > 0) {
            KvEntry candidate = stored.get(from - 1);
            long grown = bytes + candidate.value().length + (taken > 0 ? 1 : 0);
            if (grown > MAX_PAGE_BYTES && taken > 0) {
                break;
            }
            bytes = grown;
            taken++;
            from--;
        }
        List<JsonNode> page = new ArrayList<>(stored.size() - from);
        for (KvEntry entry : stored.subList(from, stored.size())) {
            page.add(read(entry.value(), JsonNode.class, entry.key()));
        }
        return page;
    }

    static String key(long seq) {
        String digits = Long.toString(seq);
        return PREFIX + "0".repeat(19 - digits.length()) + digits;
    }

    /**
     * An entry's JSON as {@link #write} makes it ({@link Entry}'s fields in order), around data
     * already JSON.
     */
    static byte[] written(long seq, String event, byte[] dataJson) {
        byte[] head =
                ("{\"seq\":"
                                + seq
                                + ",\"event\":"
                                + new String(write(event), StandardCharsets.UTF_8)
                                + ",\"data\":")
                        .getBytes(StandardCharsets.UTF_8);
        byte[] entry = Arrays.copyOf(head, head.length + dataJson.length + 1);
        System.arraycopy(dataJson, 0, entry, head.length, dataJson.length);
        entry[entry.length - 1] = '}';
        return entry;
    }

    static byte[] write(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("a timeline entry cannot be written as JSON", e);
        }
    }

    static <T> T read(byte[] bytes, Class<T> type, String key) {
        try {
            return JSON.readValue(bytes, type);
        } catch (IOException e) {
            throw new IllegalStateException(
                    "the stored timeline entry "
                            + key
                            + " cannot be read: "
                            + new String(
                                    bytes, 0, Math.min(bytes.length, 80), StandardCharsets.UTF_8),
                    e);
        }
    }
}
