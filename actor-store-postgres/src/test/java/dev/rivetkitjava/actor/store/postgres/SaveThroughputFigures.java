package dev.rivetkitjava.actor.store.postgres;

import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.store.NewActor;
import dev.rivetkitjava.actor.store.StateWrite;
import dev.rivetkitjava.testing.postgres.EmbeddedPostgresFixture;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Not a test: prints state saves (256 bytes each) per second against the embedded PostgreSQL server
 * over loopback, one save per transaction and 100 per transaction, as the runtime's saver batches
 * its dirty actors. A rough figure, no JMH: run it from the IDE or with the module's test classpath
 * ({@code java -cp … SaveThroughputFigures}).
 *
 * <p>The embedded server runs with zonky's {@code synchronous_commit=off}: commits do not wait for
 * the WAL flush. A production server with {@code synchronous_commit=on} pays a flush per
 * transaction, which batching divides by 100.
 */
public final class SaveThroughputFigures {
    private static final int ACTORS = 100;
    private static final byte[] STATE = new byte[256];

    private SaveThroughputFigures() {}

    public static void main(String[] args) {
        Arrays.fill(STATE, (byte) '7');
        try (PostgresActorStore store =
                PostgresActorStore.builder()
                        .jdbcUrl(EmbeddedPostgresFixture.jdbcUrl())
                        .schema("figures_" + ProcessHandle.current().pid())
                        .build()) {
            List<StateWrite> writes = new ArrayList<>();
            for (int i = 0; i < ACTORS; i++) {
                String id = "actor-" + i;
                store.insertIfAbsent(new NewActor(id, "counter", ActorKey.of(id), 1, null));
                writes.add(
                        new StateWrite(id, store.claim(id).orElseThrow().generation(), STATE, 1));
            }
            for (int round = 0; round < 3; round++) {
                System.out.printf(
                        "round %d: %,.0f saves/s one per transaction, %,.0f saves/s 100 per transaction%n",
                        round + 1, single(store, writes, 2_000), batched(store, writes, 200));
            }
        }
        System.exit(0);
    }

    private static double single(PostgresActorStore store, List<StateWrite> writes, int saves) {
        long started = System.nanoTime();
        for (int i = 0; i < saves; i++) {
            store.saveStates(List.of(writes.get(i % ACTORS)));
        }
        return saves / ((System.nanoTime() - started) / 1e9);
    }

    private static double batched(PostgresActorStore store, List<StateWrite> writes, int batches) {
        long started = System.nanoTime();
        for (int i = 0; i < batches; i++) {
            store.saveStates(writes);
        }
        return batches * (double) ACTORS / ((System.nanoTime() - started) / 1e9);
    }
}
