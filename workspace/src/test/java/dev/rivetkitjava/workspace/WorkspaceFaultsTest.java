package dev.rivetkitjava.workspace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.actor.ActorError;
import dev.rivetkitjava.actor.ActorHandle;
import dev.rivetkitjava.sandboxagent.SandboxAgentFixture;
import dev.rivetkitjava.sandboxagent.SandboxAgentServer;
import dev.rivetkitjava.workspace.Workspace.HistoryQuery;
import dev.rivetkitjava.workspace.Workspace.PromptInput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The workspace when its Sandbox Agent server hangs (SIGSTOP: alive, silent) in the middle of a
 * turn.
 */
@Tag("external")
class WorkspaceFaultsTest extends WorkspaceTestSupport {

    private static final String GENERIC =
            "The agent failed \\(ref [0-9a-f]{6}\\); the next prompt restores the session\\.";

    @Test
    void
            aSandboxAgentServerStoppedMidTurnFailsTheTurnInBoundedTimeAndTheNextPromptRestoresTheSession()
                    throws Exception {
        SandboxAgentServer own = SandboxAgentFixture.start();
        long pid = own.pid();
        boolean stopped = false;
        try {
            // A short silence timeout (30 s by default) through the workspace's SDK options.
            registry(
                    own.baseUrl(),
                    config ->
                            config.sdkOptions(
                                    sdk ->
                                            sdk.serverSilenceTimeout(Duration.ofSeconds(2))
                                                    .disposeTimeout(Duration.ofSeconds(3))));
            ActorHandle room = workspace("hung", SandboxAgentFixture.FAST_AGENT);
            Viewer bob = viewer(room, "bob");
            Future<JsonNode> turn =
                    inBackground(
                            () ->
                                    room.action(
                                            "prompt",
                                            JsonNode.class,
                                            new PromptInput("alice", "chunks=1 HANG")));
            await().atMost(TURN).until(() -> bob.agentText().contains("chunk 1"));

            signal(pid, "STOP");
            stopped = true;
            await().until(() -> state(pid).equals("T"));
            long sigstop = System.nanoTime();

            // The workspace still serves its history while its agent server hangs, at once.
            long asked = System.nanoTime();
            JsonNode history =
                    room.action("getHistory", JsonNode.class, new HistoryQuery(null, null));
            assertThat(Duration.ofNanos(System.nanoTime() - asked))
                    .isLessThan(Duration.ofSeconds(2));
            assertThat(history.valueStream().map(e -> e.path("event").asText()))
                    .contains("chat.user", "session.event");
            assertThat(turn).isNotDone();

            assertThatThrownBy(() -> outcome(turn))
                    .isInstanceOfSatisfying(
                            ActorError.class,
                            e -> {
                                assertThat(e.code()).isEqualTo("agent_failed");
                                assertThat(e.getMessage()).matches(GENERIC);
                            });
            // 2 s of silence, the health probe's 2 s, its checks' slices: well within the turn's
            // time.
            assertThat(Duration.ofNanos(System.nanoTime() - sigstop))
                    .isLessThan(Duration.ofSeconds(15));
            await().until(() -> !bob.named("session.error").isEmpty());
            assertThat(bob.named("session.error")).hasSize(1);
            assertThat(bob.named("session.error").getFirst().path("message").asText())
                    .matches(GENERIC)
                    .doesNotContain(own.baseUrl());
            JsonNode during =
                    room.action("getHistory", JsonNode.class, new HistoryQuery(null, null));
            assertThat(during.valueStream().map(e -> e.path("event").asText()))
                    .contains("session.error");

            signal(pid, "CONT");
            stopped = false;

            JsonNode next =
                    room.action(
                            "prompt",
                            JsonNode.class,
                            new PromptInput("bob", "still there? chunks=1"));
            assertThat(next.path("stopReason").asText()).isEqualTo("end_turn");
            await().until(
                            () ->
                                    bob.named("session.event").stream()
                                            .anyMatch(
                                                    e ->
                                                            e.at("/payload/method")
                                                                    .asText()
                                                                    .equals(
                                                                            "_sdk/session_restored")));
            assertThat(bob.named("session.error")).hasSize(1);
        } finally {
            if (stopped) {
                signal(pid, "CONT");
            }
            own.stop();
        }
    }

    /** Sends a signal to a real process ({@code STOP}, {@code CONT}). */
    private static void signal(long pid, String signal) throws IOException, InterruptedException {
        Process kill =
                new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).as("kill -%s %d", signal, pid).isZero();
    }

    /** The process's state letter in {@code /proc/PID/stat} ({@code T}: stopped). */
    private static String state(long pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/stat")).split(" ")[2];
        } catch (IOException e) {
            return "?";
        }
    }
}
