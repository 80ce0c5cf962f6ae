package dev.rivetkitjava.actor;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.rivetkitjava.actor.store.InMemoryActorStore;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code c.kv()}: durable on return, usable without the turn, fenced, gone with the actor. */
class KvTest {
    record Empty(int unused) {}

    private final AtomicReference<ActorContext<Empty, Void>> context = new AtomicReference<>();
    private final CompletableFuture<Void> gate = new CompletableFuture<>();
    private final CountDownLatch holding = new CountDownLatch(1);
    private final InMemoryActorStore store = new InMemoryActorStore();
    private final ManualClock clock = new ManualClock();
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    @AfterEach
    void stopThreads() {
        threads.close();
    }

    private Registry registry() {
        ActorType<Empty, Void> notes =
                ActorType.builder("notes", Empty.class)
                        .createState(c -> new Empty(0))
                        .onCreate((c, input) -> c.kv().put("created", bytes("in onCreate")))
                        .onWake(context::set)
                        .actionWithArgs(
                                "put",
                                (c, args) -> {
                                    c.kv().put(
                                                    args.get(0, String.class),
                                                    bytes(args.get(1, String.class)));
                                    return null;
                                })
                        .action(
                                "get",
                                String.class,
                                (c, key) ->
                                        c.kv().get(key).map(v -> new String(v, UTF_8)).orElse(null))
                        .action(
                                "holdTurn",
                                c -> {
                                    holding.countDown();
                                    gate.join();
                                    return null;
                                })
                        .action(
                                "destroy",
                                c -> {
                                    c.destroy();
                                    return null;
                                })
                        .sleepTimeout(Duration.ofSeconds(10))
                        .build();
        return Registry.builder()
                .use(notes)
                .store(store)
                .clock(clock)
                .saveInterval(Duration.ofHours(1))
                .build();
    }

    @Test
    void aWriteIsInTheStoreWhenItReturns() {
        try (Registry registry = registry()) {
            ActorHandle actor = registry.actor("notes").getOrCreate(ActorKey.of("a"));
            actor.action("put", Void.class, "greeting", "hello");

            String id = actor.resolve();
            assertThat(store.kvGet(id, "greeting")).get().isEqualTo(bytes("hello"));
            assertThat(store.kvGet(id, "created")).get().isEqualTo(bytes("in onCreate"));
            assertThat(actor.action("get", String.class, "greeting")).isEqualTo("hello");
            assertThat(actor.action("get", String.class, "missing")).isNull();
        }
    }

    @Test
    void aForeignThreadWritesWithoutWaitingForTheTurn() throws Exception {
        try (Registry registry = registry()) {
            ActorHandle actor = registry.actor("notes").getOrCreate(ActorKey.of("a"));
            CompletableFuture<Object> action =
                    CompletableFuture.supplyAsync(
                            () -> actor.action("holdTurn", Object.class), threads);
            holding.await();
            ActorKv kv = context.get().kv();

            CompletableFuture.runAsync(
                            () ->
                                    kv.write(
                                            KvBatch.builder()
                                                    .put("log/1", bytes("one"))
                                                    .put("log/2", bytes("two"))
                                                    .put("other", bytes("x"))
                                                    .build()),
                            threads)
                    .get();
            CompletableFuture.runAsync(() -> kv.delete("other"), threads).get();

            assertThat(action).isNotDone();
            assertThat(kv.list("log/", null, 10))
                    .extracting(KvEntry::key)
                    .containsExactly("log/1", "log/2");
            assertThat(kv.list("", "log/1", 10)).extracting(KvEntry::key).containsExactly("log/2");
            assertThat(kv.get("other")).isEmpty();
            gate.complete(null);
            action.get();
        }
    }

