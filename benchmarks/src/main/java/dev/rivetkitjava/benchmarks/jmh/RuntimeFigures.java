package dev.rivetkitjava.benchmarks.jmh;

import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.ActorType;
import dev.rivetkitjava.actor.ManualClock;
import dev.rivetkitjava.actor.Registry;
import dev.rivetkitjava.actor.store.sqlite.SqliteActorStore;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Figures JMH does not measure well: heap per awake idle actor, heap once they sleep, and cold-wake
 * latency percentiles from SQLite. Run by {@code bin/bench}; arguments: [actors for memory] [actors
 * for wake].
 */
public final class RuntimeFigures {
    public record Small(int count) {}

    public record Big(String payload) {}

    static final ActorType<Small, Void> SMALL =
            ActorType.builder("small", Small.class)
                    .createState(c -> new Small(0))
                    .action("get", c -> c.state().count())
                    .build();

    static final ActorType<Big, Void> BIG =
            ActorType.builder("big", Big.class)
                    .createState(c -> new Big("x".repeat(4_000)))
                    .action("size", c -> c.state().payload().length())
                    .build();

    public static void main(String[] args) throws Exception {
        int memoryActors = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int wakeActors = args.length > 1 ? Integer.parseInt(args[1]) : 5_000;
        Path dir = Files.createTempDirectory("rivetkit-figures");
        memory(dir.resolve("memory.db"), memoryActors);
        coldWake(dir.resolve("wake.db"), wakeActors);
    }

    private static void memory(Path db, int actors) throws Exception {
        ManualClock clock = new ManualClock();
        try (Registry registry =
                Registry.builder()
                        .use(SMALL)
                        .clock(clock)
                        .store(SqliteActorStore.open(db))
                        .build()) {
            registry.actor(SMALL).getOrCreate(ActorKey.of("warm-up")).action("get", Integer.class);
            long baseline = usedHeap();
            parallel(
                    actors,
                    i -> {
                        registry.actor(SMALL)
                                .getOrCreate(ActorKey.of("a" + i))
                                .action("get", Integer.class);
                        return i;
                    });
            long awake = usedHeap();
            clock.advance(Duration.ofMinutes(1));
            long asleep = usedHeap();
            System.out.printf(
                    "memory: %,d awake idle actors: %,d bytes of heap each (runtime + a 1-int state + its JSON)%n",
                    actors, (awake - baseline) / actors);
            System.out.printf(
                    "memory: after they all slept: %,d bytes of heap each%n",
                    Math.max(0, asleep - baseline) / actors);
        }
    }

    private static void coldWake(Path db, int actors) throws Exception {
        List<String> ids;
        try (Registry registry =
                Registry.builder().use(BIG).store(SqliteActorStore.open(db)).build()) {
            ids =
                    parallel(
                            actors,
                            i -> registry.actor(BIG).getOrCreate(ActorKey.of("b" + i)).resolve());
            parallel(
                    actors,
                    i -> {
                        registry.actor(BIG).getForId(ids.get(i)).action("size", Integer.class);
                        return i;
                    });
        }
        // A fresh registry: every actor is asleep in SQLite; each call below wakes one (read,
        // claim, deserialise).
        try (Registry registry =
                Registry.builder().use(BIG).store(SqliteActorStore.open(db)).build()) {
            long[] nanos = new long[actors];
            for (int i = 0; i < actors; i++) {
                long start = System.nanoTime();
                registry.actor(BIG).getForId(ids.get(i)).action("size", Integer.class);
                nanos[i] = System.nanoTime() - start;
            }
            Arrays.sort(nanos);
            System.out.printf(
                    "cold wake (%,d actors, 4 KB state, SQLite): p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms%n",
                    actors,
                    ms(nanos, 0.50),
                    ms(nanos, 0.99),
                    ms(nanos, 0.999),
                    nanos[actors - 1] / 1e6);
        }
    }

    private static double ms(long[] sorted, double quantile) {
        return sorted[(int) Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))]
                / 1e6;
    }

    interface Task<T> {
        T run(int index) throws Exception;
    }

    private static <T> List<T> parallel(int count, Task<T> task) throws Exception {
        List<Future<T>> futures = new ArrayList<>(count);
        try (ExecutorService pool =
                Executors.newFixedThreadPool(64, Thread.ofVirtual().factory())) {
            for (int i = 0; i < count; i++) {
                int index = i;
                futures.add(pool.submit(() -> task.run(index)));
            }
        }
        List<T> results = new ArrayList<>(count);
        for (Future<T> future : futures) {
            results.add(future.get());
        }
        return results;
    }

    private static long usedHeap() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
