package dev.rivetkitjava.workspace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.actor.ActorError;
import dev.rivetkitjava.actor.ActorHandle;
import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.sandboxagent.SandboxAgentFixture;
import dev.rivetkitjava.sandboxagent.SandboxAgentServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The sandbox stays behind the actor: an opaque id, and no agent left after a destroy (generic
 * error texts: see {@link WorkspaceActorTest}'s agent that exits mid-turn).
 */
@Tag("external")
class WorkspaceLifecycleTest extends WorkspaceTestSupport {

    @Test
    void theSessionInfoNamesTheSandboxByItsOpaqueId() {
        registry(config -> config.sandboxId("sbx-42"));
        ActorHandle room = workspace("info", SandboxAgentFixture.FAST_AGENT);

        assertThat(room.action("getSessionInfo", Map.class))
                .isEqualTo(Map.of("workspaceId", "info", "sandboxId", "sbx-42"));
        assertThat(room.action("getSessionInfo", JsonNode.class).toString())
                .doesNotContain("http", "127.0.0.1");
    }

    @Test
    void destroyingAWorkspaceMidTurnFailsThePromptAndLeavesNoAgentProcess() throws Exception {
        SandboxAgentServer own = SandboxAgentFixture.start();
        try {
            registry(own.baseUrl(), config -> config);
            ActorHandle room = workspace("doomed", SandboxAgentFixture.FAST_AGENT);
            Viewer alice = viewer(room, "alice");
            Viewer waiting = viewer(room, "bob");
            Future<JsonNode> turn = promptInBackground(alice, "alice", "HANG");
            await().atMost(TURN).until(() -> alice.agentText().contains("echo:"));
            Future<JsonNode> queued = promptInBackground(waiting, "bob", "next");
            awaitWaiting(room, 1);
            assertThat(agentProcesses(own)).hasSize(1);
            String actorId = room.resolve();

            long start = System.nanoTime();
            registry.placement().destroy(actorId);

            // Not held up for the registry's grace period (15 s) by a turn that has no timeout.
            assertThat(Duration.ofNanos(System.nanoTime() - start))
                    .isLessThan(Duration.ofSeconds(12));
            for (Future<JsonNode> prompt : List.of(turn, queued)) {
                assertThatThrownBy(() -> outcome(prompt))
                        .isInstanceOfSatisfying(
                                ActorError.class,
                                e ->
                                        assertThat(e.qualifiedCode())
                                                .isEqualTo("user.workspace_stopped"));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> agentProcesses(own).isEmpty());
            assertThat(registry.list(WorkspaceActor.NAME, null, 10))
                    .extracting(r -> r.key())
                    .doesNotContain(ActorKey.of("doomed"));
        } finally {
            own.stop();
        }
    }

    private static List<ProcessHandle> agentProcesses(SandboxAgentServer server) {
        return server.process()
                .descendants()
                .filter(
                        p ->
                                p.isAlive()
                                        && p.info()
                                                .commandLine()
                                                .orElse("")
                                                .contains("fast-agent.mjs"))
                .toList();
    }
}
