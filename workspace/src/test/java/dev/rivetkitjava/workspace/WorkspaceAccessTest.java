package dev.rivetkitjava.workspace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.actor.ActorError;
import dev.rivetkitjava.actor.ActorHandle;
import dev.rivetkitjava.sandboxagent.SandboxAgentFixture;
import dev.rivetkitjava.workspace.Workspace.PromptInput;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Who may do what: every action takes its caller from the connection ({@link WorkspaceAccess}),
 * viewers watch without acting, and each limit refuses with an error that names it while the
 * workspace carries on.
 */
@Tag("external")
class WorkspaceAccessTest extends WorkspaceTestSupport {

    /**
     * Admits by a {@code token} parameter: alice is a member, carol a viewer, anyone else is
     * refused.
     */
    static final WorkspaceAccess TOKENS =
            (workspaceId, params) ->
                    switch (params.path("token").asText("")) {
                        case "alice-token" -> new Caller("u-alice", "Alice", Caller.Role.MEMBER);
                        case "carol-token" -> new Caller("u-carol", "Carol", Caller.Role.VIEWER);
                        default ->
                                throw new ActorError(
                                        "auth",
                                        "unauthorized",
                                        "A valid token is needed to join workspace "
                                                + workspaceId
                                                + ".");
                    };

    @Test
    void actionsActAsTheAdmittedCallerAndViewersOnlyWatch() throws Exception {
        registry(config -> config.access(TOKENS));
        ActorHandle room = workspace("team", SandboxAgentFixture.FAST_AGENT);
        Viewer alice = viewer(room, Map.of("token", "alice-token"), Viewer.EVENTS);
        Viewer carol = viewer(room, Map.of("token", "carol-token"), Viewer.EVENTS);

        assertThat(alice.action("whoami", Map.class))
                .isEqualTo(Map.of("userId", "u-alice", "name", "Alice", "role", "member"));
        assertThat(carol.action("whoami", Map.class))
                .isEqualTo(Map.of("userId", "u-carol", "name", "Carol", "role", "viewer"));
        // Server code calling without a connection.
        assertThat(room.action("whoami", Map.class))
                .isEqualTo(Map.of("userId", "system", "name", "system", "role", "member"));
        assertForbidden(
                () -> carol.action("prompt", JsonNode.class, new PromptInput("u-carol", "PERM")),
                "Viewers cannot prompt; ask for a member link.");

        // The userId in the arguments is not the author: outside open mode it is ignored.
        Future<JsonNode> turn = promptInBackground(alice, "mallory", "PERM");
        await().atMost(TURN).until(() -> !carol.named("permission.requested").isEmpty());
        String id = carol.named("permission.requested").getFirst().path("id").asText();
        assertForbidden(
                () ->
                        carol.action(
                                "respondPermission",
                                JsonNode.class,
                                Map.of("id", id, "reply", "once")),
                "Viewers cannot answer permissions; ask for a member link.");
        assertForbidden(
                () -> carol.action("cancel", JsonNode.class),
                "Viewers cannot cancel; ask for a member link.");
        alice.action(
                "respondPermission",
                JsonNode.class,
                Map.of("id", id, "reply", "once", "userId", "mallory"));

        assertThat(outcome(turn).path("stopReason").asText()).isEqualTo("end_turn");
        for (Viewer viewer : List.of(alice, carol)) {
            await().until(() -> viewer.agentText().contains("permission: allow"));
            assertThat(viewer.named("chat.user"))
                    .singleElement()
                    .satisfies(
                            chat -> {
                                assertThat(chat.path("userId").asText()).isEqualTo("u-alice");
                                assertThat(chat.path("name").asText()).isEqualTo("Alice");
                            });
            assertThat(viewer.named("permission.resolved"))
                    .singleElement()
                    .satisfies(
                            resolved -> {
                                assertThat(resolved.path("userId").asText()).isEqualTo("u-alice");
                                assertThat(resolved.path("name").asText()).isEqualTo("Alice");
                                assertThat(resolved.path("by").asText()).isEqualTo("user");
                            });
            assertThat(viewer.named("queue.updated")).isNotEmpty();
            assertThat(viewer.named("session.event")).isNotEmpty();
        }
        assertThat(alice.named("presence.join"))
                .extracting(join -> join.path("role").asText())
                .contains("viewer");
        assertThat(room.action("listParticipants", JsonNode.class).toString())
                .contains("\"userId\":\"u-alice\",\"name\":\"Alice\",\"role\":\"member\"")
                .contains("\"userId\":\"u-carol\",\"name\":\"Carol\",\"role\":\"viewer\"");
    }

