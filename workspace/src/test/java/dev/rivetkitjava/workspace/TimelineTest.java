package dev.rivetkitjava.workspace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.ActorKv;
import dev.rivetkitjava.actor.ActorType;
import dev.rivetkitjava.actor.KvBatch;
import dev.rivetkitjava.actor.Registry;
import dev.rivetkitjava.actor.store.sqlite.SqliteActorStore;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.sandboxagent.persist.actor.ActorStatePersistDriver.AddedEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The workspace's durable timeline on a real actor's key-value store (SQLite): seqs, pages,
 * retention.
 */
class TimelineTest {

    record Empty(int unused) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static volatile ActorKv handedOut;

    @TempDir Path dir;
    private Registry registry;
    private ActorKv kv;
    private final List<String> broadcast = new CopyOnWriteArrayList<>();

    /** An actor that hands out its key-value store, and stays awake while the test uses it. */
    private static final ActorType<Empty, Void> HOST =
            ActorType.builder("kv-host", Empty.class)
                    .createState(c -> new Empty(0))
                    .action(
                            "kv",
                            c -> {
                                handedOut = c.kv();
                                return null;
                            })
                    .sleepTimeout(Duration.ofHours(1))
                    .build();

    @BeforeEach
    void open() {
        registry =
                Registry.builder()
                        .use(HOST)
                        .store(SqliteActorStore.open(dir.resolve("actors.db")))
                        .build();
        registry.actor("kv-host").getOrCreate(ActorKey.of("t")).action("kv", Object.class);
        kv = handedOut;
    }

    @AfterEach
    void close() {
        registry.close();
    }

    private Timeline timeline(long maxEntries) {
        return Timeline.open(kv, maxEntries, (event, data) -> broadcast.add(event));
    }

    @Test
    void twentyThousandEntriesArePagedBackToTheFirstWithinTheByteBudget() throws Exception {
        Timeline timeline = timeline(0);
        assertThat(timeline.exists()).isFalse();
        assertThat(timeline.page(null, null)).isEmpty();
        String large = "z".repeat(20_000); // a page of 200 such entries would be 4 MB
        for (int i = 1; i <= 20_000; i++) {
            String text = i % 1000 < 100 ? large : "chunk " + i;
            assertThat(timeline.append("session.event", Map.of("i", i, "text", text))).isEqualTo(i);
        }
        assertThat(broadcast).hasSize(20_000);

        Timeline reopened = timeline(0);
        assertThat(reopened.exists()).isTrue();
        assertThat(reopened.meta()).isEqualTo(new Timeline.Meta(1, 20_001));
        List<JsonNode> latest = reopened.page(null, null);
        assertThat(latest).hasSize(Timeline.DEFAULT_PAGE);
        assertThat(latest.getLast().path("seq").asLong()).isEqualTo(20_000);

        long expectedNext = 20_001;
        int pages = 0;
        boolean someCutByBytes = false;
        Long before = null;
        while (true) {
            List<JsonNode> page = reopened.page(before, Timeline.MAX_PAGE);
            if (page.isEmpty()) {
                break;
            }
            pages++;
            assertThat(JSON.writeValueAsString(page).getBytes(StandardCharsets.UTF_8).length)
                    .isLessThanOrEqualTo(Timeline.MAX_PAGE_BYTES);
            someCutByBytes |=
                    page.size() < Timeline.MAX_PAGE && page.getFirst().path("seq").asLong() > 1;
            // Contiguous, oldest first, ending just before the previous page.
            for (int i = 0; i < page.size(); i++) {
                assertThat(page.get(i).path("seq").asLong())
                        .isEqualTo(expectedNext - page.size() + i);
                assertThat(page.get(i).path("event").asText()).isEqualTo("session.event");
                assertThat(page.get(i).at("/data/i").asLong())
                        .isEqualTo(expectedNext - page.size() + i);
            }
            expectedNext -= page.size();
            before = page.getFirst().path("seq").asLong();
        }
        assertThat(expectedNext).isEqualTo(1);
        assertThat(someCutByBytes).isTrue();
        assertThat(pages).isGreaterThan(20_000 / Timeline.MAX_PAGE);
        assertThat(reopened.page(1L, 10)).isEmpty();
        assertThat(reopened.page(null, 100_000)).hasSizeLessThanOrEqualTo(Timeline.MAX_PAGE);
        assertThat(reopened.page(11L, 5))
                .extracting(e -> e.path("seq").asLong())
                .containsExactly(6L, 7L, 8L, 9L, 10L);
    }

    @Test
    void oneEntryLargerThanAPageIsStillServed() {
        Timeline timeline = timeline(0);
        timeline.append("session.event", Map.of("text", "small"));
        timeline.append("session.event", Map.of("text", "x".repeat(Timeline.MAX_PAGE_BYTES + 10)));

        assertThat(timeline.page(null, null))
                .singleElement()
                .satisfies(entry -> assertThat(entry.path("seq").asLong()).isEqualTo(2));
        assertThat(timeline.page(2L, null))
                .singleElement()
                .satisfies(entry -> assertThat(entry.at("/data/text").asText()).isEqualTo("small"));
    }

