package dev.rivetkitjava.workspace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.actor.ActorError;
import dev.rivetkitjava.actor.ActorHandle;
import dev.rivetkitjava.sandboxagent.PermissionReply;
import dev.rivetkitjava.sandboxagent.SandboxAgentFixture;
import dev.rivetkitjava.workspace.Workspace.PermissionAnswer;
import dev.rivetkitjava.workspace.Workspace.PromptInput;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Permissions never hang: a member answers, or the workspace's policy does when nobody listens, the
 * last listener leaves or unsubscribes, or the permission timeout passes. Against the real Sandbox
 * Agent server.
 */
@Tag("external")
class WorkspacePermissionTest extends WorkspaceTestSupport {

    /** The seed's browser snippet listens to these only. */
    private static final List<String> SEED_EVENTS = List.of("chat.user", "session.event");

    private static final List<String> NO_PERMISSIONS =
            List.of("chat.user", "session.event", "permission.resolved");

    @Test
    void theSeedsSnippetAloneGetsItsTurnToTheEndAndTheHistoryShowsThePolicysAnswer()
            throws Exception {
        registry(config -> config);
        ActorHandle room = workspace("seed", null);
        Viewer seed = viewer(room, null, SEED_EVENTS);

        JsonNode result =
                seed.action(
                        "prompt",
                        JsonNode.class,
                        new PromptInput(
                                "user-123", "Propose a refactor plan for auth middleware."));

        assertThat(result.path("stopReason").asText()).isEqualTo("end_turn");
        assertThat(seed.named("chat.user"))
                .singleElement()
                .satisfies(chat -> assertThat(chat.path("userId").asText()).isEqualTo("user-123"));
        await().until(() -> seed.agentText().contains("skip the configuration update"));
        List<JsonNode> permissions = permissionEntries(room.action("getHistory", JsonNode.class));
        assertThat(permissions).hasSize(2);
        assertThat(permissions.get(0).path("event").asText()).isEqualTo("permission.requested");
        assertThat(permissions.get(1).path("event").asText()).isEqualTo("permission.resolved");
        assertThat(permissions.get(1).path("seq").asLong())
                .isGreaterThan(permissions.get(0).path("seq").asLong());
        JsonNode resolved = permissions.get(1).path("data");
        assertThat(resolved.path("id").asText())
                .isEqualTo(permissions.get(0).at("/data/id").asText());
        assertPolicy(resolved, "reject", "no_listener");
        assertThat(room.action("listPendingPermissions", JsonNode.class)).isEmpty();
    }

    @Test
    void theApprovePolicyLetsTheAgentMakeItsEdit() throws Exception {
        registry(config -> config.permissionPolicy(PermissionPolicy.APPROVE));
        ActorHandle room = workspace("approve", null);
        Viewer seed = viewer(room, null, SEED_EVENTS);

        JsonNode result =
                seed.action(
                        "prompt",
                        JsonNode.class,
                        new PromptInput("user-123", "Change the config."));

        assertThat(result.path("stopReason").asText()).isEqualTo("end_turn");
        await().until(() -> seed.agentText().contains("successfully updated the configuration"));
        assertThat(seed.named("session.event"))
                .anySatisfy(
                        event -> {
                            JsonNode update = event.at("/payload/params/update");
                            assertThat(update.path("sessionUpdate").asText())
                                    .isEqualTo("tool_call_update");
                            assertThat(update.path("toolCallId").asText()).isEqualTo("call_2");
                            assertThat(update.path("status").asText()).isEqualTo("completed");
                        });
        List<JsonNode> permissions = permissionEntries(room.action("getHistory", JsonNode.class));
        assertPolicy(permissions.getLast().path("data"), "once", "no_listener");
    }

    @Test
    void whenTheLastListenerDisconnectsMidRequestThePolicyAnswers() throws Exception {
        registry(config -> config);
        ActorHandle room = workspace("listener-leaves", SandboxAgentFixture.FAST_AGENT);
        Viewer watcher = viewer(room, null, NO_PERMISSIONS);
        Viewer bob = viewer(room, "bob");
        Future<JsonNode> turn = promptInBackground(watcher, "alice", "PERM");
        await().atMost(TURN).until(() -> !bob.named("permission.requested").isEmpty());
        assertThat(room.action("listPendingPermissions", JsonNode.class)).hasSize(1);

        bob.close();

        assertThat(outcome(turn).path("stopReason").asText()).isEqualTo("end_turn");
        await().until(() -> watcher.agentText().contains("permission: reject"));
        assertThat(watcher.named("permission.resolved"))
                .singleElement()
                .satisfies(resolved -> assertPolicy(resolved, "reject", "listeners_left"));
        assertThat(room.action("listPendingPermissions", JsonNode.class)).isEmpty();
    }

    @Test
    void whenTheLastListenerUnsubscribesMidRequestThePolicyAnswers() throws Exception {
        registry(config -> config);
        ActorHandle room = workspace("listener-unsubscribes", SandboxAgentFixture.FAST_AGENT);
        Viewer watcher = viewer(room, null, NO_PERMISSIONS);
        Viewer bob = viewer(room, "bob");
        Viewer carol = viewer(room, "carol");
        Future<JsonNode> turn = promptInBackground(watcher, "alice", "PERM");
        await().atMost(TURN).until(() -> !bob.named("permission.requested").isEmpty());

        bob.stopListening("permission.requested");
        // Carol still listens: the request waits for her.
        assertThat(room.action("listPendingPermissions", JsonNode.class)).hasSize(1);
        assertThat(turn.isDone()).isFalse();
        carol.stopListening("permission.requested");

        assertThat(outcome(turn).path("stopReason").asText()).isEqualTo("end_turn");
        await().until(() -> watcher.agentText().contains("permission: reject"));
        assertThat(watcher.named("permission.resolved"))
                .singleElement()
                .satisfies(resolved -> assertPolicy(resolved, "reject", "listeners_left"));
        // Both are still connected, and bob still hears the rest.
        assertThat(bob.action("whoami", JsonNode.class).path("userId").asText()).isEqualTo("bob");
        await().until(() -> bob.named("permission.resolved").size() == 1);
    }

