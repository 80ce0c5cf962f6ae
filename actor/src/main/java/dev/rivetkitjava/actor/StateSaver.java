package dev.rivetkitjava.actor;

import dev.rivetkitjava.actor.store.ActorStore;
import dev.rivetkitjava.actor.store.StateWrite;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that writes actor state to the store. Because every write for an actor passes
 * through this thread in the order it was serialised, a slower older write can never overwrite a
 * newer one.
 *
 * <ul>
 *   <li><b>Waited-on writes</b> (a reply waiting for its save, a save before sleep, {@code
 *       saveState()}) go at once: everything waiting when the thread gets to it is written in one
 *       transaction (a group commit), and what arrives meanwhile goes in the next one. After a
 *       transaction the thread waits briefly for the callers it answered to come back ({@link
 *       #gather}), so busy callers share one commit instead of two.
 *   <li><b>Changed state nobody waits for</b> is serialised and written once per interval, all
 *       actors together.
 *   <li><b>Failures belong to their actor.</b> A state that cannot be serialised fails that actor
 *       only; a transaction that fails is retried one actor at a time, so the others still commit.
 *       An actor whose save failed is <i>failing</i>: its state stays in memory, its writes go
 *       alone, and it is retried with back-off (100 ms doubling to 5 s) until a save succeeds; it
 *       is logged once when it starts failing and once when it recovers.
 *   <li><b>No write waits unbounded.</b> A watchdog fails the writes that have waited longer than
 *       the save timeout (a store that hangs): one check per tenth of the timeout instead of a
 *       timer per write, which cost a wake-up of the timer thread per action.
 * </ul>
 */
final class StateSaver implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StateSaver.class);
    static final long FIRST_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    static final long MAX_RETRY_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long MAX_GATHER_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    /**
     * A serialised state waiting for the store; {@code done} completes once it is durable, or fails
     * with {@code actor.state_save_failed} or {@code actor.fenced}, or with a {@link
     * TimeoutException} once it has waited longer than the save timeout since {@code sinceNanos}.
     * {@code seq} orders an actor's serialisations.
     */
    record PendingWrite(
            ActorCell<?, ?> cell,
            StateWrite write,
            CompletableFuture<Void> done,
            long seq,
            long sinceNanos) {
        static PendingWrite of(ActorCell<?, ?> cell, StateWrite write, long seq) {
            return new PendingWrite(cell, write, new CompletableFuture<>(), seq, System.nanoTime());
        }
    }

    /**
     * A failure seen outside the saver thread (a serialisation in an actor's turn), for the saver
     * to adopt.
     */
    private record Failure(ActorCell<?, ?> cell, long seq, String reason) {}

    /** A failing actor: saver thread only. */
    private static final class Retry {
        long failedSeq;
        long delayNanos = FIRST_RETRY_NANOS;
        long nextAtNanos;
        long since = System.nanoTime();
        int attempts;
        @Nullable String reason;
    }

    private final ActorStore store;
    private final long intervalNanos;
    private final Duration closeTimeout; // the save timeout
    private final ConcurrentLinkedQueue<ActorCell<?, ?>> dirtyCells = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<PendingWrite> urgent = new ConcurrentLinkedQueue<>();

    /** How many writes {@link #urgent} holds. */
    private final AtomicInteger urgentCount = new AtomicInteger();

    /**
     * A submit that brings {@link #urgentCount} to this many wakes the saver (each wake-up costs a
     * context switch).
     */
    private volatile int wakeAt = 1;

    /**
     * Writes in the last transaction and still queued when it ended: the callers expected back
     * (saver thread).
     */
    private int expectedBack;

    /** How long the last transaction took, in nanoseconds (saver thread). */
    private long lastCommitNanos;

    private final ConcurrentLinkedQueue<Failure> failuresSeen = new ConcurrentLinkedQueue<>();

    /** Failing actors and their back-off; saver thread only. */
    private final Map<ActorCell<?, ?>, Retry> retrying = new IdentityHashMap<>();

    /** Failing actors, for health and metrics (any thread reads it). */
    private final Set<ActorCell<?, ?>> failing = ConcurrentHashMap.newKeySet();

    /** Why the last store transaction failed; null once one succeeds. */
    private volatile @Nullable String lastStoreFailure;

    /**
     * When the transaction under way started ({@link System#nanoTime()}), or 0 between
     * transactions.
     */
    private volatile long commitStarted;

    /** The writes of the transaction under way, for the watchdog. */
    private volatile List<PendingWrite> committing = List.of();

    private final Thread thread;
    private volatile boolean closing;
    private final LongAdder batches = new LongAdder();
    private final LongAdder writes = new LongAdder();
    private final LongAdder nanos = new LongAdder();
    private final LongAdder failures = new LongAdder();

    StateSaver(ActorStore store, Duration interval, Duration closeTimeout) {
        this.store = store;
        this.intervalNanos = interval.toNanos();
        this.closeTimeout = closeTimeout;
        this.thread = Thread.ofPlatform().daemon().name("rivetkit-state-saver").start(this::run);
        Thread.ofVirtual().name("rivetkit-state-saver-watchdog").start(this::watch);
    }

    /**
     * Fails overdue writes every tenth of the save timeout, until the saver thread has ended and
     * none is left.
     */
    private void watch() {
        long timeout = closeTimeout.toNanos();
        long period =
                Math.clamp(
                        timeout / 10,
                        TimeUnit.MILLISECONDS.toNanos(10),
                        TimeUnit.SECONDS.toNanos(1));
        while (thread.isAlive() || !urgent.isEmpty()) {
            LockSupport.parkNanos(this, period);
            long now = System.nanoTime();
            urgent.forEach(pending -> expireIfOverdue(pending, now, timeout));
            committing.forEach(pending -> expireIfOverdue(pending, now, timeout));
        }
    }

    private static void expireIfOverdue(PendingWrite pending, long now, long timeout) {
        if (now - pending.sinceNanos() > timeout) {
            pending.done().completeExceptionally(new TimeoutException());
        }
    }

    /** Called once per clean-to-dirty transition of a cell. */
    void markDirty(ActorCell<?, ?> cell) {
        dirtyCells.add(cell);
    }

    /**
     * Queues a write for the next transaction, at once; the caller waits on {@code pending.done()}.
     */
    CompletableFuture<Void> submit(PendingWrite pending) {
        urgent.add(pending);
        if (urgentCount.incrementAndGet() >= wakeAt) {
            LockSupport.unpark(thread);
        }
        if (!thread.isAlive()) {
            // Closed: neither the saver nor its watchdog will get to it.
            pending.done()
                    .completeExceptionally(
                            ActorErrors.stateSaveFailed(
                                    pending.write().actorId(), "the runtime has closed", null));
        }
        return pending.done();
    }

    /**
     * An actor's serialisation {@code seq} failed in its own turn: it is failing from now on and
     * retried.
     */
    void serializationFailed(ActorCell<?, ?> cell, long seq, String reason) {
        failures.increment();
        cell.saveFailure = reason;
        failing.add(cell);
        failuresSeen.add(new Failure(cell, seq, reason));
        LockSupport.unpark(thread);
    }

    /** The cell stopped: it is no longer failing (what it could not save is logged by its stop). */
    void stopped(ActorCell<?, ?> cell) {
        failing.remove(cell);
    }

    private void run() {
        long nextPeriodic = System.nanoTime() + intervalNanos;
        while (true) {
            try {
                boolean finalRound = closing;
                long now = System.nanoTime();
                long nextRetry = nextRetryNanos();
                wakeAt = 1;
                if (urgentCount.get() == 0
                        && failuresSeen.isEmpty()
                        && now < nextPeriodic
                        && now < nextRetry
                        && !finalRound) {
                    LockSupport.parkNanos(this, Math.min(nextPeriodic, nextRetry) - now);
                    continue;
                }
                if (!finalRound) {
                    gather(Math.min(nextPeriodic, nextRetry));
                }
                wakeAt = Integer.MAX_VALUE; // busy: it looks at the queue when done
                adoptFailures();
                List<PendingWrite> batch = new ArrayList<>();
                for (PendingWrite w; (w = urgent.poll()) != null; ) {
                    urgentCount.decrementAndGet();
                    batch.add(w);
                }
                int answered = batch.size();
                if (System.nanoTime() >= nextPeriodic || finalRound) {
                    collectDirty(batch);
                    nextPeriodic = System.nanoTime() + intervalNanos;
                }
                long started = System.nanoTime();
                write(batch);
                if (answered > 0) {
                    lastCommitNanos = System.nanoTime() - started;
                    expectedBack = answered + urgentCount.get();
                }
                retryDue();
                if (finalRound && urgent.isEmpty() && dirtyCells.isEmpty()) {
                    return;
                }
            } catch (Throwable e) {
                // Nothing may end this thread: every actor's saves depend on it.
                log.error("the state saver failed a round; it goes on", e);
                LockSupport.parkNanos(this, FIRST_RETRY_NANOS);
            }
        }
    }

    /**
     * Waits a little for the callers the last transaction answered: closed-loop callers (a client
     * that sends its next call once answered) come back within a round trip. Without the wait,
     * those arriving during a commit make the next one, so sixteen such callers split into two
     * halves that commit in turns, each paying a transaction and its fsync. The wait ends when as
     * many writes are queued as the last transaction wrote plus those that queued meanwhile, after
     * half the last transaction's time at most (at most 1 ms), or at {@code until}.
     */
    private void gather(long until) {
        int expected = expectedBack;
        if (urgentCount.get() >= expected) {
            return;
        }
        long end =
                Math.min(
                        until, System.nanoTime() + Math.min(lastCommitNanos / 2, MAX_GATHER_NANOS));
        wakeAt = expected;
        for (long now = System.nanoTime();
                urgentCount.get() < expected && now < end;
                now = System.nanoTime()) {
            LockSupport.parkNanos(this, end - now);
        }
    }

    private long nextRetryNanos() {
        long next = Long.MAX_VALUE;
        for (Retry retry : retrying.values()) {
            next = Math.min(next, retry.nextAtNanos);
        }
        return next;
    }

    private void adoptFailures() {
        for (Failure f; (f = failuresSeen.poll()) != null; ) {
            failed(f.cell(), f.seq(), f.reason());
        }
    }

    private void collectDirty(List<PendingWrite> batch) {
        // A cell with a waited-on write in this batch may be held by a thread waiting for the
        // batch: its turn would
        // not come soon, and its state is in the batch already. It goes back in the queue, as a
        // busy one does.
        Set<ActorCell<?, ?>> urgentCells = Collections.newSetFromMap(new IdentityHashMap<>());
        batch.forEach(pending -> urgentCells.add(pending.cell()));
        List<ActorCell<?, ?>> later = new ArrayList<>();
        for (ActorCell<?, ?> cell; (cell = dirtyCells.poll()) != null; ) {
            cell.queuedForSave.set(false);
            if (retrying.containsKey(cell)) {
                // Its retry writes its current state, with back-off; recovery queues it again.
                continue;
            }
            if (urgentCells.contains(cell)) {
                later.add(cell);
                continue;
            }
            PendingWrite pending;
            try {
                pending = cell.serializeIfDirty();
            } catch (ActorCell.SerializationFailed e) {
                failures.increment();
                failed(cell, e.seq, e.reason);
                continue;
            }
            if (pending == ActorCell.BUSY) {
                later.add(cell);
            } else if (pending != null) {
                batch.add(pending);
            }
        }
        later.forEach(this::requeue);
    }

    private void requeue(ActorCell<?, ?> cell) {
        if (cell.queuedForSave.compareAndSet(false, true)) {
            dirtyCells.add(cell);
        }
    }

    /** Writes waiting for the next transaction (someone waits for each). */
    int waitingWrites() {
        return urgentCount.get();
    }

    /** Cells waiting for the next periodic save: each at most once. */
    int queuedCells() {
        return dirtyCells.size();
    }

    /** Writes the batch: healthy actors in one transaction, failing ones alone, each actor once. */
    private void write(List<PendingWrite> batch) {
        if (batch.isEmpty()) {
            return;
        }
        List<PendingWrite> together = new ArrayList<>(batch.size());
        List<PendingWrite> alone = new ArrayList<>();
        for (PendingWrite pending : newestPerActor(batch)) {
            (retrying.containsKey(pending.cell()) ? alone : together).add(pending);
        }
        if (together.size() > 1) {
            if (!commit(together)) {
                // One bad write fails the whole transaction: write each alone, so the others still
                // commit.
                together.forEach(this::commitAlone);
            }
        } else if (together.size() == 1) {
            commitAlone(together.getFirst());
        }
        alone.forEach(this::commitAlone);
    }

    /**
     * The newest write of each actor in {@code batch}; the older ones end as it ends. The newest
     * holds the actor's newest state and every outcome no committed write carried yet (see {@link
     * DurableOutcomes#changes()}), so writing the older ones too adds nothing but work: for a busy
     * actor with keyed calls on a cluster, each of its writes in a transaction carried every
     * outcome of the others again (185 000 outcome rows for 1 560 calls).
     */
    private static List<PendingWrite> newestPerActor(List<PendingWrite> batch) {
        Map<ActorCell<?, ?>, PendingWrite> newest = new IdentityHashMap<>();
        for (PendingWrite pending : batch) {
            newest.merge(pending.cell(), pending, (a, b) -> a.seq() >= b.seq() ? a : b);
        }
        if (newest.size() == batch.size()) {
            return batch;
        }
        List<PendingWrite> written = new ArrayList<>(newest.size());
        for (PendingWrite pending : batch) {
            PendingWrite carrier = Objects.requireNonNull(newest.get(pending.cell()));
            if (carrier == pending) {
                written.add(pending);
            } else {
                carrier.done()
                        .whenComplete(
                                (ok, failure) -> {
                                    if (failure == null) {
                                        pending.done().complete(null);
                                    } else {
                                        pending.done().completeExceptionally(failure);
                                    }
                                });
            }
        }
        return written;
    }

    private void commitAlone(PendingWrite pending) {
        RuntimeException failure = tryCommit(List.of(pending));
        if (failure != null) {
            failures.increment();
            String reason = ActorErrors.shortReason(failure);
            // First the bookkeeping, then the waiter: what it does next (a stop) sees the actor
            // failing.
            failed(pending.cell(), pending.seq(), reason);
            pending.done()
                    .completeExceptionally(
                            ActorErrors.stateSaveFailed(
                                    pending.write().actorId(), reason, failure));
        }
    }

    private boolean commit(List<PendingWrite> writes) {
        return tryCommit(writes) == null;
    }

    /** One transaction; on success every write's future completes. Returns the failure, or null. */
    private @Nullable RuntimeException tryCommit(List<PendingWrite> batch) {
        Set<String> skipped;
        long start = System.nanoTime();
        commitStarted = start;
        committing = batch;
        try {
            skipped = store.saveStates(batch.stream().map(PendingWrite::write).toList());
        } catch (RuntimeException e) {
            lastStoreFailure = ActorErrors.shortReason(e);
            return e;
        } finally {
            committing = List.of();
            commitStarted = 0;
            nanos.add(System.nanoTime() - start);
        }
        lastStoreFailure = null;
        batches.increment();
        writes.add(batch.size());
        for (PendingWrite pending : batch) {
            if (skipped.contains(pending.write().actorId())) {
                pending.cell().fenced();
                pending.done().completeExceptionally(ActorErrors.fenced(pending.write().actorId()));
            } else {
                succeeded(pending.cell(), pending.seq());
                pending.done().complete(null);
            }
        }
        return null;
    }

    /**
     * Saver thread: the cell's serialisation or write {@code seq} failed; it is failing and retried
     * with back-off.
     */
    private void failed(ActorCell<?, ?> cell, long seq, String reason) {
        Retry retry = retrying.get(cell);
        long now = System.nanoTime();
        if (retry == null) {
            retry = new Retry();
            retrying.put(cell, retry);
            log.error(
                    "actor {} ({} {}): its state cannot be saved ({}); it stays awake with its state in memory and is "
                            + "retried with back-off, callers waiting for a save get actor.state_save_failed",
                    cell.id,
                    cell.type.name(),
                    cell.key,
                    reason);
        } else {
            retry.delayNanos = Math.min(retry.delayNanos * 2, MAX_RETRY_NANOS);
        }
        retry.attempts++;
        retry.failedSeq = Math.max(retry.failedSeq, seq);
        retry.reason = reason;
        retry.nextAtNanos = now + retry.delayNanos;
        cell.saveFailure = reason;
        failing.add(cell);
        if (cell.isStopped()) {
            // Its stop has given up on it (and said so): nothing is left to retry.
            retrying.remove(cell);
            failing.remove(cell);
        }
    }

    /**
     * Saver thread: write {@code seq} of the cell is durable; if it covers every failed one, the
     * cell recovered.
     */
    private void succeeded(ActorCell<?, ?> cell, long seq) {
        Retry retry = retrying.get(cell);
        if (retry == null || seq < retry.failedSeq) {
            return;
        }
        retrying.remove(cell);
        failing.remove(cell);
        cell.saveFailure = null;
        log.info(
                "actor {} ({} {}): its state is saved again, after {} failed attempt(s) over {} ms ({})",
                cell.id,
                cell.type.name(),
                cell.key,
                retry.attempts,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - retry.since),
                retry.reason);
        // Changes made while it was failing and not yet written wait for the periodic save.
        requeue(cell);
    }

    /** Retries the failing actors whose back-off has passed, each alone. */
    private void retryDue() {
        long now = System.nanoTime();
        List<ActorCell<?, ?>> due = new ArrayList<>();
        for (Iterator<Map.Entry<ActorCell<?, ?>, Retry>> it = retrying.entrySet().iterator();
                it.hasNext(); ) {
            Map.Entry<ActorCell<?, ?>, Retry> entry = it.next();
            ActorCell<?, ?> cell = entry.getKey();
            if (cell.isStopped()) {
                it.remove();
                failing.remove(cell);
            } else if (entry.getValue().nextAtNanos <= now) {
                due.add(cell);
            }
        }
        for (ActorCell<?, ?> cell : due) {
            PendingWrite pending;
            try {
                pending = cell.serializeForRetry();
            } catch (ActorCell.SerializationFailed e) {
                failures.increment();
                failed(cell, e.seq, e.reason);
                continue;
            }
            if (pending == ActorCell.BUSY) {
                // due was taken from retrying above, and nothing in this loop removes a cell first
                Objects.requireNonNull(retrying.get(cell), "retry").nextAtNanos =
                        System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(10);
            } else if (pending == null) {
                retrying.remove(cell);
                failing.remove(cell);
            } else {
                commitAlone(pending);
            }
        }
    }

    long batches() {
        return batches.sum();
    }

    long writes() {
        return writes.sum();
    }

    long nanos() {
        return nanos.sum();
    }

    long failures() {
        return failures.sum();
    }

    int failingActors() {
        return failing.size();
    }

    /**
     * Failing while an actor's saves fail, the last store transaction failed, or the one under way
     * has taken longer than the save timeout (a store that hangs).
     */
    RuntimeHealth health() {
        long started = commitStarted;
        if (started != 0 && System.nanoTime() - started > closeTimeout.toNanos()) {
            return RuntimeHealth.failing(
                    "a state save has waited for the store for "
                            + java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(
                                    System.nanoTime() - started)
                            + " ms");
        }
        int actors = failing.size();
        if (actors > 0) {
            String reason =
                    failing.stream()
                            .map(cell -> cell.saveFailure)
                            .filter(r -> r != null)
                            .findFirst()
                            .orElse("unknown");
            return RuntimeHealth.failing(
                    "state saves are failing for " + actors + " actor(s): " + reason);
        }
        String store = lastStoreFailure;
        return store == null
                ? RuntimeHealth.OK
                : RuntimeHealth.failing("the last state save failed: " + store);
    }

    /** Writes everything still dirty, then stops the thread (waiting at most the save timeout). */
    @Override
    public void close() {
        closing = true;
        LockSupport.unpark(thread);
        try {
            if (!thread.join(closeTimeout)) {
                log.error(
                        "the state saver did not finish its last writes within {}; the states still queued are not "
                                + "saved",
                        closeTimeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