    @Test
    void aStaleActivationsWriteFailsAsFencedAndWritesNothing() {
        try (Registry first = registry()) {
            ActorHandle actor = first.actor("notes").getOrCreate(ActorKey.of("a"));
            actor.action("put", Void.class, "k", "first");
            ActorContext<Empty, Void> stale = context.get();
            String id = actor.resolve();
            // A second runtime on the same store wakes the actor: a new activation, a newer
            // generation.
            try (Registry second = registry()) {
                second.actor("notes")
                        .getOrCreate(ActorKey.of("a"))
                        .action("put", Void.class, "k", "second");

                assertThatThrownBy(() -> stale.kv().put("k", bytes("stale")))
                        .isInstanceOfSatisfying(
                                ActorError.class,
                                e -> assertThat(e.qualifiedCode()).isEqualTo("actor.fenced"));
                assertThat(store.kvGet(id, "k")).get().isEqualTo(bytes("second"));
                assertThat(first.stats().fencedWrites()).isEqualTo(1);
                await().untilAsserted(
                                () ->
                                        assertThatThrownBy(() -> stale.kv().get("k"))
                                                .isInstanceOfSatisfying(
                                                        ActorError.class,
                                                        e ->
                                                                assertThat(e.qualifiedCode())
                                                                        .isEqualTo(
                                                                                "actor.stopped")));
            }
        }
    }

    @Test
    void afterSleepCallsFailClearlyAndTheEntriesAreThereOnWake() {
        try (Registry registry = registry()) {
            ActorHandle actor = registry.actor("notes").getOrCreate(ActorKey.of("a"));
            actor.action("put", Void.class, "k", "kept");
            ActorKv slept = context.get().kv();
            clock.advance(Duration.ofSeconds(10));

            assertThatThrownBy(() -> slept.put("k", bytes("late")))
                    .isInstanceOfSatisfying(
                            ActorError.class,
                            e -> assertThat(e.qualifiedCode()).isEqualTo("actor.stopped"));
            assertThatThrownBy(() -> slept.list("", null, 1)).isInstanceOf(ActorError.class);
            assertThat(actor.action("get", String.class, "k")).isEqualTo("kept");
        }
    }

    @Test
    void destroyDeletesTheEntries() {
        try (Registry registry = registry()) {
            ActorHandle actor = registry.actor("notes").getOrCreate(ActorKey.of("a"));
            actor.action("put", Void.class, "k", "v");
            String id = actor.resolve();

            actor.action("destroy", Void.class);

            await().until(() -> store.findById(id).isEmpty());
            assertThat(store.kvList(id, "", null, 10)).isEmpty();
            ActorHandle reborn = registry.actor("notes").getOrCreate(ActorKey.of("a"));
            assertThat(reborn.action("get", String.class, "k")).isNull();
        }
    }

    @Test
    void badKeysAndValuesAreRefusedAndNothingOfTheBatchIsWritten() {
        try (Registry registry = registry()) {
            ActorHandle actor = registry.actor("notes").getOrCreate(ActorKey.of("a"));
            actor.action("get", String.class, "k");
            ActorKv kv = context.get().kv();

            assertThatThrownBy(() -> kv.put("", bytes("v")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("empty");
            assertThatThrownBy(() -> kv.put(null, bytes("v")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("null");
            assertThatThrownBy(
                            () ->
                                    kv.write(
                                            KvBatch.builder()
                                                    .put("good", bytes("v"))
                                                    .put("bad\uD800", bytes("v"))
                                                    .build()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("unpaired surrogate");
            assertThatThrownBy(() -> kv.put("x".repeat(KvBatch.MAX_KEY_BYTES + 1), bytes("v")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("1025 bytes");
            assertThatThrownBy(
                            () ->
                                    kv.write(
                                            new KvBatch(
                                                    Collections.singletonMap("good", null),
                                                    List.of(),
                                                    List.of())))
                    .isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("good");
            assertThatThrownBy(
                            () ->
                                    kv.write(
                                            KvBatch.builder()
                                                    .put("good", bytes("v"))
                                                    .deletePrefix("")
                                                    .build()))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> kv.list("", null, -1))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> kv.get("")).isInstanceOf(IllegalArgumentException.class);

            assertThat(kv.list("", null, 10)).extracting(KvEntry::key).containsExactly("created");
            kv.put("x".repeat(KvBatch.MAX_KEY_BYTES), new byte[0]);
            assertThat(kv.get("x".repeat(KvBatch.MAX_KEY_BYTES))).get().isEqualTo(new byte[0]);
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(UTF_8);
    }
}
