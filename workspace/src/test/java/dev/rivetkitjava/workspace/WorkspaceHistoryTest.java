package dev.rivetkitjava.workspace;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.rivetkitjava.actor.ActorHandle;
import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.ActorType;
import dev.rivetkitjava.actor.Registry;
import dev.rivetkitjava.actor.store.sqlite.SqliteActorStore;
import dev.rivetkitjava.sandboxagent.SandboxAgentFixture;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.sandboxagent.persist.SessionRecord;
import dev.rivetkitjava.sandboxagent.persist.actor.ActorStatePersistDriver;
import dev.rivetkitjava.sandboxagent.persist.actor.PersistedSessions;
import dev.rivetkitjava.workspace.Workspace.HistoryQuery;
import dev.rivetkitjava.workspace.Workspace.Note;
import dev.rivetkitjava.workspace.Workspace.PromptInput;
import dev.rivetkitjava.workspace.Workspace.State;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The whole history, durably and in pages, with the real agent; and a workspace of the previous
 * version migrated.
 */
@Tag("external")
class WorkspaceHistoryTest extends WorkspaceTestSupport {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theWholeHistoryIsPagedBackToTheFirstEntryAndSurvivesARestart() throws Exception {
        registry(config -> config);
        ActorHandle room = workspace("long", SandboxAgentFixture.FAST_AGENT);
        room.action("prompt", JsonNode.class, new PromptInput("alice", "first chunks=3"));
        room.action("prompt", JsonNode.class, new PromptInput("bob", "second chunks=700"));
        Viewer late = viewer(room, "late"); // a late joiner reads it all

        List<JsonNode> all = walk(room, null);
        // The persist driver keeps 500 session events for restore; the timeline keeps them all.
        assertThat(all.size()).isGreaterThan(700);
        assertThat(all.getFirst().path("event").asText()).isEqualTo("chat.user");
        assertThat(
                        all.stream()
                                .filter(
                                        e ->
                                                e.at("/data/payload/params/update/content/text")
                                                        .asText()
                                                        .equals("chunk 700"))
                                .count())
                .isEqualTo(1);
        assertThat(all.getLast().at("/data/payload/result/stopReason").asText())
                .isEqualTo("end_turn");
        JsonNode latest = late.action("getHistory", JsonNode.class);
        assertThat(latest).hasSize(Timeline.DEFAULT_PAGE);
        assertThat(latest.get(Timeline.DEFAULT_PAGE - 1)).isEqualTo(all.getLast());
        assertThat(late.action("getHistory", JsonNode.class, new HistoryQuery(null, 10_000)))
                .hasSize(Timeline.MAX_PAGE);
        assertThat(late.action("getHistory", JsonNode.class, new HistoryQuery(1L, null))).isEmpty();
        String before = JSON.writeValueAsString(all);
        late.close();
        registry.close();

        registry(config -> config);
        assertThat(
                        JSON.writeValueAsString(
                                walk(workspace("long", SandboxAgentFixture.FAST_AGENT), null)))
                .isEqualTo(before);
    }

    @Test
    void retentionKeepsOnlyTheLastEntries() throws Exception {
        registry(config -> config.limits(new WorkspaceLimits(32 * 1024, 100, 10, 1_000, 50)));
        ActorHandle room = workspace("retained", SandboxAgentFixture.FAST_AGENT);
        room.action("prompt", JsonNode.class, new PromptInput("alice", "chunks=120"));

        List<JsonNode> all = walk(room, 50);
        assertThat(all).hasSize(50);
        assertThat(all.getFirst().path("seq").asLong()).isGreaterThan(70);
        assertThat(all.getLast().at("/data/payload/result/stopReason").asText())
                .isEqualTo("end_turn");
    }

    /**
     * Every entry, walking back from the latest page with {@code beforeSeq}; checks seqs and page
     * sizes.
     */
    private static List<JsonNode> walk(ActorHandle room, Integer limit) throws Exception {
        List<JsonNode> all = new ArrayList<>();
        JsonNode page = room.action("getHistory", JsonNode.class);
        while (!page.isEmpty()) {
            assertThat(JSON.writeValueAsString(page).getBytes(StandardCharsets.UTF_8).length)
                    .isLessThan(Timeline.MAX_PAGE_BYTES);
            List<JsonNode> entries = new ArrayList<>();
            page.forEach(entries::add);
            all.addAll(0, entries);
            page =
                    room.action(
                            "getHistory",
                            JsonNode.class,
                            new HistoryQuery(entries.getFirst().path("seq").asLong(), limit));
        }
        for (int i = 1; i < all.size(); i++) {
            assertThat(all.get(i).path("seq").asLong())
                    .isEqualTo(all.get(i - 1).path("seq").asLong() + 1);
        }
        return all;
    }

