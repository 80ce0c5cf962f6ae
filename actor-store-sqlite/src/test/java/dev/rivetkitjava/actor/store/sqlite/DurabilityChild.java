package dev.rivetkitjava.actor.store.sqlite;

import dev.rivetkitjava.actor.ActorHandle;
import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.ActorType;
import dev.rivetkitjava.actor.Registry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Run in a child JVM by {@link KillDurabilityTest}: increments four counters on a SQLite store
 * forever, printing {@code acked <key> <count> <epochMillis>} after each increment returns, until
 * it is killed. The second argument says how replies go: {@code durable} (the default: after the
 * save) or {@code fast} ({@code replyBeforeSave}).
 */
public final class DurabilityChild {
    public record Count(long count, String padding) {}

    static ActorType<Count, Void> counter(boolean fast) {
        ActorType.Builder<Count, Void> builder =
                ActorType.builder("counter", Count.class)
                        .createState(c -> new Count(0, "x".repeat(2_000)))
                        .action(
                                "increment",
                                c -> {
                                    c.setState(
                                            new Count(c.state().count() + 1, c.state().padding()));
                                    return c.state().count();
                                });
        return fast ? builder.replyBeforeSave().build() : builder.build();
    }

    public static void main(String[] args) {
        boolean fast = args.length > 1 && args[1].equals("fast");
        Registry registry =
                Registry.builder()
                        .use(counter(fast))
                        .store(SqliteActorStore.open(Path.of(args[0])))
                        .build();
        List<ActorHandle> counters = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ActorHandle handle = registry.actor("counter").getOrCreate(ActorKey.of("c" + i));
            counters.add(handle);
            System.out.println("id c" + i + " " + handle.resolve());
        }
        System.out.flush();
        while (true) {
            for (int i = 0; i < counters.size(); i++) {
                long count = counters.get(i).action("increment", Long.class);
                System.out.println("acked c" + i + " " + count + " " + System.currentTimeMillis());
                // Every ack must reach the parent before the next increment: its upper bound relies
                // on it.
                System.out.flush();
            }
        }
    }
}
