package dev.rivetkitjava.benchmarks.jmh;

import dev.rivetkitjava.actor.ActorHandle;
import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.ActorType;
import dev.rivetkitjava.actor.Registry;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * In-process actions on a warm actor: the runtime's own cost (turn, lookup, dispatch, dirty
 * tracking) with replies that do not wait for the save, and, for comparison, one caller whose
 * replies wait until the state is durable (the default; the in-memory store, so what it adds is the
 * hand-off to the saver thread and back, not a disk).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ActionBenchmark {
    public record Count(long count) {}

    static final ActorType<Count, Void> COUNTER = counter("counter", true);
    static final ActorType<Count, Void> DURABLE_COUNTER = counter("durable-counter", false);

    private static ActorType<Count, Void> counter(String name, boolean replyBeforeSave) {
        ActorType.Builder<Count, Void> builder =
                ActorType.builder(name, Count.class)
                        .createState(c -> new Count(0))
                        .action(
                                "increment",
                                c -> {
                                    c.setState(new Count(c.state().count() + 1));
                                    return c.state().count();
                                });
        return (replyBeforeSave ? builder.replyBeforeSave() : builder).build();
    }

    @State(Scope.Benchmark)
    public static class Shared {
        Registry registry;
        ActorHandle actor;
        ActorHandle durableActor;

        @Setup(Level.Trial)
        public void start() {
            registry = Registry.builder().use(COUNTER).use(DURABLE_COUNTER).build();
            actor = registry.actor("counter").getOrCreate(ActorKey.of("shared"));
            actor.action("increment", Long.class);
            durableActor = registry.actor("durable-counter").getOrCreate(ActorKey.of("shared"));
            durableActor.action("increment", Long.class);
        }

        @TearDown(Level.Trial)
        public void stop() {
            registry.close();
        }
    }

    /** One actor per benchmark thread, so threads do not contend for one actor's turn. */
    @State(Scope.Thread)
    public static class Own {
        ActorHandle actor;

        @Setup(Level.Trial)
        public void start(Shared shared) {
            actor =
                    shared.registry
                            .actor("counter")
                            .getOrCreate(ActorKey.of("own", Thread.currentThread().getName()));
            actor.action("increment", Long.class);
        }
    }

    @Benchmark
    @Threads(1)
    public @Nullable Long oneCallerOneActor(Shared shared) {
        return shared.actor.action("increment", Long.class);
    }

    @Benchmark
    @Threads(2)
    public @Nullable Long twoCallersOneActor(Shared shared) {
        return shared.actor.action("increment", Long.class);
    }

    @Benchmark
    @Threads(2)
    public @Nullable Long twoCallersTwoActors(Own own) {
        return own.actor.action("increment", Long.class);
    }

    @Benchmark
    @Threads(1)
    public @Nullable Long oneCallerDurableReply(Shared shared) {
        return shared.durableActor.action("increment", Long.class);
    }
}
