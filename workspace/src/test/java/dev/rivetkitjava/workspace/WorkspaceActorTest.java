package dev.rivetkitjava.workspace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.actor.ActorError;
import dev.rivetkitjava.actor.ActorHandle;
import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.Registry;
import dev.rivetkitjava.actor.store.sqlite.SqliteActorStore;
import dev.rivetkitjava.sandboxagent.SandboxAgentFixture;
import dev.rivetkitjava.sandboxagent.SandboxAgentServer;
import dev.rivetkitjava.workspace.Workspace.CreateInput;
import dev.rivetkitjava.workspace.Workspace.PermissionAnswer;
import dev.rivetkitjava.workspace.Workspace.PromptInput;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The workspace actor against the real Sandbox Agent server 0.4.2 and the offline stand-in agents.
 */
@Tag("external")
class WorkspaceActorTest {

    private static final Duration TURN = Duration.ofSeconds(60);
    private static SandboxAgentServer sandboxAgent;

    @TempDir Path dir;
    private Registry registry;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeAll
    static void startSandboxAgent() {
        sandboxAgent = SandboxAgentFixture.start();
    }

    @AfterAll
    static void stopSandboxAgent() {
        sandboxAgent.stop();
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable closeable : closeables.reversed()) {
            closeable.close();
        }
        if (registry != null) {
            registry.close();
        }
    }

    private Registry registry() {
        registry =
                Registry.builder()
                        .use(
                                WorkspaceActor.type(
                                        WorkspaceConfig.builder(sandboxAgent.baseUrl()).build()))
                        .store(SqliteActorStore.open(dir.resolve("actors.db")))
                        .build();
        return registry;
    }

    private ActorHandle workspace(String id, String agent) {
        return registry.actor(WorkspaceActor.NAME)
                .getOrCreate(ActorKey.of(id), new CreateInput(agent));
    }

    private Viewer viewer(ActorHandle workspace, String userId) {
        Viewer viewer = new Viewer(workspace, userId);
        closeables.add(viewer);
        return viewer;
    }

    private static <T> Future<T> inBackground(Callable<T> work) {
        return Executors.newVirtualThreadPerTaskExecutor().submit(work);
    }

    @Test
    void everyoneSeesThePromptTheStreamedReplyAndTheSharedPermissionAnswer() throws Exception {
        registry();
        ActorHandle room = workspace("workspace-42", null);
        Viewer alice = viewer(room, "alice");
        Viewer bob = viewer(room, "bob");

        Future<JsonNode> turn =
                inBackground(
                        () ->
                                alice.conn.action(
                                        "prompt",
                                        JsonNode.class,
                                        new PromptInput(
                                                "alice",
                                                "Propose a refactor plan for auth middleware.")));

        await().atMost(TURN).until(() -> !bob.named("permission.requested").isEmpty());
        JsonNode request = bob.named("permission.requested").getFirst();
        assertThat(request.path("availableReplies"))
                .extracting(JsonNode::asText)
                .contains("once", "reject");
        bob.conn.action(
                "respondPermission",
                JsonNode.class,
                new PermissionAnswer(request.path("id").asText(), "once"));

        assertThat(
                        turn.get(TURN.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)
                                .path("stopReason")
                                .asText())
                .isEqualTo("end_turn");
        for (Viewer viewer : List.of(alice, bob)) {
            assertThat(viewer.named("chat.user"))
                    .singleElement()
                    .satisfies(
                            chat -> {
                                assertThat(chat.path("userId").asText()).isEqualTo("alice");
                                assertThat(chat.path("name").asText()).isEqualTo("alice");
                                assertThat(chat.path("text").asText())
                                        .isEqualTo("Propose a refactor plan for auth middleware.");
                            });
            await().until(() -> !viewer.named("permission.resolved").isEmpty());
            assertThat(viewer.named("permission.resolved"))
                    .singleElement()
                    .satisfies(
                            resolved -> {
                                assertThat(resolved.path("id").asText())
                                        .isEqualTo(request.path("id").asText());
                                assertThat(resolved.path("reply").asText()).isEqualTo("once");
                                assertThat(resolved.path("userId").asText()).isEqualTo("bob");
                                assertThat(resolved.path("name").asText()).isEqualTo("bob");
                                assertThat(resolved.path("by").asText()).isEqualTo("user");
                                assertThat(resolved.path("reason").isNull()).isTrue();
                            });
            assertThat(viewer.agentText()).isNotEmpty();
            assertThat(viewer.named("session.event"))
                    .anySatisfy(
                            e ->
                                    assertThat(
                                                    e.at("/payload/params/update/sessionUpdate")
                                                            .asText())
                                            .isEqualTo("tool_call"));
        }
        assertThat(alice.named("presence.join"))
                .extracting(j -> j.path("userId").asText())
                .contains("bob");
        assertThat(room.action("listParticipants", JsonNode.class))
                .extracting(p -> p.path("userId").asText())
                .containsExactlyInAnyOrder("alice", "bob");
        assertThat(room.action("listParticipants", JsonNode.class))
                .allSatisfy(
                        p -> {
                            assertThat(p.path("name").asText())
                                    .isEqualTo(p.path("userId").asText());
                            assertThat(p.path("role").asText()).isEqualTo("member");
                            assertThat(p.path("joinedAt").asLong()).isPositive();
                        });
    }

    @Test
    void promptsFromFiveClientsQueueAndAllCompleteInOrder() throws Exception {
        registry();
        ActorHandle room = workspace("queue", SandboxAgentFixture.FAST_AGENT);
        Viewer watcher = viewer(room, "watcher");
        List<Future<JsonNode>> turns = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String user = "user-" + i;
            Viewer viewer = viewer(room, user);
            turns.add(
                    inBackground(
                            () ->
                                    viewer.conn.action(
                                            "prompt",
                                            JsonNode.class,
                                            new PromptInput(
                                                    user,
                                                    "turn " + user + " chunks=3 delay=100"))));
            // Each prompt is queued before the next is sent, so the queue order is known.
            int queued = i + 1;
            await().atMost(TURN).until(() -> watcher.named("chat.user").size() == queued);
        }
        for (Future<JsonNode> turn : turns) {
            assertThat(
                            turn.get(TURN.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)
                                    .path("stopReason")
                                    .asText())
                    .isEqualTo("end_turn");
        }
        // The agent echoes each prompt first: the echoes show the turns ran one at a time, in
        // order.
        List<String> echoes =
                watcher.named("session.event").stream()
                        .map(e -> e.at("/payload/params/update/content/text").asText())
                        .filter(text -> text.startsWith("echo:"))
                        .toList();
        assertThat(echoes).hasSize(5);
        for (int i = 0; i < 5; i++) {
            assertThat(echoes.get(i)).contains("turn user-" + i);
        }
        assertThat(watcher.named("queue.updated"))
                .anySatisfy(q -> assertThat(q.path("waiting").size()).isGreaterThan(1));
        assertThat(room.action("getQueue", JsonNode.class).path("running").isNull()).isTrue();
    }

    @Test
    void aPermissionAnsweredByTwoClientsAtOnceResolvesOnce() throws Exception {
        registry();
        ActorHandle room = workspace("permission-race", SandboxAgentFixture.FAST_AGENT);
        Viewer alice = viewer(room, "alice");
        Viewer bob = viewer(room, "bob");
        Future<JsonNode> turn =
                inBackground(
                        () ->
                                alice.conn.action(
                                        "prompt",
                                        JsonNode.class,
                                        new PromptInput("alice", "PERM")));
        await().atMost(TURN).until(() -> !alice.named("permission.requested").isEmpty());
        String id = alice.named("permission.requested").getFirst().path("id").asText();

        CompletableFuture<Void> start = new CompletableFuture<>();
        List<Future<String>> answers = new ArrayList<>();
        for (Viewer viewer : List.of(alice, bob)) {
            answers.add(
                    inBackground(
                            () -> {
                                start.join();
                                try {
                                    viewer.conn.action(
                                            "respondPermission",
                                            JsonNode.class,
                                            new PermissionAnswer(id, "once"));
                                    return "ok";
                                } catch (ActorError e) {
                                    return e.code();
                                }
                            }));
        }
        start.complete(null);
        List<String> outcomes = new ArrayList<>();
        for (Future<String> answer : answers) {
            outcomes.add(answer.get());
        }
        assertThat(outcomes).containsExactlyInAnyOrder("ok", "permission_already_resolved");
        assertThat(
                        turn.get(TURN.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)
                                .path("stopReason")
                                .asText())
                .isEqualTo("end_turn");
        await().until(() -> bob.agentText().contains("permission: allow"));
        assertThat(bob.named("permission.resolved")).hasSize(1);
        assertThat(room.action("listPendingPermissions", JsonNode.class)).isEmpty();
    }

    @Test
    void theHistorySurvivesARestartInOrder() throws Exception {
        registry();
        ActorHandle room = workspace("history", SandboxAgentFixture.FAST_AGENT);
        room.action("prompt", JsonNode.class, new PromptInput("alice", "first chunks=2"));
        room.action("prompt", JsonNode.class, new PromptInput("bob", "second chunks=2"));
        JsonNode before = room.action("getHistory", JsonNode.class);
        registry.close();

        registry();
        JsonNode after =
                workspace("history", SandboxAgentFixture.FAST_AGENT)
                        .action("getHistory", JsonNode.class);

        assertThat(after.toString())
                .isEqualTo(before.toString()); // as text: numbers may come back as other node types
        for (int i = 0; i < after.size(); i++) {
            assertThat(after.get(i).path("seq").asLong()).isEqualTo(i + 1);
        }
        List<String> order = new ArrayList<>();
        for (JsonNode entry : after) {
            String event = entry.path("event").asText();
            if (event.equals("chat.user")) {
                order.add("chat:" + entry.at("/data/text").asText());
            } else if (entry.at("/data/payload/result/stopReason").isTextual()) {
                order.add("end");
            }
        }
        assertThat(order)
                .containsExactly("chat:first chunks=2", "end", "chat:second chunks=2", "end");
    }

    @Test
    void cancelStopsTheRunningTurn() throws Exception {
        registry();
        ActorHandle room = workspace("cancel", SandboxAgentFixture.FAST_AGENT);
        Viewer alice = viewer(room, "alice");
        Future<JsonNode> turn =
                inBackground(
                        () ->
                                alice.conn.action(
                                        "prompt",
                                        JsonNode.class,
                                        new PromptInput("alice", "HANG")));
        await().atMost(TURN).until(() -> alice.agentText().contains("echo:"));
        room.action("cancel", JsonNode.class);
        assertThat(
                        turn.get(TURN.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)
                                .path("stopReason")
                                .asText())
                .isEqualTo("cancelled");
    }

    @Test
    void anAgentThatExitsMidTurnIsAnErrorForEveryoneAndTheNextPromptRestoresTheSession()
            throws Exception {
        registry();
        ActorHandle room = workspace("agent-exit", SandboxAgentFixture.FAST_AGENT);
        Viewer alice = viewer(room, "alice");
        Viewer bob = viewer(room, "bob");
        room.action(
                "prompt", JsonNode.class, new PromptInput("alice", "remember the word giraffe"));

        assertThatThrownBy(
                        () ->
                                alice.conn.action(
                                        "prompt", JsonNode.class, new PromptInput("alice", "EXIT")))
                .isInstanceOfSatisfying(
                        ActorError.class,
                        e -> {
                            assertThat(e.code()).isEqualTo("agent_failed");
                            assertThat(e.getMessage())
                                    .matches(
                                            "The agent failed \\(ref [0-9a-f]{6}\\); the next prompt restores the session\\.");
                        });
        await().until(() -> !bob.named("session.error").isEmpty());
        // The detail (the agent's exit, the Sandbox Agent's URL) stays in the server log, under the
        // same ref.
        assertThat(bob.named("session.error").getFirst().path("message").asText())
                .matches(
                        "The agent failed \\(ref [0-9a-f]{6}\\); the next prompt restores the session\\.");

        JsonNode next =
                room.action("prompt", JsonNode.class, new PromptInput("bob", "still there?"));
        assertThat(next.path("stopReason").asText()).isEqualTo("end_turn");
        // The restored session got the earlier conversation replayed as context, as the TypeScript
        // SDK does.
        await().until(
                        () ->
                                bob.named("session.event").stream()
                                        .anyMatch(
                                                e ->
                                                        e.at("/payload/method")
                                                                .asText()
                                                                .equals("_sdk/session_restored")));
        assertThat(bob.agentText()).contains("Previous session history");
    }

    @Test
    void aRestartedSandboxAgentServerIsReportedAndTheNextPromptRestoresTheSession()
            throws Exception {
        SandboxAgentServer own = SandboxAgentFixture.start();
        try {
            registry =
                    Registry.builder()
                            .use(
                                    WorkspaceActor.type(
                                            WorkspaceConfig.builder(own.baseUrl()).build()))
                            .store(SqliteActorStore.open(dir.resolve("actors.db")))
                            .build();
            ActorHandle room = workspace("server-restart", SandboxAgentFixture.FAST_AGENT);
            Viewer alice = viewer(room, "alice");
            room.action("prompt", JsonNode.class, new PromptInput("alice", "before chunks=1"));

            own = SandboxAgentFixture.restart(own);

            JsonNode after =
                    room.action(
                            "prompt", JsonNode.class, new PromptInput("alice", "after chunks=1"));
            assertThat(after.path("stopReason").asText()).isEqualTo("end_turn");
            assertThat(alice.named("chat.user")).hasSize(2);
        } finally {
            own.stop();
        }
    }
}