    @Test
    void aRefusedConnectionGetsTheAccessError() {
        registry(config -> config.access(TOKENS));
        ActorHandle room = workspace("closed", SandboxAgentFixture.FAST_AGENT);

        for (Object params : java.util.Arrays.asList(Map.of("token", "forged"), null)) {
            assertThatThrownBy(() -> viewer(room, params, List.of("chat.user")))
                    .isInstanceOfSatisfying(
                            ActorError.class,
                            e -> {
                                assertThat(e.qualifiedCode()).isEqualTo("auth.unauthorized");
                                assertThat(e.getMessage())
                                        .isEqualTo(
                                                "A valid token is needed to join workspace closed.");
                            });
        }
        assertThat(room.action("listParticipants", JsonNode.class)).isEmpty();
    }

    @Test
    void promptLimitsRefuseWithTheirNamesBeforeAnythingIsBroadcast() throws Exception {
        registry(config -> config.limits(new WorkspaceLimits(64, 2, 1, 100, 0)));
        ActorHandle room = workspace("limits", SandboxAgentFixture.FAST_AGENT);
        Viewer watcher = viewer(room, "watcher");

        // Bytes, not characters: é is two bytes in UTF-8.
        assertUserError(
                () ->
                        watcher.action(
                                "prompt", JsonNode.class, new PromptInput("alice", "é".repeat(33))),
                "prompt_too_long",
                "A prompt has at most 64 bytes (--max-prompt-bytes); this one has 66.");
        assertThat(room.action("getHistory", JsonNode.class)).isEmpty();
        assertThat(
                        watcher.action(
                                        "prompt",
                                        JsonNode.class,
                                        new PromptInput("alice", "é".repeat(32)))
                                .path("stopReason")
                                .asText())
                .isEqualTo("end_turn");

        Viewer alice = viewer(room, "alice");
        Viewer bob = viewer(room, "bob");
        Viewer carl = viewer(room, "carl");
        Viewer dave = viewer(room, "dave");
        Future<JsonNode> running = promptInBackground(alice, "alice", "HANG");
        await().atMost(TURN).until(() -> alice.agentText().contains("echo: 1 blocks: HANG"));
        Future<JsonNode> bobWaits = promptInBackground(bob, "bob", "bob's first chunks=1");
        awaitWaiting(room, 1);
        assertUserError(
                () -> bob.action("prompt", JsonNode.class, new PromptInput("bob", "bob's second")),
                "user_queue_full",
                "One user may have at most 1 prompts waiting (--max-queued-prompts-per-user);"
                        + " wait until one of yours runs.");
        Future<JsonNode> carlWaits = promptInBackground(carl, "carl", "carl's chunks=1");
        awaitWaiting(room, 2);
        assertUserError(
                () -> dave.action("prompt", JsonNode.class, new PromptInput("dave", "dave's")),
                "queue_full",
                "At most 2 prompts may wait for the agent (--max-queued-prompts); try again when the"
                        + " queue is shorter.");

        JsonNode queue = room.action("getQueue", JsonNode.class);
        assertThat(queue.at("/running/userId").asText()).isEqualTo("alice");
        assertThat(queue.path("waiting").get(0).toString())
                .matches(
                        "\\{\"promptId\":\"[-0-9a-f]{36}\",\"userId\":"
                                + "\"bob\",\"name\":\"bob\",\"text\":\"bob's first chunks=1\",\"truncated\":false}");
        room.action("cancel", JsonNode.class);
        assertThat(outcome(running).path("stopReason").asText()).isEqualTo("cancelled");
        assertThat(outcome(bobWaits).path("stopReason").asText()).isEqualTo("end_turn");
        assertThat(outcome(carlWaits).path("stopReason").asText()).isEqualTo("end_turn");
        // The refused prompts were never shown to anyone.
        await().until(() -> watcher.named("chat.user").size() == 4);
        assertThat(watcher.named("chat.user"))
                .extracting(chat -> chat.path("text").asText())
                .containsExactly("é".repeat(32), "HANG", "bob's first chunks=1", "carl's chunks=1");
        assertThat(room.action("getHistory", JsonNode.class).findValuesAsText("text"))
                .doesNotContain("bob's second", "dave's", "é".repeat(33));
    }

