package dev.rivetkitjava.benchmarks.jmh;

import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.store.NewActor;
import dev.rivetkitjava.actor.store.StateWrite;
import dev.rivetkitjava.actor.store.sqlite.SqliteActorStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Durable state saves on the embedded SQLite store: one transaction per batch, as the runtime's
 * saver writes them. Saves per second = the score (batches/s) × batchSize.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Benchmark)
public class SqliteSaveBenchmark {
    @Param({"1", "100"})
    public int batchSize;

    @Param({"512"})
    public int stateBytes;

    private Path dir;
    private SqliteActorStore store;
    private List<StateWrite> batch;

    @Setup(Level.Trial)
    public void open() throws IOException {
        dir = Files.createTempDirectory("rivetkit-bench");
        store = SqliteActorStore.open(dir.resolve("actors.db"));
        batch = new ArrayList<>();
        byte[] state =
                ("{\"v\":\"" + "x".repeat(stateBytes - 8) + "\"}").getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < batchSize; i++) {
            String id = "actor-" + i;
            store.insertIfAbsent(
                    new NewActor(id, "counter", ActorKey.of(String.valueOf(i)), 0, null));
            long generation = store.claim(id).orElseThrow().generation();
            batch.add(new StateWrite(id, generation, state, 1));
        }
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        store.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Benchmark
    public int saveBatch() {
        return store.saveStates(batch).size();
    }
}
