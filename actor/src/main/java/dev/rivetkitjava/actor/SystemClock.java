package dev.rivetkitjava.actor;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * One timer thread for the whole process; due tasks run on virtual threads so a slow one delays no
 * other.
 */
final class SystemClock implements ActorClock {
    static final SystemClock INSTANCE = new SystemClock();

    private final ScheduledThreadPoolExecutor timer;

    private SystemClock() {
        timer =
                new ScheduledThreadPoolExecutor(
                        1,
                        r -> {
                            Thread thread = new Thread(r, "rivetkit-timer");
                            thread.setDaemon(true);
                            return thread;
                        });
        timer.setRemoveOnCancelPolicy(true);
    }

    @Override
    public long nowMillis() {
        return System.currentTimeMillis();
    }

    @Override
    public Runnable schedule(long epochMillis, Runnable task) {
        long delay = Math.max(0, epochMillis - nowMillis());
        ScheduledFuture<?> future =
                timer.schedule(
                        () -> {
                            Thread.startVirtualThread(task);
                        },
                        delay,
                        TimeUnit.MILLISECONDS);
        return () -> future.cancel(false);
    }
}
