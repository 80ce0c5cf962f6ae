package dev.rivetkitjava.actor.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rivetkitjava.actor.ActorError;
import dev.rivetkitjava.actor.ActorHandle;
import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.ActorType;
import dev.rivetkitjava.actor.Registry;
import dev.rivetkitjava.actor.RuntimeHealth;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults of a real SQLite store: it fills up ({@code SQLITE_FULL}, through {@code max_page_count})
 * under actors writing with durable replies, then gets room again.
 */
class StoreFaultTest {
    /** Fixed size: its saves rewrite its row in place and fit in a full file. */
    public record Steady(int count, String padding) {}

    /** Grows by 2 KB a call: its saves need new pages. */
    public record Growing(List<String> chunks) {}

    static final ActorType<Steady, Void> STEADY =
            ActorType.builder("steady", Steady.class)
                    .createState(c -> new Steady(0, "s".repeat(200)))
                    .action(
                            "increment",
                            c -> {
                                c.setState(new Steady(c.state().count() + 1, c.state().padding()));
                                return c.state().count();
                            })
                    .build();

    static final ActorType<Growing, Void> GROWER =
            ActorType.builder("grower", Growing.class)
                    .createState(c -> new Growing(List.of()))
                    .action(
                            "append",
                            c -> {
                                List<String> chunks = new ArrayList<>(c.state().chunks());
                                chunks.add("g".repeat(2_000));
                                c.setState(new Growing(chunks));
                                return chunks.size();
                            })
                    .build();

    @TempDir Path dir;

    @Test
    void aFullStoreLosesNoAcknowledgedWriteStopsOnlyTheActorsThatNeedRoomAndRecoversByItself()
            throws Exception {
        Path file = dir.resolve("actors.db");
        SqliteActorStore store = SqliteActorStore.open(file);
        Map<String, Integer> acked = new ConcurrentHashMap<>();
        AtomicInteger steadyErrors = new AtomicInteger();
        AtomicInteger growerErrors = new AtomicInteger();
        List<String> otherErrors = new ArrayList<>();
        try (Registry registry =
                        Registry.builder()
                                .use(STEADY)
                                .use(GROWER)
                                .store(store)
                                .saveTimeout(Duration.ofSeconds(5))
                                .build();
                ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<ActorHandle> steady = new ArrayList<>();
            List<ActorHandle> growers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                steady.add(registry.actor("steady").getOrCreate(ActorKey.of("s" + i)));
                growers.add(registry.actor("grower").getOrCreate(ActorKey.of("g" + i)));
                acked.put("s" + i, steady.getLast().action("increment", Integer.class));
                acked.put("g" + i, growers.getLast().action("append", Integer.class));
            }
            // The file may not grow any more: a save that needs a new page is SQLITE_FULL.
            String pages = store.pragma("page_count");
            assertThat(store.pragma("max_page_count = " + pages)).isEqualTo(pages);

            for (int round = 0; round < 30; round++) {
                List<Future<?>> calls = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    String s = "s" + i;
                    String g = "g" + i;
                    ActorHandle st = steady.get(i);
                    ActorHandle gr = growers.get(i);
                    calls.add(
                            callers.submit(
                                    () ->
                                            call(
                                                    () -> st.action("increment", Integer.class),
                                                    s,
                                                    acked,
                                                    steadyErrors,
                                                    otherErrors)));
                    calls.add(
                            callers.submit(
                                    () ->
                                            call(
                                                    () -> gr.action("append", Integer.class),
                                                    g,
                                                    acked,
                                                    growerErrors,
                                                    otherErrors)));
                }
                for (Future<?> call : calls) {
                    call.get();
                }
            }
            assertThat(otherErrors).isEmpty();
            // The store was full for the growers, and the steady actors never stopped.
            assertThat(growerErrors.get()).isGreaterThan(0);
            assertThat(steadyErrors.get()).isZero();
            for (int i = 0; i < 3; i++) {
                assertThat(acked.get("s" + i)).isEqualTo(31);
            }
            RuntimeHealth failing = registry.health();
            assertThat(failing.ok()).isFalse();
            assertThat(failing.reason()).contains("full");
            assertThat(registry.stats().stateSaveFailingActors()).isGreaterThan(0);

            // Room again: the growers recover by themselves (retried with back-off), nobody calls
            // them.
            store.pragma("max_page_count = 1073741823");
            await().atMost(Duration.ofSeconds(30)).until(() -> registry.health().ok());
            assertThat(registry.stats().stateSaveFailingActors()).isZero();
        }

        // Every acknowledged write is in the file; the growers' unacknowledged appends too (kept in
        // memory).
        try (SqliteActorStore reopened = SqliteActorStore.open(file)) {
            ObjectMapper json = new ObjectMapper();
            for (int i = 0; i < 3; i++) {
                int count =
                        json.readTree(
                                        reopened.findByKey("steady", ActorKey.of("s" + i))
                                                .orElseThrow()
                                                .state())
                                .get("count")
                                .asInt();
                assertThat(count).isEqualTo(acked.get("s" + i));
                int chunks =
                        json.readTree(
                                        reopened.findByKey("grower", ActorKey.of("g" + i))
                                                .orElseThrow()
                                                .state())
                                .get("chunks")
                                .size();
                assertThat(chunks).isGreaterThanOrEqualTo(acked.get("g" + i)).isEqualTo(31);
            }
        }
    }

    private static void call(
            java.util.function.Supplier<Integer> action,
            String key,
            Map<String, Integer> acked,
            AtomicInteger saveFailures,
            List<String> otherErrors) {
        try {
            int value = action.get();
            acked.merge(key, value, Math::max);
        } catch (ActorError e) {
            if (e.qualifiedCode().equals("actor.state_save_failed")) {
                saveFailures.incrementAndGet();
            } else {
                synchronized (otherErrors) {
                    otherErrors.add(e.toString());
                }
            }
        }
    }

    @Test
    void theStoreSyncsEveryCommit() {
        try (SqliteActorStore store = SqliteActorStore.open(dir.resolve("sync.db"))) {
            assertThat(store.pragma("synchronous")).isEqualTo("2"); // FULL
            assertThat(store.pragma("journal_mode")).isEqualTo("wal");
        }
    }
}
