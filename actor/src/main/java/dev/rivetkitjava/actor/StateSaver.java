package dev.rivetkitjava.actor;

import dev.rivetkitjava.actor.store.ActorStore;
import dev.rivetkitjava.actor.store.StateWrite;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that writes actor state to the store. Dirty actors are serialised and written together once per
 * interval (one transaction for all of them); urgent writes (before sleep, {@code saveState()}) go at once.
 * Because every write for an actor passes through this thread in the order it was serialised, a slower older
 * write can never overwrite a newer one.
 */
final class StateSaver implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StateSaver.class);

    /** A serialised state waiting for the store; {@code done} completes once it is durable (or failed). */
    record PendingWrite(ActorCell<?, ?> cell, StateWrite write, CompletableFuture<Void> done) {
    }

    private final ActorStore store;
    private final long intervalNanos;
    private final ConcurrentLinkedQueue<ActorCell<?, ?>> dirtyCells = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<PendingWrite> urgent = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private volatile boolean closing;
    private final java.util.concurrent.atomic.LongAdder batches = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder writes = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder nanos = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder failures = new java.util.concurrent.atomic.LongAdder();

    StateSaver(ActorStore store, Duration interval) {
        this.store = store;
        this.intervalNanos = interval.toNanos();
        this.thread = Thread.ofPlatform().daemon().name("rivetkit-state-saver").start(this::run);
    }

    /** Called once per clean-to-dirty transition of a cell. */
    void markDirty(ActorCell<?, ?> cell) {
        dirtyCells.add(cell);
    }

    /** Queues a write ahead of the interval; the caller waits on the returned future. */
    CompletableFuture<Void> submitUrgent(ActorCell<?, ?> cell, StateWrite write) {
        PendingWrite pending = new PendingWrite(cell, write, new CompletableFuture<>());
        urgent.add(pending);
        LockSupport.unpark(thread);
        return pending.done();
    }

    private void run() {
        long nextPeriodic = System.nanoTime() + intervalNanos;
        while (true) {
            boolean finalRound = closing;
            long now = System.nanoTime();
            if (urgent.isEmpty() && now < nextPeriodic && !finalRound) {
                LockSupport.parkNanos(this, nextPeriodic - now);
                continue;
            }
            List<PendingWrite> batch = new ArrayList<>();
            for (PendingWrite w; (w = urgent.poll()) != null; ) {
                batch.add(w);
            }
            if (System.nanoTime() >= nextPeriodic || finalRound) {
                collectDirty(batch);
                nextPeriodic = System.nanoTime() + intervalNanos;
            }
            write(batch);
            if (finalRound && urgent.isEmpty() && dirtyCells.isEmpty()) {
                return;
            }
        }
    }

    private void collectDirty(List<PendingWrite> batch) {
        // A cell with an urgent write in this batch is held by a thread waiting for the batch: its turn would not
        // come, and its state is in the batch already.
        Set<ActorCell<?, ?>> urgentCells = Collections.newSetFromMap(new IdentityHashMap<>());
        batch.forEach(pending -> urgentCells.add(pending.cell()));
        List<ActorCell<?, ?>> busy = new ArrayList<>();
        for (ActorCell<?, ?> cell; (cell = dirtyCells.poll()) != null; ) {
            cell.queuedForSave.set(false);
            if (urgentCells.contains(cell)) {
                continue;
            }
            StateSaver.PendingWrite pending = cell.serializeIfDirty();
            if (pending == ActorCell.BUSY) {
                busy.add(cell);
            } else if (pending != null) {
                batch.add(pending);
            }
        }
        for (ActorCell<?, ?> cell : busy) {
            if (cell.queuedForSave.compareAndSet(false, true)) {
                dirtyCells.add(cell);
            }
        }
    }

    /** Cells waiting for the next periodic save: each at most once. */
    int queuedCells() {
        return dirtyCells.size();
    }

    private void write(List<PendingWrite> batch) {
        if (batch.isEmpty()) {
            return;
        }
        Set<String> skipped;
        long start = System.nanoTime();
        try {
            skipped = store.saveStates(batch.stream().map(PendingWrite::write).toList());
            batches.increment();
            writes.add(batch.size());
        } catch (RuntimeException e) {
            failures.increment();
            log.error("saving the state of {} actors failed; will retry", batch.size(), e);
            for (PendingWrite pending : batch) {
                // First release an urgent writer, which waits holding the turn that saveFailed takes.
                pending.done().completeExceptionally(e);
                pending.cell().saveFailed();
            }
            return;
        } finally {
            nanos.add(System.nanoTime() - start);
        }
        for (PendingWrite pending : batch) {
            if (skipped.contains(pending.write().actorId())) {
                pending.cell().fenced();
                pending.done().completeExceptionally(ActorErrors.fenced(pending.write().actorId()));
            } else {
                pending.done().complete(null);
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

    /** Writes everything still dirty, then stops the thread. */
    @Override
    public void close() {
        closing = true;
        LockSupport.unpark(thread);
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