    @Test
    void aWorkspaceOfThePreviousVersionGetsItsTimelineBuiltOnceInTheOldOrder() throws Exception {
        String oldUrl = "http://127.0.0.1:2468";
        JsonNodeFactory nodes = JsonNodeFactory.instance;
        List<Note> notes =
                List.of(
                        new Note(
                                0,
                                "chat.user",
                                nodes.objectNode().put("userId", "alice").put("text", "hello")),
                        new Note(2, "permission.requested", nodes.objectNode().put("id", "p1")),
                        new Note(
                                2,
                                "permission.resolved",
                                nodes.objectNode()
                                        .put("id", "p1")
                                        .put("reply", "once")
                                        .put("userId", "bob")),
                        new Note(
                                3,
                                "session.error",
                                nodes.objectNode().put("message", "agent exited")));
        // The previous version: its state held the notes and its sandboxId was the Sandbox Agent's
        // URL.
        ActorType<State, Void> previous =
                ActorType.builder(WorkspaceActor.NAME, State.class)
                        .createState(
                                c ->
                                        new State(
                                                oldUrl,
                                                oldUrl,
                                                SandboxAgentFixture.FAST_AGENT,
                                                new PersistedSessions(),
                                                notes))
                        .action(
                                "seedSession",
                                c -> {
                                    var persist = ActorStatePersistDriver.of(c, State::sessions);
                                    persist.updateSession(
                                            new SessionRecord(
                                                    WorkspaceActor.SESSION_ID,
                                                    "amp",
                                                    "a-1",
                                                    "conn",
                                                    1,
                                                    null,
                                                    null,
                                                    nodes.objectNode()
                                                            .put("cwd", dir.toString())
                                                            .set("mcpServers", nodes.arrayNode()),
                                                    null,
                                                    null));
                                    for (int index = 1; index <= 3; index++) {
                                        persist.insertEvent(
                                                WorkspaceActor.SESSION_ID,
                                                new SessionEvent(
                                                        "e" + index,
                                                        index,
                                                        WorkspaceActor.SESSION_ID,
                                                        index,
                                                        "conn",
                                                        SessionEvent.Sender.AGENT,
                                                        nodes.objectNode().put("n", index)));
                                    }
                                    return null;
                                })
                        .action("notes", c -> c.state().notes().size())
                        .build();
        try (Registry old =
                Registry.builder()
                        .use(previous)
                        .store(SqliteActorStore.open(dir.resolve("actors.db")))
                        .build()) {
            old.actor(WorkspaceActor.NAME)
                    .getOrCreate(ActorKey.of("old"))
                    .action("seedSession", Object.class);
        }

        registry(config -> config.sandboxId("sbx-7f3a"));
        ActorHandle room = workspace("old", SandboxAgentFixture.FAST_AGENT);
        JsonNode history = room.action("getHistory", JsonNode.class);
        List<String> order = new ArrayList<>();
        for (JsonNode entry : history) {
            String event = entry.path("event").asText();
            order.add(
                    entry.path("seq").asLong()
                            + " "
                            + event
                            + " "
                            + (event.equals("session.event")
                                    ? entry.at("/data/payload/n").asText()
                                    : entry.at("/data/id")
                                            .asText(entry.at("/data/text").asText())));
        }
        assertThat(order)
                .containsExactly(
                        "1 chat.user hello",
                        "2 session.event 1",
                        "3 session.event 2",
                        "4 permission.requested p1",
                        "5 permission.resolved p1",
                        "6 session.event 3",
                        "7 session.error ");
        assertThat(room.action("getSessionInfo", Map.class))
                .isEqualTo(Map.of("workspaceId", "old", "sandboxId", "sbx-7f3a"));
        // New entries follow the migrated ones.
        room.action("prompt", JsonNode.class, new PromptInput("carol", "again chunks=1"));
        JsonNode after = room.action("getHistory", JsonNode.class);
        assertThat(after.get(7).path("seq").asLong()).isEqualTo(8);
        assertThat(after.get(7).at("/data/text").asText()).isEqualTo("again chunks=1");
        registry.close();
        registry = null;

        // Migrated once: the notes are gone from the state, and a second wake does not add them
        // again.
        try (Registry old =
                Registry.builder()
                        .use(previous)
                        .store(SqliteActorStore.open(dir.resolve("actors.db")))
                        .build()) {
            assertThat(
                            old.actor(WorkspaceActor.NAME)
                                    .getOrCreate(ActorKey.of("old"))
                                    .action("notes", Integer.class))
                    .isZero();
        }
        registry(config -> config);
        assertThat(
                        workspace("old", SandboxAgentFixture.FAST_AGENT)
                                .action("getHistory", JsonNode.class)
                                .toString())
                .isEqualTo(after.toString());
    }
}
