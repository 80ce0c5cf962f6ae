package dev.rivetkitjava.actor;

import java.time.Duration;
import java.util.PriorityQueue;

/**
 * A clock that moves only when told to, for tests: {@link #advance} runs every task that falls due,
 * in time order, on the calling thread, so a test can assert right after it.
 */
public final class ManualClock implements ActorClock {
    private record Task(long at, long seq, Runnable run) {}

    private final PriorityQueue<Task> tasks =
            new PriorityQueue<>(
                    (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
    private long now;
    private long seq;

    public ManualClock(long startEpochMillis) {
        this.now = startEpochMillis;
    }

    public ManualClock() {
        this(1_700_000_000_000L);
    }

    @Override
    public synchronized long nowMillis() {
        return now;
    }

    @Override
    public synchronized Runnable schedule(long epochMillis, Runnable task) {
        Task entry = new Task(epochMillis, seq++, task);
        tasks.add(entry);
        return () -> {
            synchronized (this) {
                tasks.remove(entry);
            }
        };
    }

    /**
     * Moves time forward by {@code duration}, running due tasks (and tasks they schedule that fall
     * due).
     */
    public void advance(Duration duration) {
        long target;
        synchronized (this) {
            target = now + duration.toMillis();
        }
        while (true) {
            Task next;
            synchronized (this) {
                next = tasks.peek();
                if (next == null || next.at > target) {
                    now = target;
                    return;
                }
                tasks.poll();
                now = Math.max(now, next.at);
            }
            next.run.run();
        }
    }

    /** How many tasks wait, for assertions about timers. */
    public synchronized int pendingTasks() {
        return tasks.size();
    }
}
