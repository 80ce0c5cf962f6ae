package dev.rivetkitjava.actor.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.KvBatch;
import dev.rivetkitjava.actor.KvEntry;
import dev.rivetkitjava.actor.ScheduledEvent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link ActorStore} must have. Extend it, implement {@link #newStore()} and,
 * for a durable store, {@link #reopen(ActorStore)}.
 *
 * <p>{@link ActorStore#list} orders by the UTF-8 bytes of the serialized key (code point order),
 * which is what byte-comparing databases give; it differs from {@link String#compareTo} only
 * between characters U+E000–U+FFFF and characters above U+FFFF.
 */
public abstract class ActorStoreContract {
    private static final String COUNTER = "counter";
    private static final String CHAT = "chat";

    private ActorStore store;

    /** A new, empty store. */
    protected abstract ActorStore newStore();

    /**
     * Opens the data of {@code closed} (already closed) again; {@code null} skips the durability
     * tests.
     */
    protected ActorStore reopen(ActorStore closed) {
        return null;
    }

    @BeforeEach
    void openStore() {
        store = newStore();
    }

    @AfterEach
    void closeStore() {
        if (store != null) {
            store.close();
        }
    }

    /**
     * Closes the store and continues with the reopened one; skips the calling test when the store
     * is not durable.
     */
    private void closeAndReopen() {
        ActorStore closed = store;
        store = null;
        closed.close();
        store = reopen(closed);
        assumeTrue(store != null, "the store is not durable");
    }

    // insertIfAbsent

    @Test
    void insertCreatesAnUninitializedActorAtGenerationZero() {
        ActorRecord inserted =
                store.insertIfAbsent(
                        new NewActor("a1", COUNTER, ActorKey.of("k"), 1234, bytes("{\"n\":1}")));

        ActorRecord expected =
                new ActorRecord(
                        "a1", COUNTER, ActorKey.of("k"), 1234, bytes("{\"n\":1}"), null, 0, 0);
        assertThat(inserted).usingRecursiveComparison().isEqualTo(expected);
        assertThat(inserted.initialized()).isFalse();
        assertThat(store.findById("a1")).get().usingRecursiveComparison().isEqualTo(expected);
    }

    @Test
    void insertReturnsTheExistingActorForTheSameNameAndKey() {
        ActorRecord first =
                store.insertIfAbsent(
                        new NewActor("a1", COUNTER, ActorKey.of("k"), 1, bytes("first")));

        ActorRecord second =
                store.insertIfAbsent(
                        new NewActor("a2", COUNTER, ActorKey.of("k"), 2, bytes("second")));

        assertThat(second).usingRecursiveComparison().isEqualTo(first);
        assertThat(store.findById("a2")).isEmpty();
        assertThat(store.list(COUNTER, null, 10)).extracting(ActorRecord::id).containsExactly("a1");
    }

    @Test
    void insertOfAnExistingActorReturnsItsCurrentStateAndGeneration() {
        insert("a1", COUNTER, ActorKey.of("k"));
        store.claim("a1");
        store.saveStates(List.of(new StateWrite("a1", 1, bytes("saved"), 4)));

        ActorRecord again =
                store.insertIfAbsent(new NewActor("a2", COUNTER, ActorKey.of("k"), 2, null));

        assertThat(again.id()).isEqualTo("a1");
        assertThat(again.state()).isEqualTo(bytes("saved"));
        assertThat(again.stateVersion()).isEqualTo(4);
        assertThat(again.generation()).isEqualTo(1);
    }

    @Test
    void keysArePerName() {
        ActorRecord counter = insert("a1", COUNTER, ActorKey.of("k"));
        ActorRecord chat = insert("a2", CHAT, ActorKey.of("k"));

        assertThat(counter.id()).isEqualTo("a1");
        assertThat(chat.id()).isEqualTo("a2");
        assertThat(store.findByKey(COUNTER, ActorKey.of("k")))
                .get()
                .extracting(ActorRecord::id)
                .isEqualTo("a1");
        assertThat(store.findByKey(CHAT, ActorKey.of("k")))
                .get()
                .extracting(ActorRecord::id)
                .isEqualTo("a2");
    }

    @Test
    void concurrentInsertsOfOneKeyAgreeOnOneActor() throws Exception {
        int callers = 100;
        List<ActorRecord> results =
                concurrently(
                        callers,
                        i ->
                                () ->
                                        store.insertIfAbsent(
                                                new NewActor(
                                                        "id-" + i,
                                                        COUNTER,
                                                        ActorKey.of("hot"),
                                                        i,
                                                        bytes("in-" + i))));

        String winner = results.getFirst().id();
        assertThat(winner).startsWith("id-");
        assertThat(results).extracting(ActorRecord::id).containsOnly(winner);
        assertThat(results)
                .extracting(r -> new String(r.input(), UTF_8))
                .containsOnly("in-" + winner.substring(3));
        assertThat(store.list(COUNTER, null, callers * 2))
                .extracting(ActorRecord::id)
                .containsExactly(winner);
        assertThat(store.findByKey(COUNTER, ActorKey.of("hot")))
                .get()
                .extracting(ActorRecord::id)
                .isEqualTo(winner);
    }

    @Test
    void inputRoundTripsIncludingNullEmptyAndEveryByteValue() {
        byte[] everyByte = new byte[256];
        for (int i = 0; i < everyByte.length; i++) {
            everyByte[i] = (byte) i;
        }
        store.insertIfAbsent(new NewActor("null", COUNTER, ActorKey.of("null"), 1, null));
        store.insertIfAbsent(new NewActor("empty", COUNTER, ActorKey.of("empty"), 1, new byte[0]));
        store.insertIfAbsent(new NewActor("bytes", COUNTER, ActorKey.of("bytes"), 1, everyByte));

        assertThat(store.findById("null")).get().extracting(ActorRecord::input).isNull();
        assertThat(store.findById("empty").orElseThrow().input()).isNotNull().isEmpty();
        assertThat(store.findById("bytes").orElseThrow().input()).isEqualTo(everyByte);
    }

    // findById, findByKey

    @Test
    void findReturnsEmptyForUnknownActors() {
        insert("a1", COUNTER, ActorKey.of("k"));

        assertThat(store.findById("nope")).isEmpty();
        assertThat(store.findByKey(COUNTER, ActorKey.of("other"))).isEmpty();
        assertThat(store.findByKey(CHAT, ActorKey.of("k"))).isEmpty();
        assertThat(store.findByKey(COUNTER, ActorKey.of("k", ""))).isEmpty();
    }

    @Test
    void keysWithSeparatorsEscapesEmptyComponentsAndUnicodeRoundTrip() {
        List<ActorKey> keys = trickyKeys();
        for (int i = 0; i < keys.size(); i++) {
            insert("t" + i, COUNTER, keys.get(i));
        }

        for (int i = 0; i < keys.size(); i++) {
            ActorKey key = keys.get(i);
            assertThat(store.findByKey(COUNTER, key))
                    .as("findByKey %s", key)
                    .get()
                    .satisfies(r -> assertThat(r.key()).isEqualTo(key))
                    .extracting(ActorRecord::id)
                    .isEqualTo("t" + i);
            assertThat(store.findById("t" + i))
                    .as("findById t%d", i)
                    .get()
                    .extracting(ActorRecord::key)
                    .isEqualTo(key);
        }
        assertThat(store.list(COUNTER, null, 100))
                .extracting(ActorRecord::key)
                .containsExactlyInAnyOrderElementsOf(keys);
    }

    // list

    @Test
    void listOrdersBySerializedKey() {
        List<ActorKey> keys = new ArrayList<>(trickyKeys());
        Collections.shuffle(keys, new Random(7));
        for (int i = 0; i < keys.size(); i++) {
            insert("t" + i, COUNTER, keys.get(i));
        }

        List<ActorKey> expected =
                keys.stream()
                        .sorted(
                                Comparator.comparing(
                                        k -> k.serialize().getBytes(UTF_8),
                                        Arrays::compareUnsigned))
                        .toList();
        assertThat(store.list(COUNTER, null, 100))
                .extracting(ActorRecord::key)
                .containsExactlyElementsOf(expected);
    }

    @Test
    void listComparesKeysByCodePointNotByUtf16Unit() {
        // U+FF5E sorts before U+1F600 by code point, after it by UTF-16 unit (surrogate D83D).
        insert("emoji", COUNTER, ActorKey.of("😀"));
        insert("tilde", COUNTER, ActorKey.of("～"));

        assertThat(store.list(COUNTER, null, 10))
                .extracting(ActorRecord::id)
                .containsExactly("tilde", "emoji");
        assertThat(store.list(COUNTER, ActorKey.of("～"), 10))
                .extracting(ActorRecord::id)
                .containsExactly("emoji");
    }

    @Test
    void listPagesWithAfterKeyAndLimit() {
        for (int i = 9; i >= 0; i--) {
            insert("a" + i, COUNTER, ActorKey.of("k" + i));
        }

        assertThat(ids(store.list(COUNTER, null, 3))).containsExactly("a0", "a1", "a2");
        assertThat(ids(store.list(COUNTER, ActorKey.of("k2"), 3)))
                .containsExactly("a3", "a4", "a5");
        assertThat(ids(store.list(COUNTER, ActorKey.of("k8"), 3))).containsExactly("a9");
        assertThat(store.list(COUNTER, ActorKey.of("k9"), 3)).isEmpty();
        assertThat(ids(store.list(COUNTER, ActorKey.of("k45"), 2)))
                .as("afterKey need not exist")
                .containsExactly("a5", "a6");
        assertThat(store.list(COUNTER, null, 0)).isEmpty();

        List<String> paged = new ArrayList<>();
        ActorKey after = null;
        List<ActorRecord> page;
        while (!(page = store.list(COUNTER, after, 4)).isEmpty()) {
            paged.addAll(ids(page));
            after = page.getLast().key();
        }
        assertThat(paged)
                .containsExactly("a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9");
    }

    @Test
    void listIsFilteredByName() {
        insert("c1", COUNTER, ActorKey.of("b"));
        insert("x1", CHAT, ActorKey.of("a"));
        insert("c2", COUNTER, ActorKey.of("c"));
        insert("x2", CHAT, ActorKey.of("d"));

        assertThat(ids(store.list(COUNTER, null, 10))).containsExactly("c1", "c2");
        assertThat(ids(store.list(CHAT, null, 10))).containsExactly("x1", "x2");
        assertThat(ids(store.list(CHAT, ActorKey.of("b"), 10))).containsExactly("x2");
        assertThat(store.list("unknown", null, 10)).isEmpty();
    }

    // claim

    @Test
    void claimIncrementsTheGenerationEachTimeAndKeepsTheRest() {
        insert("a1", COUNTER, ActorKey.of("k"));
        store.claim("a1");
        store.saveStates(List.of(new StateWrite("a1", 1, bytes("s"), 2)));

        ActorRecord second = store.claim("a1").orElseThrow();
        ActorRecord third = store.claim("a1").orElseThrow();

        assertThat(second.generation()).isEqualTo(2);
        assertThat(third)
                .usingRecursiveComparison()
                .isEqualTo(
                        new ActorRecord(
                                "a1",
                                COUNTER,
                                ActorKey.of("k"),
                                1,
                                bytes("input-a1"),
                                bytes("s"),
                                2,
                                3));
        assertThat(store.findById("a1")).get().extracting(ActorRecord::generation).isEqualTo(3L);
    }

    @Test
    void claimOfAMissingActorIsEmpty() {
        assertThat(store.claim("nope")).isEmpty();
        insert("a1", COUNTER, ActorKey.of("k"));
        store.delete("a1");
        assertThat(store.claim("a1")).isEmpty();
    }

    @Test
    void concurrentClaimsEachGetTheirOwnGeneration() throws Exception {
        insert("a1", COUNTER, ActorKey.of("k"));

        List<ActorRecord> claims = concurrently(50, i -> () -> store.claim("a1").orElseThrow());

        assertThat(claims)
                .extracting(ActorRecord::generation)
                .doesNotHaveDuplicates()
                .hasSize(50)
                .allSatisfy(g -> assertThat(g).isBetween(1L, 50L));
        assertThat(store.findById("a1")).get().extracting(ActorRecord::generation).isEqualTo(50L);
    }

    // saveStates

    @Test
    void saveAppliesStateAndVersionWhenTheGenerationMatches() {
        insert("a1", COUNTER, ActorKey.of("k"));
        long generation = store.claim("a1").orElseThrow().generation();

        assertThat(
                        store.saveStates(
                                List.of(new StateWrite("a1", generation, bytes("{\"n\":5}"), 3))))
                .isEmpty();

        ActorRecord saved = store.findById("a1").orElseThrow();
        assertThat(saved)
                .usingRecursiveComparison()
                .isEqualTo(
                        new ActorRecord(
                                "a1",
                                COUNTER,
                                ActorKey.of("k"),
                                1,
                                bytes("input-a1"),
                                bytes("{\"n\":5}"),
                                3,
                                1));
        assertThat(saved.initialized()).isTrue();
    }

    @Test
    void saveOverwritesEarlierStateWithinOneGeneration() {
        insert("a1", COUNTER, ActorKey.of("k"));
        store.claim("a1");

        store.saveStates(List.of(new StateWrite("a1", 1, bytes("one"), 1)));
        store.saveStates(List.of(new StateWrite("a1", 1, new byte[0], 2)));

        ActorRecord saved = store.findById("a1").orElseThrow();
        assertThat(saved.state()).isNotNull().isEmpty();
        assertThat(saved.initialized()).isTrue();
        assertThat(saved.stateVersion()).isEqualTo(2);
    }

    @Test
    void saveSkipsStaleAndMissingActorsAndAppliesTheRestOfTheBatch() {
        insert("good1", COUNTER, ActorKey.of("g1"));
        insert("stale", COUNTER, ActorKey.of("s"));
        insert("deleted", COUNTER, ActorKey.of("d"));
        insert("good2", CHAT, ActorKey.of("g2"));
        store.claim("good1");
        store.claim("stale");
        store.saveStates(List.of(new StateWrite("stale", 1, bytes("stale-before"), 1)));
        store.claim("stale");
        store.claim("deleted");
        store.delete("deleted");
        store.claim("good2");
        store.claim("good2");

        var skipped =
                store.saveStates(
                        List.of(
                                new StateWrite("good1", 1, bytes("g1"), 7),
                                new StateWrite("stale", 1, bytes("stale-after"), 7),
                                new StateWrite("ghost", 0, bytes("x"), 7),
                                new StateWrite("deleted", 1, bytes("x"), 7),
                                new StateWrite("good2", 2, bytes("g2"), 8)));

        assertThat(skipped).containsExactlyInAnyOrder("stale", "ghost", "deleted");
        assertThat(store.findById("good1").orElseThrow().state()).isEqualTo(bytes("g1"));
        assertThat(store.findById("good2").orElseThrow())
                .extracting(ActorRecord::stateVersion)
                .isEqualTo(8);
        assertThat(store.findById("good2").orElseThrow().state()).isEqualTo(bytes("g2"));
        ActorRecord stale = store.findById("stale").orElseThrow();
        assertThat(stale.state()).isEqualTo(bytes("stale-before"));
        assertThat(stale.stateVersion()).isEqualTo(1);
        assertThat(stale.generation()).isEqualTo(2);
        assertThat(store.findById("ghost")).isEmpty();
        assertThat(store.findById("deleted")).isEmpty();
    }

    @Test
    void saveWritesItsKeyValueChangesWithTheStateAndNoneForASkippedWrite() {
        insert("a1", COUNTER, ActorKey.of("k1"));
        insert("stale", COUNTER, ActorKey.of("k2"));
        store.claim("a1");
        store.claim("stale");
        store.claim("stale");
        store.kvWrite(
                "a1",
                1,
                KvBatch.builder()
                        .put("~rivetkit/outcome/old", bytes("before"))
                        .put("~rivetkit/outcome/pruned", bytes("gone"))
                        .build());

        var skipped =
                store.saveStates(
                        List.of(
                                new StateWrite(
                                        "a1",
                                        1,
                                        bytes("s1"),
                                        1,
                                        KvBatch.builder()
                                                .put("~rivetkit/outcome/call-1", bytes("1"))
                                                .put("~rivetkit/outcome/old", bytes("after"))
                                                .delete("~rivetkit/outcome/pruned")
                                                .build()),
                                new StateWrite(
                                        "stale",
                                        1,
                                        bytes("s2"),
                                        1,
                                        KvBatch.builder()
                                                .put("~rivetkit/outcome/call-2", bytes("2"))
                                                .build())));

        assertThat(skipped).containsExactly("stale");
        assertThat(store.findById("a1").orElseThrow().state()).isEqualTo(bytes("s1"));
        assertThat(store.kvGet("a1", "~rivetkit/outcome/call-1"))
                .hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("1")));
        assertThat(store.kvGet("a1", "~rivetkit/outcome/old"))
                .hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("after")));
        assertThat(store.kvGet("a1", "~rivetkit/outcome/pruned")).isEmpty();
        assertThat(store.kvGet("stale", "~rivetkit/outcome/call-2")).isEmpty();
        assertThat(store.findById("stale").orElseThrow().initialized()).isFalse();
    }

    /**
     * Each write's changes apply in the batch's order: a later write of one actor that puts a key
     * its earlier write deleted (or the reverse) leaves what the later one says, beside another
     * actor's changes in the same batch.
     */
    @Test
    void saveAppliesTheKeyValueChangesOfSeveralWritesInTheirOrder() {
        insert("a1", COUNTER, ActorKey.of("k1"));
        insert("a2", COUNTER, ActorKey.of("k2"));
        store.claim("a1");
        store.claim("a2");
        store.kvWrite("a1", 1, KvBatch.builder().put("back", bytes("old")).build());

        var skipped =
                store.saveStates(
                        List.of(
                                new StateWrite(
                                        "a1",
                                        1,
                                        bytes("s1"),
                                        1,
                                        KvBatch.builder()
                                                .delete("back")
                                                .put("gone-again", bytes("x"))
                                                .build()),
                                new StateWrite(
                                        "a2",
                                        1,
                                        bytes("s2"),
                                        1,
                                        KvBatch.builder().put("back", bytes("of a2")).build()),
                                new StateWrite(
                                        "a1",
                                        1,
                                        bytes("s1 newer"),
                                        1,
                                        KvBatch.builder()
                                                .put("back", bytes("new"))
                                                .delete("gone-again")
                                                .build())));

        assertThat(skipped).isEmpty();
        assertThat(store.findById("a1").orElseThrow().state()).isEqualTo(bytes("s1 newer"));
        assertThat(store.kvGet("a1", "back"))
                .hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("new")));
        assertThat(store.kvGet("a1", "gone-again")).isEmpty();
        assertThat(store.kvGet("a2", "back"))
                .hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("of a2")));
    }

    @Test
    void saveOfANewerGenerationThanStoredIsSkipped() {
        insert("a1", COUNTER, ActorKey.of("k"));

        assertThat(store.saveStates(List.of(new StateWrite("a1", 1, bytes("s"), 1))))
                .containsExactly("a1");
        assertThat(store.findById("a1").orElseThrow().initialized()).isFalse();
    }

    @Test
    void saveOfAnEmptyBatchSkipsNothing() {
        assertThat(store.saveStates(List.of())).isEmpty();
    }

    @Test
    void largeStateRoundTrips() {
        byte[] big = new byte[1 << 20];
        new Random(42).nextBytes(big);
        insert("a1", COUNTER, ActorKey.of("k"));
        store.claim("a1");

        store.saveStates(List.of(new StateWrite("a1", 1, big, 1)));

        assertThat(store.findById("a1").orElseThrow().state()).isEqualTo(big);
    }

    // byte arrays are copied in and out

    @Test
    void mutatingArraysPassedInDoesNotChangeStoredData() {
        byte[] input = bytes("input");
        byte[] state = bytes("state");
        byte[] args = bytes("[1]");
        store.insertIfAbsent(new NewActor("a1", COUNTER, ActorKey.of("k"), 1, input));
        store.claim("a1");
        store.saveStates(List.of(new StateWrite("a1", 1, state, 1)));
        store.putSchedule(new ScheduledEvent("e1", "a1", 100, "tick", args));

        input[0] = 'X';
        state[0] = 'X';
        args[0] = 'X';

        ActorRecord stored = store.findById("a1").orElseThrow();
        assertThat(stored.input()).isEqualTo(bytes("input"));
        assertThat(stored.state()).isEqualTo(bytes("state"));
        assertThat(store.schedules("a1").getFirst().args()).isEqualTo(bytes("[1]"));
    }

    @Test
    void mutatingArraysReturnedDoesNotChangeStoredData() {
        store.insertIfAbsent(new NewActor("a1", COUNTER, ActorKey.of("k"), 1, bytes("input")))
                        .input()[0] =
                'X';
        store.claim("a1").orElseThrow().input()[1] = 'X';
        store.saveStates(List.of(new StateWrite("a1", 1, bytes("state"), 1)));
        store.findById("a1").orElseThrow().state()[0] = 'X';
        store.findByKey(COUNTER, ActorKey.of("k")).orElseThrow().state()[1] = 'X';
        store.list(COUNTER, null, 1).getFirst().state()[2] = 'X';
        store.putSchedule(new ScheduledEvent("e1", "a1", 100, "tick", bytes("[1]")));
        store.schedules("a1").getFirst().args()[0] = 'X';

        ActorRecord stored = store.findById("a1").orElseThrow();
        assertThat(stored.input()).isEqualTo(bytes("input"));
        assertThat(stored.state()).isEqualTo(bytes("state"));
        assertThat(store.schedules("a1").getFirst().args()).isEqualTo(bytes("[1]"));
    }

    // delete

    @Test
    void deleteFreesTheKeyForANewActor() {
        insert("a1", COUNTER, ActorKey.of("k"));
        store.claim("a1");
        store.saveStates(List.of(new StateWrite("a1", 1, bytes("old"), 1)));

        store.delete("a1");

        assertThat(store.findById("a1")).isEmpty();
        assertThat(store.findByKey(COUNTER, ActorKey.of("k"))).isEmpty();
        assertThat(store.list(COUNTER, null, 10)).isEmpty();
        ActorRecord reborn =
                store.insertIfAbsent(new NewActor("a2", COUNTER, ActorKey.of("k"), 9, null));
        assertThat(reborn)
                .usingRecursiveComparison()
                .isEqualTo(new ActorRecord("a2", COUNTER, ActorKey.of("k"), 9, null, null, 0, 0));
        assertThat(store.findByKey(COUNTER, ActorKey.of("k")))
                .get()
                .extracting(ActorRecord::id)
                .isEqualTo("a2");
    }

    @Test
    void deleteRemovesTheActorsSchedulesOnly() {
        insert("a1", COUNTER, ActorKey.of("k1"));
        insert("a2", COUNTER, ActorKey.of("k2"));
        store.putSchedule(new ScheduledEvent("e1", "a1", 100, "tick", bytes("[]")));
        store.putSchedule(new ScheduledEvent("e2", "a1", 200, "tick", bytes("[]")));
        store.putSchedule(new ScheduledEvent("e1", "a2", 300, "tick", bytes("[]")));

        store.delete("a1");

        assertThat(store.schedules("a1")).isEmpty();
        assertThat(store.schedules("a2")).extracting(ScheduledEvent::id).containsExactly("e1");
        assertThat(store.alarms()).containsExactly(new ActorAlarm("a2", 300));
    }

    @Test
    void deleteOfAMissingActorChangesNothing() {
        insert("a1", COUNTER, ActorKey.of("k"));

        store.delete("nope");

        assertThat(store.findById("a1")).isPresent();
    }

    // schedules

    @Test
    void putScheduleStoresTheEvent() {
        insert("a1", COUNTER, ActorKey.of("k"));

        store.putSchedule(new ScheduledEvent("e1", "a1", 100, "tick", bytes("[1,\"x\"]")));

        assertThat(store.schedules("a1"))
                .singleElement()
                .usingRecursiveComparison()
                .isEqualTo(new ScheduledEvent("e1", "a1", 100, "tick", bytes("[1,\"x\"]")));
        assertThat(store.schedules("a2")).isEmpty();
    }

    @Test
    void putScheduleWithTheSameIdReplacesTheEvent() {
        insert("a1", COUNTER, ActorKey.of("k"));
        store.putSchedule(new ScheduledEvent("e1", "a1", 100, "tick", bytes("[1]")));

        store.putSchedule(new ScheduledEvent("e1", "a1", 50, "tock", bytes("[2]")));

        assertThat(store.schedules("a1"))
                .singleElement()
                .usingRecursiveComparison()
                .isEqualTo(new ScheduledEvent("e1", "a1", 50, "tock", bytes("[2]")));
        assertThat(store.alarms()).containsExactly(new ActorAlarm("a1", 50));
    }

    @Test
    void eventIdsArePerActor() {
        insert("a1", COUNTER, ActorKey.of("k1"));
        insert("a2", COUNTER, ActorKey.of("k2"));
        store.putSchedule(new ScheduledEvent("e", "a1", 100, "one", null));
        store.putSchedule(new ScheduledEvent("e", "a2", 200, "two", null));

        assertThat(store.deleteSchedule("a1", "e")).isTrue();

        assertThat(store.schedules("a1")).isEmpty();
        assertThat(store.schedules("a2")).extracting(ScheduledEvent::action).containsExactly("two");
    }

    @Test
    void putScheduleForAMissingActorIsIgnored() {
        store.putSchedule(new ScheduledEvent("e1", "ghost", 100, "tick", bytes("[]")));
        insert("a1", COUNTER, ActorKey.of("k"));
        store.delete("a1");
        store.putSchedule(new ScheduledEvent("e1", "a1", 100, "tick", bytes("[]")));

        assertThat(store.schedules("ghost")).isEmpty();
        assertThat(store.schedules("a1")).isEmpty();
        assertThat(store.alarms()).isEmpty();
    }

    @Test
    void deleteScheduleReportsWhetherTheEventExisted() {
        insert("a1", COUNTER, ActorKey.of("k"));
        store.putSchedule(new ScheduledEvent("e1", "a1", 100, "tick", null));
        store.putSchedule(new ScheduledEvent("e2", "a1", 200, "tick", null));

        assertThat(store.deleteSchedule("a1", "e1")).isTrue();
        assertThat(store.deleteSchedule("a1", "e1")).isFalse();
        assertThat(store.deleteSchedule("a1", "missing")).isFalse();
        assertThat(store.deleteSchedule("ghost", "e2")).isFalse();
        assertThat(store.schedules("a1")).extracting(ScheduledEvent::id).containsExactly("e2");
    }

    @Test
    void schedulesAreOrderedByFireTimeThenId() {
        insert("a1", COUNTER, ActorKey.of("k"));
        store.putSchedule(new ScheduledEvent("z", "a1", 100, "tick", null));
        store.putSchedule(new ScheduledEvent("a", "a1", 200, "tick", null));
        store.putSchedule(new ScheduledEvent("m", "a1", 100, "tick", null));
        store.putSchedule(new ScheduledEvent("b", "a1", 100, "tick", null));
        store.putSchedule(new ScheduledEvent("early", "a1", -5, "tick", null));

        assertThat(store.schedules("a1"))
                .extracting(ScheduledEvent::id)
                .containsExactly("early", "b", "m", "z", "a");
        assertThat(store.schedules("a1").getFirst().args()).isNull();
    }

    @Test
    void alarmsGiveTheEarliestEventOfEachActorEarliestFirst() {
        assertThat(store.alarms()).isEmpty();
        insert("a1", COUNTER, ActorKey.of("k1"));
        insert("a2", COUNTER, ActorKey.of("k2"));
        insert("a3", CHAT, ActorKey.of("k3"));
        insert("idle", CHAT, ActorKey.of("k4"));
        store.putSchedule(new ScheduledEvent("late", "a1", 300, "tick", null));
        store.putSchedule(new ScheduledEvent("soon", "a1", 100, "tick", null));
        store.putSchedule(new ScheduledEvent("e", "a2", 200, "tick", null));
        store.putSchedule(new ScheduledEvent("e", "a3", Long.MAX_VALUE, "tick", null));

        assertThat(store.alarms())
                .containsExactly(
                        new ActorAlarm("a1", 100),
                        new ActorAlarm("a2", 200),
                        new ActorAlarm("a3", Long.MAX_VALUE));

        store.deleteSchedule("a1", "soon");

        assertThat(store.alarms())
                .containsExactly(
                        new ActorAlarm("a2", 200),
                        new ActorAlarm("a1", 300),
                        new ActorAlarm("a3", Long.MAX_VALUE));
    }

    // key-value store

    @Test
    void kvPutGetOverwriteAndDelete() {
        long generation = claimed("a1");

        assertThat(
                        store.kvWrite(
                                "a1", generation, KvBatch.builder().put("k", bytes("one")).build()))
                .isTrue();
        assertThat(store.kvGet("a1", "k")).get().isEqualTo(bytes("one"));
        store.kvWrite("a1", generation, KvBatch.builder().put("k", new byte[0]).build());
        assertThat(store.kvGet("a1", "k")).get().isEqualTo(new byte[0]);
        store.kvWrite(
                "a1", generation, KvBatch.builder().delete("k").delete("never-there").build());

        assertThat(store.kvGet("a1", "k")).isEmpty();
        assertThat(store.kvGet("ghost", "k")).isEmpty();
    }

    @Test
    void kvEntriesArePerActor() {
        long g1 = claimed("a1");
        long g2 = claimed("a2");
        store.kvWrite("a1", g1, KvBatch.builder().put("k", bytes("of a1")).build());
        store.kvWrite(
                "a2",
                g2,
                KvBatch.builder().put("k", bytes("of a2")).put("only-a2", bytes("x")).build());

        store.kvWrite("a1", g1, KvBatch.builder().deletePrefix("k").deletePrefix("only").build());

        assertThat(store.kvGet("a1", "k")).isEmpty();
        assertThat(store.kvGet("a2", "k")).get().isEqualTo(bytes("of a2"));
        assertThat(keys(store.kvList("a2", "", null, 10))).containsExactly("k", "only-a2");
    }

    @Test
    void kvBatchIsAtomicAndDeletesBeforeItPuts() {
        long generation = claimed("a1");
        store.kvWrite(
                "a1",
                generation,
                KvBatch.builder()
                        .put("log/1", bytes("1"))
                        .put("log/2", bytes("2"))
                        .put("log/3", bytes("3"))
                        .put("other", bytes("o"))
                        .build());

        boolean applied =
                store.kvWrite(
                        "a1",
                        generation,
                        KvBatch.builder()
                                .put("log/3", bytes("3 again"))
                                .put("log/4", bytes("4"))
                                .delete("log/1")
                                .delete("other")
                                .deletePrefix("log/")
                                .build());

        assertThat(applied).isTrue();
        assertThat(store.kvList("a1", "", null, 10))
                .extracting(KvEntry::key, e -> new String(e.value(), UTF_8))
                .containsExactly(tuple("log/3", "3 again"), tuple("log/4", "4"));
    }

    @Test
    void kvWritesOfAStaleGenerationOrAMissingActorWriteNothing() {
        long first = claimed("a1");
        store.kvWrite("a1", first, KvBatch.builder().put("k", bytes("first")).build());
        long second = store.claim("a1").orElseThrow().generation();

        assertThat(
                        store.kvWrite(
                                "a1",
                                first,
                                KvBatch.builder()
                                        .put("k", bytes("stale"))
                                        .put("new", bytes("x"))
                                        .delete("k")
                                        .build()))
                .isFalse();
        assertThat(
                        store.kvWrite(
                                "a1",
                                second + 1,
                                KvBatch.builder().put("k", bytes("future")).build()))
                .isFalse();
        assertThat(store.kvWrite("ghost", 0, KvBatch.builder().put("k", bytes("x")).build()))
                .isFalse();

        assertThat(store.kvGet("a1", "k")).get().isEqualTo(bytes("first"));
        assertThat(store.kvGet("a1", "new")).isEmpty();
        assertThat(store.kvGet("ghost", "k")).isEmpty();
        assertThat(store.kvWrite("a1", second, KvBatch.builder().put("k", bytes("second")).build()))
                .isTrue();
        assertThat(store.kvGet("a1", "k")).get().isEqualTo(bytes("second"));
    }

    @Test
    void kvEntriesGoWithTheActorAndDoNotComeBackWithItsKey() {
        long generation = claimed("a1");
        store.kvWrite("a1", generation, KvBatch.builder().put("k", bytes("v")).build());
        long other = claimed("a2");
        store.kvWrite("a2", other, KvBatch.builder().put("k", bytes("kept")).build());

        store.delete("a1");

        assertThat(store.kvGet("a1", "k")).isEmpty();
        assertThat(store.kvList("a1", "", null, 10)).isEmpty();
        assertThat(
                        store.kvWrite(
                                "a1",
                                generation,
                                KvBatch.builder().put("k", bytes("late")).build()))
                .isFalse();
        store.insertIfAbsent(new NewActor("a1", COUNTER, ActorKey.of("k-a1"), 1, null));
        assertThat(store.kvList("a1", "", null, 10)).isEmpty();
        assertThat(store.kvGet("a2", "k")).get().isEqualTo(bytes("kept"));
    }

    @Test
    void kvListOrdersByUtf8BytesFiltersByPrefixAndPages() {
        long generation = claimed("a1");
        List<String> keys =
                new ArrayList<>(
                        List.of(
                                "b", "a", "a/1", "a/10", "a/2", "a0", "ab", "～", "😀", "é",
                                "e\u0301", "a/😀", "a/～", "A"));
        Collections.shuffle(keys, new Random(3));
        KvBatch.Builder batch = KvBatch.builder();
        keys.forEach(key -> batch.put(key, bytes("v-" + key)));
        store.kvWrite("a1", generation, batch.build());

        List<String> all =
                keys.stream()
                        .sorted(
                                Comparator.comparing(
                                        (String k) -> k.getBytes(UTF_8), Arrays::compareUnsigned))
                        .toList();
        assertThat(keys(store.kvList("a1", "", null, 100)))
                .containsExactlyElementsOf(all)
                .containsSubsequence("～", "😀");
        assertThat(keys(store.kvList("a1", "a/", null, 100)))
                .containsExactly("a/1", "a/10", "a/2", "a/～", "a/😀");
        assertThat(keys(store.kvList("a1", "a/", "a/10", 2))).containsExactly("a/2", "a/～");
        assertThat(keys(store.kvList("a1", "a/", "a/11", 100)))
                .as("afterKey need not exist")
                .containsExactly("a/2", "a/～", "a/😀");
        assertThat(keys(store.kvList("a1", "a/", "0", 1)))
                .as("afterKey before the prefix")
                .containsExactly("a/1");
        assertThat(store.kvList("a1", "a/", "b", 10)).as("afterKey past the prefix").isEmpty();
        assertThat(store.kvList("a1", "a/", null, 0)).isEmpty();
        assertThat(store.kvList("a1", "zz", null, 10)).isEmpty();
        assertThat(store.kvList("a1", "a", null, 100))
                .extracting(KvEntry::value)
                .first()
                .isEqualTo(bytes("v-a"));

        List<String> paged = new ArrayList<>();
        String after = null;
        List<KvEntry> page;
        while (!(page = store.kvList("a1", "", after, 3)).isEmpty()) {
            paged.addAll(keys(page));
            after = page.getLast().key();
        }
        assertThat(paged).containsExactlyElementsOf(all);
    }

    @Test
    void kvDeletePrefixDeletesExactlyThatRange() {
        long generation = claimed("a1");
        store.kvWrite(
                "a1",
                generation,
                KvBatch.builder()
                        .put("ev/1:a/1", bytes("x"))
                        .put("ev/1:a/2", bytes("x"))
                        .put("ev/1:a", bytes("x"))
                        .put("ev/1:b/1", bytes("x"))
                        .put("ev/1:a0", bytes("x"))
                        .put("ev/1:a/😀", bytes("x"))
                        .put("ew", bytes("x"))
                        .build());

        store.kvWrite("a1", generation, KvBatch.builder().deletePrefix("ev/1:a/").build());

        assertThat(keys(store.kvList("a1", "", null, 10)))
                .containsExactly("ev/1:a", "ev/1:a0", "ev/1:b/1", "ew");
    }

    @Test
    void kvValuesRoundTripEveryByteAndAreCopied() {
        long generation = claimed("a1");
        byte[] everyByte = new byte[256];
        for (int i = 0; i < everyByte.length; i++) {
            everyByte[i] = (byte) i;
        }
        byte[] passed = everyByte.clone();
        store.kvWrite("a1", generation, KvBatch.builder().put("k", passed).build());
        passed[0] = 'X';
        store.kvGet("a1", "k").orElseThrow()[1] = 'X';
        store.kvList("a1", "", null, 1).getFirst().value()[2] = 'X';

        assertThat(store.kvGet("a1", "k")).get().isEqualTo(everyByte);
    }

    @Test
    void concurrentKvWritesAllLand() throws Exception {
        long generation = claimed("a1");

        concurrently(
                40,
                i ->
                        () ->
                                store.kvWrite(
                                        "a1",
                                        generation,
                                        KvBatch.builder()
                                                .put(String.format("k/%02d", i), bytes("v" + i))
                                                .build()));

        assertThat(store.kvList("a1", "k/", null, 100))
                .hasSize(40)
                .first()
                .extracting(KvEntry::key)
                .isEqualTo("k/00");
    }

    @Test
    void kvEntriesSurviveCloseAndReopenAndStayFenced() {
        long generation = claimed("a1");
        store.kvWrite(
                "a1",
                generation,
                KvBatch.builder()
                        .put("a/1", bytes("one"))
                        .put("a/2", bytes("two"))
                        .put("b", new byte[0])
                        .build());
        store.kvWrite("a1", generation, KvBatch.builder().delete("a/2").build());

        closeAndReopen();

        assertThat(store.kvList("a1", "", null, 10))
                .extracting(KvEntry::key)
                .containsExactly("a/1", "b");
        assertThat(store.kvGet("a1", "a/1")).get().isEqualTo(bytes("one"));
        long next = store.claim("a1").orElseThrow().generation();
        assertThat(
                        store.kvWrite(
                                "a1",
                                generation,
                                KvBatch.builder().put("c", bytes("stale")).build()))
                .isFalse();
        assertThat(store.kvWrite("a1", next, KvBatch.builder().put("c", bytes("fresh")).build()))
                .isTrue();
    }

    // durability

    @Test
    void everythingSurvivesCloseAndReopen() {
        byte[] everyByte = new byte[256];
        for (int i = 0; i < everyByte.length; i++) {
            everyByte[i] = (byte) i;
        }
        insert("a1", COUNTER, ActorKey.of("a/b", "", "日本"));
        store.claim("a1");
        store.claim("a1");
        store.saveStates(List.of(new StateWrite("a1", 2, everyByte, 5)));
        store.insertIfAbsent(new NewActor("a2", CHAT, ActorKey.empty(), 77, null));
        insert("gone", COUNTER, ActorKey.of("gone"));
        store.putSchedule(new ScheduledEvent("e1", "a1", 300, "tick", bytes("[1]")));
        store.putSchedule(new ScheduledEvent("e2", "a1", 100, "tock", null));
        store.putSchedule(new ScheduledEvent("e1", "a2", 200, "ping", bytes("[]")));
        store.putSchedule(new ScheduledEvent("e1", "gone", 50, "tick", null));
        store.delete("gone");
        List<ActorRecord> counters = store.list(COUNTER, null, 10);
        List<ActorRecord> chats = store.list(CHAT, null, 10);
        List<ScheduledEvent> schedules = store.schedules("a1");
        List<ActorAlarm> alarms = store.alarms();

        closeAndReopen();

        assertThat(store.list(COUNTER, null, 10))
                .usingRecursiveFieldByFieldElementComparator()
                .containsExactlyElementsOf(counters);
        assertThat(store.list(CHAT, null, 10))
                .usingRecursiveFieldByFieldElementComparator()
                .containsExactlyElementsOf(chats);
        assertThat(store.findById("a1").orElseThrow().state()).isEqualTo(everyByte);
        assertThat(store.findById("a2").orElseThrow().input()).isNull();
        assertThat(store.schedules("a1"))
                .usingRecursiveFieldByFieldElementComparator()
                .containsExactlyElementsOf(schedules);
        assertThat(store.alarms())
                .containsExactlyElementsOf(alarms)
                .containsExactly(new ActorAlarm("a1", 100), new ActorAlarm("a2", 200));
        assertThat(store.findById("gone")).isEmpty();
    }

    @Test
    void reopenedStoreKeepsKeysUniqueAndGenerationsIncreasing() {
        insert("a1", COUNTER, ActorKey.of("k"));
        store.claim("a1");

        closeAndReopen();

        assertThat(
                        store.insertIfAbsent(new NewActor("a2", COUNTER, ActorKey.of("k"), 2, null))
                                .id())
                .isEqualTo("a1");
        assertThat(store.saveStates(List.of(new StateWrite("a1", 1, bytes("s"), 1)))).isEmpty();
        assertThat(store.claim("a1")).get().extracting(ActorRecord::generation).isEqualTo(2L);
        assertThat(store.saveStates(List.of(new StateWrite("a1", 1, bytes("stale"), 1))))
                .containsExactly("a1");
        assertThat(store.findById("a1").orElseThrow().state()).isEqualTo(bytes("s"));
    }

    // helpers

    private long claimed(String id) {
        insert(id, COUNTER, ActorKey.of("k-" + id));
        return store.claim(id).orElseThrow().generation();
    }

    private static List<String> keys(List<KvEntry> entries) {
        return entries.stream().map(KvEntry::key).toList();
    }

    private ActorRecord insert(String id, String name, ActorKey key) {
        ActorRecord record =
                store.insertIfAbsent(new NewActor(id, name, key, 1, bytes("input-" + id)));
        assertThat(record.id()).as("fresh insert of %s", id).isEqualTo(id);
        return record;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(UTF_8);
    }

    private static List<String> ids(List<ActorRecord> records) {
        return records.stream().map(ActorRecord::id).toList();
    }

    /** Keys whose serialized forms exercise escaping, empty components and non-ASCII characters. */
    private static List<ActorKey> trickyKeys() {
        return List.of(
                ActorKey.empty(),
                ActorKey.of(""),
                ActorKey.of("", ""),
                ActorKey.of("x", ""),
                ActorKey.of("", "x"),
                ActorKey.of("a/b"),
                ActorKey.of("a", "b"),
                ActorKey.of("/"),
                ActorKey.of("\\"),
                ActorKey.of("\\0"),
                ActorKey.of("back\\slash", "x/y"),
                ActorKey.of("a,b", "c"),
                ActorKey.of("a", "b,c"),
                ActorKey.of("0"),
                ActorKey.of("日本語", "ключ"),
                ActorKey.of("😀"),
                ActorKey.of("～"),
                ActorKey.of("é"),
                ActorKey.of("e\u0301"));
    }

    /** Runs {@code count} calls on virtual threads released together, and returns their results. */
    protected static <T> List<T> concurrently(int count, IntFunction<Callable<T>> call)
            throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                Callable<T> task = call.apply(i);
                futures.add(
                        executor.submit(
                                () -> {
                                    start.await();
                                    return task.call();
                                }));
            }
            start.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> future : futures) {
                results.add(future.get());
            }
            return results;
        }
    }
}