    @Test
    void aRequestNobodyAnswersInTimeIsResolvedByThePolicy() throws Exception {
        registry(config -> config.permissionTimeout(Duration.ofSeconds(1)));
        ActorHandle room = workspace("timeout", SandboxAgentFixture.FAST_AGENT);
        Viewer bob = viewer(room, "bob");

        long start = System.nanoTime();
        JsonNode result = bob.action("prompt", JsonNode.class, new PromptInput("bob", "PERM"));

        assertThat(result.path("stopReason").asText()).isEqualTo("end_turn");
        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .isGreaterThanOrEqualTo(Duration.ofSeconds(1));
        assertThat(bob.named("permission.requested")).hasSize(1);
        await().until(() -> bob.named("permission.resolved").size() == 1);
        assertPolicy(bob.named("permission.resolved").getFirst(), "reject", "timeout");
        await().until(() -> bob.agentText().contains("permission: reject"));
    }

    @Test
    void aBadReplyLeavesTheRequestAnswerableAndTheAnswerIsTheCallers() throws Exception {
        registry(config -> config);
        ActorHandle room = workspace("bad-reply", SandboxAgentFixture.FAST_AGENT);
        Viewer alice = viewer(room, "alice");
        Future<JsonNode> turn = promptInBackground(alice, "alice", "PERM");
        await().atMost(TURN).until(() -> !alice.named("permission.requested").isEmpty());
        String id = alice.named("permission.requested").getFirst().path("id").asText();

        assertThatThrownBy(
                        () ->
                                alice.action(
                                        "respondPermission",
                                        JsonNode.class,
                                        new PermissionAnswer(id, "maybe")))
                .isInstanceOfSatisfying(
                        ActorError.class, e -> assertThat(e.code()).isEqualTo("invalid_reply"));
        assertThatThrownBy(
                        () ->
                                alice.action(
                                        "respondPermission",
                                        JsonNode.class,
                                        new PermissionAnswer("no-such-request", "once")))
                .isInstanceOfSatisfying(
                        ActorError.class,
                        e -> assertThat(e.code()).isEqualTo("permission_already_resolved"));
        assertThat(room.action("listPendingPermissions", JsonNode.class)).hasSize(1);

        // A forged userId in the arguments is ignored: the answer is the connection's caller's.
        alice.action(
                "respondPermission",
                JsonNode.class,
                java.util.Map.of("id", id, "reply", "reject", "userId", "mallory"));

        assertThat(outcome(turn).path("stopReason").asText()).isEqualTo("end_turn");
        await().until(() -> alice.agentText().contains("permission: reject"));
        assertThat(alice.named("permission.resolved"))
                .singleElement()
                .satisfies(
                        resolved -> {
                            assertThat(resolved.path("reply").asText()).isEqualTo("reject");
                            assertThat(resolved.path("userId").asText()).isEqualTo("alice");
                            assertThat(resolved.path("by").asText()).isEqualTo("user");
                        });
        assertThatThrownBy(
                        () ->
                                alice.action(
                                        "respondPermission",
                                        JsonNode.class,
                                        new PermissionAnswer(id, "once")))
                .isInstanceOfSatisfying(
                        ActorError.class,
                        e -> assertThat(e.code()).isEqualTo("permission_already_resolved"));
    }

    @Test
    void thePolicyTakesTheNearestReplyTheAgentOffersElseCancels() {
        List<PermissionReply> all =
                List.of(PermissionReply.ONCE, PermissionReply.ALWAYS, PermissionReply.REJECT);
        assertThat(WorkspaceActor.policyReply(PermissionPolicy.APPROVE, all))
                .isEqualTo(PermissionReply.ONCE);
        assertThat(
                        WorkspaceActor.policyReply(
                                PermissionPolicy.APPROVE,
                                List.of(PermissionReply.ALWAYS, PermissionReply.REJECT)))
                .isEqualTo(PermissionReply.ALWAYS);
        assertThat(
                        WorkspaceActor.policyReply(
                                PermissionPolicy.APPROVE, List.of(PermissionReply.REJECT)))
                .isNull();
        assertThat(WorkspaceActor.policyReply(PermissionPolicy.REJECT, all))
                .isEqualTo(PermissionReply.REJECT);
        assertThat(
                        WorkspaceActor.policyReply(
                                PermissionPolicy.REJECT, List.of(PermissionReply.ONCE)))
                .isNull();
    }

    private static void assertPolicy(JsonNode resolved, String reply, String reason) {
        assertThat(resolved.path("reply").asText()).isEqualTo(reply);
        assertThat(resolved.path("by").asText()).isEqualTo("policy");
        assertThat(resolved.path("reason").asText()).isEqualTo(reason);
        assertThat(resolved.has("userId")).isTrue();
        assertThat(resolved.path("userId").isNull()).isTrue();
        assertThat(resolved.path("name").isNull()).isTrue();
    }

    private static List<JsonNode> permissionEntries(JsonNode history) {
        List<JsonNode> permissions = new ArrayList<>();
        for (JsonNode entry : history) {
            if (entry.path("event").asText().startsWith("permission.")) {
                permissions.add(entry);
            }
        }
        return permissions;
    }
}
