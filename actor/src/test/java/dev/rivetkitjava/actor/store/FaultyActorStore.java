package dev.rivetkitjava.actor.store;

import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.KvBatch;
import dev.rivetkitjava.actor.KvEntry;
import dev.rivetkitjava.actor.ScheduledEvent;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-memory store whose state saves can be made to fail (all of them, or any transaction holding
 * one of some actors' writes, as a full disk or a constraint would) or to block, for fault tests.
 * Everything else delegates.
 */
public final class FaultyActorStore implements ActorStore {
    private final InMemoryActorStore delegate = new InMemoryActorStore();
    private final Set<String> failingActors = ConcurrentHashMap.newKeySet();
    private volatile boolean failAll;
    private volatile CountDownLatch gate;
    private volatile CountDownLatch blocked = new CountDownLatch(1);
    private final Map<String, List<Long>> attemptTimes = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
    private final List<Integer> committedBatchSizes = new CopyOnWriteArrayList<>();

    /**
     * Every transaction with a write of this actor fails (the whole transaction, as a real store's
     * would).
     */
    public void failSavesOf(String actorId) {
        failingActors.add(actorId);
    }

    public void healSavesOf(String actorId) {
        failingActors.remove(actorId);
    }

    /** Every state save fails while set, as with a full disk. */
    public void failAllSaves(boolean fail) {
        failAll = fail;
    }

    /** State saves wait until {@link #unblockSaves()}. */
    public void blockSaves() {
        blocked = new CountDownLatch(1);
        gate = new CountDownLatch(1);
    }

    public void unblockSaves() {
        CountDownLatch current = gate;
        gate = null;
        if (current != null) {
            current.countDown();
        }
    }

    /** Waits until a save is blocked in {@link #blockSaves()}'s gate. */
    public boolean awaitBlockedSave(long timeoutMillis) throws InterruptedException {
        return blocked.await(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    /** Transactions that included a write of this actor, failed or not. */
    public int saveAttempts(String actorId) {
        AtomicInteger count = attempts.get(actorId);
        return count == null ? 0 : count.get();
    }

    /** When each transaction with a write of this actor started ({@link System#nanoTime()}). */
    public List<Long> saveAttemptTimes(String actorId) {
        return attemptTimes.getOrDefault(actorId, List.of());
    }

    /** The number of writes in each committed transaction, in order. */
    public List<Integer> committedBatchSizes() {
        return committedBatchSizes;
    }

    @Override
    public Set<String> saveStates(List<StateWrite> writes) {
        for (StateWrite write : writes) {
            attempts.computeIfAbsent(write.actorId(), id -> new AtomicInteger()).incrementAndGet();
            attemptTimes
                    .computeIfAbsent(write.actorId(), id -> new CopyOnWriteArrayList<>())
                    .add(System.nanoTime());
        }
        CountDownLatch current = gate;
        if (current != null) {
            blocked.countDown();
            try {
                if (!current.await(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("test store: blocked for 30 s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        if (failAll) {
            throw new IllegalStateException("test store: disk full");
        }
        for (StateWrite write : writes) {
            if (failingActors.contains(write.actorId())) {
                throw new IllegalStateException(
                        "test store: cannot write actor " + write.actorId());
            }
        }
        Set<String> skipped = delegate.saveStates(writes);
        committedBatchSizes.add(writes.size());
        return skipped;
    }

    @Override
    public ActorRecord insertIfAbsent(NewActor actor) {
        return delegate.insertIfAbsent(actor);
    }

    @Override
    public Optional<ActorRecord> findById(String id) {
        return delegate.findById(id);
    }

    @Override
    public Optional<ActorRecord> findByKey(String name, ActorKey key) {
        return delegate.findByKey(name, key);
    }

    @Override
    public List<ActorRecord> list(String name, ActorKey afterKey, int limit) {
        return delegate.list(name, afterKey, limit);
    }

    @Override
    public Optional<ActorRecord> claim(String id) {
        return delegate.claim(id);
    }

    @Override
    public void delete(String id) {
        delegate.delete(id);
    }

    @Override
    public void putSchedule(ScheduledEvent event) {
        delegate.putSchedule(event);
    }

    @Override
    public boolean deleteSchedule(String actorId, String eventId) {
        return delegate.deleteSchedule(actorId, eventId);
    }

    @Override
    public List<ScheduledEvent> schedules(String actorId) {
        return delegate.schedules(actorId);
    }

    @Override
    public List<ActorAlarm> alarms() {
        return delegate.alarms();
    }

    @Override
    public Optional<byte[]> kvGet(String actorId, String key) {
        return delegate.kvGet(actorId, key);
    }

    @Override
    public List<KvEntry> kvList(String actorId, String prefix, String afterKey, int limit) {
        return delegate.kvList(actorId, prefix, afterKey, limit);
    }

    @Override
    public boolean kvWrite(String actorId, long generation, KvBatch batch) {
        return delegate.kvWrite(actorId, generation, batch);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