    @Test
    void retentionKeepsOnlyTheLastEntries() {
        Timeline timeline = timeline(100);
        for (int i = 1; i <= 250; i++) {
            timeline.append("chat.user", Map.of("i", i));
        }

        assertThat(timeline.meta()).isEqualTo(new Timeline.Meta(151, 251));
        assertThat(kv.list(Timeline.PREFIX, null, 1000)).hasSize(100);
        List<JsonNode> all = new ArrayList<>(timeline.page(null, Timeline.MAX_PAGE));
        assertThat(all).extracting(e -> e.path("seq").asLong()).first().isEqualTo(151L);
        assertThat(all).hasSize(100);
        assertThat(timeline.page(151L, null)).isEmpty();
    }

    @Test
    void aMigratedTimelineIsNumberedFromOneAndKeepsItsRetention() {
        List<Timeline.Entry> previous = new ArrayList<>();
        for (int i = 1; i <= 1_200; i++) {
            previous.add(
                    new Timeline.Entry(
                            0, i % 2 == 0 ? "chat.user" : "session.event", Map.of("i", i)));
        }
        Timeline timeline = timeline(1_000);
        timeline.appendAll(previous);

        Timeline reopened = timeline(1_000);
        assertThat(reopened.exists()).isTrue();
        assertThat(reopened.meta()).isEqualTo(new Timeline.Meta(201, 1_201));
        assertThat(reopened.page(null, 1))
                .singleElement()
                .satisfies(
                        entry -> {
                            assertThat(entry.path("seq").asLong()).isEqualTo(1_200);
                            assertThat(entry.path("event").asText()).isEqualTo("chat.user");
                            assertThat(entry.at("/data/i").asInt()).isEqualTo(1_200);
                        });
        assertThat(broadcast).isEmpty();
        assertThat(reopened.append("chat.user", Map.of("i", 1_201))).isEqualTo(1_201);
        assertThat(reopened.meta()).isEqualTo(new Timeline.Meta(202, 1_202));
    }

    @Test
    void sessionEventsGoInTheDriversWriteAfterWhatWasQueuedBeforeThem() throws Exception {
        Timeline timeline = timeline(0);
        timeline.append("chat.user", Map.of("text", "hi"));
        KvBatch.Builder driversCopy =
                KvBatch.builder().put("sandbox-agent/events/x", new byte[] {1});

        timeline.writeWith("default", List.of(added(1), added(2)), driversCopy);

        assertThat(kv.get("sandbox-agent/events/x")).isPresent();
        assertThat(timeline.meta()).isEqualTo(new Timeline.Meta(1, 4));
        assertThat(timeline.page(null, null))
                .extracting(e -> e.path("event").asText() + " " + e.at("/data/eventIndex"))
                .containsExactly("chat.user ", "session.event 1", "session.event 2");
        assertThat(broadcast).containsExactly("chat.user", "session.event", "session.event");
    }

    @Test
    void aFailedDriversWriteWritesNoEntryAndTheNextTakesItsSeqs() {
        Timeline timeline = timeline(0);
        KvBatch.Builder refused =
                KvBatch.builder().put("", new byte[] {1}); // an empty key: the write fails

        assertThatThrownBy(() -> timeline.writeWith("default", List.of(added(1)), refused))
                .isInstanceOf(IllegalArgumentException.class);
        timeline.writeWith("default", List.of(added(1)), KvBatch.builder());

        assertThat(timeline.meta()).isEqualTo(new Timeline.Meta(1, 2));
        assertThat(broadcast).containsExactly("session.event");
    }

    @Test
    void anEntryAroundJsonAlreadyWrittenIsTheEntryWrittenWhole() throws Exception {
        SessionEvent event =
                new SessionEvent(
                        "e-1",
                        1,
                        "default",
                        1_000,
                        "conn-1",
                        SessionEvent.Sender.AGENT,
                        JSON.createObjectNode().put("text", "é \"quoted\""));

        assertThat(
                        new String(
                                Timeline.written(7, "session.event", JSON.writeValueAsBytes(event)),
                                StandardCharsets.UTF_8))
                .isEqualTo(JSON.writeValueAsString(new Timeline.Entry(7, "session.event", event)));
    }

    /** An event as the persist driver hands it over: with its JSON. */
    private static AddedEvent added(long index) {
        SessionEvent event =
                new SessionEvent(
                        "e-" + index,
                        index,
                        "default",
                        1_000,
                        "conn-1",
                        SessionEvent.Sender.AGENT,
                        JSON.createObjectNode().put("n", index));
        try {
            return new AddedEvent(event, JSON.writeValueAsBytes(event));
        } catch (JsonProcessingException e) {
            throw new AssertionError(e);
        }
    }
}