    @Test
    void theQueueShowsAPreviewOfLongPrompts() throws Exception {
        registry(config -> config);
        ActorHandle room = workspace("preview", SandboxAgentFixture.FAST_AGENT);
        Viewer alice = viewer(room, "alice");
        Future<JsonNode> running = promptInBackground(alice, "alice", "HANG");
        await().atMost(TURN).until(() -> alice.agentText().contains("echo:"));
        String longPrompt =
                "x".repeat(199) + "😀" + "y".repeat(100); // the emoji straddles character 200
        Future<JsonNode> waiting = promptInBackground(alice, "alice", longPrompt + " chunks=1");
        awaitWaiting(room, 1);

        JsonNode entry = room.action("getQueue", JsonNode.class).path("waiting").get(0);
        assertThat(entry.path("text").asText()).isEqualTo("x".repeat(199));
        assertThat(entry.path("truncated").asBoolean()).isTrue();
        JsonNode announced = alice.named("queue.updated").getLast().path("waiting").get(0);
        assertThat(announced).isEqualTo(entry);
        room.action("cancel", JsonNode.class);
        assertThat(outcome(running).path("stopReason").asText()).isEqualTo("cancelled");
        assertThat(outcome(waiting).path("stopReason").asText()).isEqualTo("end_turn");
    }

    @Test
    void aConnectionBeyondTheLimitIsRefusedAndTheOthersCarryOn() {
        registry(config -> config.limits(new WorkspaceLimits(32 * 1024, 100, 10, 2, 0)));
        ActorHandle room = workspace("crowded", SandboxAgentFixture.FAST_AGENT);
        Viewer alice = viewer(room, "alice");
        Viewer bob = viewer(room, "bob");

        assertUserError(
                () -> viewer(room, "carol"),
                "too_many_connections",
                "A workspace has at most 2 open connections (--max-connections-per-workspace); try again later.");

        assertThat(alice.action("whoami", JsonNode.class).path("userId").asText())
                .isEqualTo("alice");
        assertThat(room.action("listParticipants", JsonNode.class)).hasSize(2);
        bob.close();
        Viewer carol = viewer(room, "carol");
        assertThat(carol.action("whoami", JsonNode.class).path("userId").asText())
                .isEqualTo("carol");
    }

    private static void assertForbidden(
            org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String message) {
        assertThatThrownBy(call)
                .isInstanceOfSatisfying(
                        ActorError.class,
                        e -> {
                            assertThat(e.qualifiedCode()).isEqualTo("auth.forbidden");
                            assertThat(e.getMessage()).isEqualTo(message);
                        });
    }

    private static void assertUserError(
            org.assertj.core.api.ThrowableAssert.ThrowingCallable call,
            String code,
            String message) {
        assertThatThrownBy(call)
                .isInstanceOfSatisfying(
                        ActorError.class,
                        e -> {
                            assertThat(e.qualifiedCode()).isEqualTo("user." + code);
                            assertThat(e.getMessage()).isEqualTo(message);
                        });
    }
}
