package dev.rivetkitjava.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.client.ActorHandle;
import dev.rivetkitjava.client.RivetClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve} under faults, each in JVMs of its own with the pinned Sandbox Agent server and the
 * stand-in agent: one server per data dir, the shutdown's order (actors sleep before the Sandbox
 * Agent server stops), and a start that fails leaves nothing behind.
 */
@Tag("external")
class ServeFaultsTest {

    @TempDir Path dir;

    @Test
    void aSecondServeOnTheSameDataDirExitsAtOnceNamingTheHolderAndLeavesTheFirstAlone()
            throws Exception {
        Path dataDir = dir.resolve("data");
        try (ServeProcess first = ServeProcess.start(dataDir)) {
            List<ProcessHandle> agentServer = ServeProcess.sandboxAgentProcesses(dataDir);
            assertThat(agentServer).isNotEmpty();
            String pidFile = Files.readString(dataDir.resolve("sandbox-agent/server.pid"));
            assertThat(Files.readString(dataDir.resolve(DataDirLock.FILE)).strip())
                    .isEqualTo(Long.toString(first.handle().pid()));

            // On the same port (SO_REUSEPORT would let it bind) and on another one.
            for (int port : new int[] {first.port(), 0}) {
                Path out = dir.resolve("second-" + port + ".log");
                Process second =
                        ServeProcess.command(dataDir, port).redirectOutput(out.toFile()).start();
                try {
                    assertThat(second.waitFor(60, TimeUnit.SECONDS))
                            .as("the second serve exits")
                            .isTrue();
                } finally {
                    second.destroyForcibly();
                }
                assertThat(second.exitValue()).isNotZero();
                assertThat(Files.readString(out))
                        .contains(
                                "rivetkit-java serve: the data dir "
                                        + dataDir.toAbsolutePath()
                                        + " is in use by another serve (pid "
                                        + first.handle().pid()
                                        + ")");
            }

            // The first one's Sandbox Agent server, its PID file and its lock are untouched; its
            // workspace answers.
            assertThat(agentServer).allMatch(ProcessHandle::isAlive);
            assertThat(Files.readString(dataDir.resolve("sandbox-agent/server.pid")))
                    .isEqualTo(pidFile);
            assertThat(Files.readString(dataDir.resolve(DataDirLock.FILE)).strip())
                    .isEqualTo(Long.toString(first.handle().pid()));
            try (RivetClient client = RivetClient.create(first.endpoint())) {
                JsonNode result =
                        client.actor("workspace")
                                .getOrCreate("still-here")
                                .action(
                                        "prompt",
                                        JsonNode.class,
                                        Map.of("userId", "alice", "text", "Still there?"));
                assertThat(result.path("stopReason").asText()).isEqualTo("end_turn");
            }
        }
        assertNoneLeft(dataDir);
    }

    @Test
    void sigtermPutsTheWorkspacesToSleepBeforeTheSandboxAgentServerStopsSoNoSessionErrorIsWritten()
            throws Exception {
        Path dataDir = dir.resolve("data");
        int port;
        // The fast stand-in agent: "HANG" keeps a turn running until it is cancelled.
        try (ServeProcess serve = ServeProcess.start(dataDir, 0, "--agent", "amp")) {
            port = serve.port();
            try (RivetClient client = RivetClient.create(serve.endpoint())) {
                // A live agent session, idle: its SDK is connected when the SIGTERM comes.
                JsonNode result =
                        client.actor("workspace")
                                .getOrCreate("idle")
                                .action(
                                        "prompt",
                                        JsonNode.class,
                                        Map.of("userId", "alice", "text", "chunks=1"));
                assertThat(result.path("stopReason").asText()).isEqualTo("end_turn");
                // And one in the middle of a turn.
                ActorHandle busy = client.actor("workspace").getOrCreate("busy");
                var turn =
                        busy.actionAsync(
                                "prompt",
                                JsonNode.class,
                                Map.of("userId", "bob", "text", "chunks=1 HANG"));
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> WorkspaceHistory.all(busy).toString().contains("chunk 1"));
                assertThat(turn).isNotDone();
            }
        } // SIGTERM, and waits for the exit
        assertNoneLeft(dataDir);
        String log = Files.readString(dataDir.resolveSibling("serve.log"));
        assertThat(log)
                .doesNotContain("the agent session failed")
                .doesNotContain("the agent's turn failed");
        // The order: both workspaces closed their agent sessions, then the Sandbox Agent server was
        // stopped.
        int stopped =
                Math.max(
                        log.indexOf("stopping sandbox-agent server pid"),
                        log.indexOf("killing sandbox-agent server pid"));
        assertThat(stopped).as("the Sandbox Agent server's stop in the log").isPositive();
        for (String workspace : List.of("idle", "busy")) {
            int slept =
                    log.indexOf(
                            "workspace ["
                                    + workspace
                                    + "]: going to sleep, its agent session closed");
            assertThat(slept)
                    .as(workspace + " closed its session")
                    .isPositive()
                    .isLessThan(stopped);
        }

        try (ServeProcess again = ServeProcess.start(dataDir, port, "--agent", "amp");
                RivetClient client = RivetClient.create(again.endpoint())) {
            for (String workspace : List.of("idle", "busy")) {
                List<String> events =
                        WorkspaceHistory.all(client.actor("workspace").getOrCreate(workspace))
                                .stream()
                                .map(e -> e.path("event").asText())
                                .toList();
                assertThat(events)
                        .as(workspace)
                        .contains("chat.user", "session.event")
                        .doesNotContain("session.error");
            }
        }
        assertNoneLeft(dataDir);
    }

    @Test
    void killMinus9MidTurnReportsTheLostTurnAfterTheRestartAndTheNextPromptRestoresTheSession()
            throws Exception {
        Path dataDir = dir.resolve("data");
        int port;
        try (ServeProcess serve = ServeProcess.start(dataDir, 0, "--agent", "amp");
                RivetClient client = RivetClient.create(serve.endpoint())) {
            port = serve.port();
            ActorHandle workspace = client.actor("workspace").getOrCreate("cut-off");
            var turn =
                    workspace.actionAsync(
                            "prompt",
                            JsonNode.class,
                            Map.of("userId", "alice", "text", "chunks=1 HANG"));
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> WorkspaceHistory.all(workspace).toString().contains("chunk 1"));
            assertThat(turn).isNotDone();
            serve.handle().destroyForcibly();
            await().atMost(Duration.ofSeconds(30)).until(() -> !serve.handle().isAlive());
        }

        // The restart stops the killed one's Sandbox Agent server (its orphan) and starts its own.
        try (ServeProcess again = ServeProcess.start(dataDir, port, "--agent", "amp");
                RivetClient client = RivetClient.create(again.endpoint())) {
            ActorHandle workspace = client.actor("workspace").getOrCreate("cut-off");
            List<JsonNode> history = WorkspaceHistory.all(workspace);
            assertThat(history)
                    .extracting(e -> e.path("event").asText())
                    .startsWith("chat.user", "session.event")
                    .endsWith("session.error");
            assertThat(history.getLast().path("data").path("message").asText())
                    .contains("stopped during alice's prompt")
                    .contains("The next prompt restores the session");

            JsonNode next =
                    workspace.action(
                            "prompt",
                            JsonNode.class,
                            Map.of("userId", "alice", "text", "chunks=1"));
            assertThat(next.path("stopReason").asText()).isEqualTo("end_turn");
            List<JsonNode> after = WorkspaceHistory.all(workspace);
            assertThat(after.subList(0, history.size())).isEqualTo(history);
            // The restored session: the persisted history went to the agent with the prompt, as a
            // block of its own.
            assertThat(after.subList(history.size(), after.size()).toString())
                    .contains("echo: 2 blocks");
            assertThat(after)
                    .filteredOn(e -> e.path("event").asText().equals("session.error"))
                    .hasSize(1);
        }
        assertNoneLeft(dataDir);
    }

    @Test
    void aStartThatFailsAfterOpeningTheStoreLeavesNoLockAndNoSandboxAgentServer() throws Exception {
        Path dataDir = dir.resolve("data");
        Path out = dir.resolve("failed.log");
        // A listener without SO_REUSEPORT: serve's bind fails, after the lock, the Sandbox Agent
        // server and the store.
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Process serve =
                    ServeProcess.command(dataDir, taken.getLocalPort())
                            .redirectOutput(out.toFile())
                            .start();
            try {
                assertThat(serve.waitFor(90, TimeUnit.SECONDS)).as("serve exits").isTrue();
            } finally {
                serve.destroyForcibly();
            }
            assertThat(serve.exitValue()).isNotZero();
            assertThat(Files.readString(out))
                    .contains(
                            "rivetkit-java serve: cannot listen on 127.0.0.1:"
                                    + taken.getLocalPort());
        }
        String log = Files.readString(out);
        assertThat(log).contains("sandbox-agent server pid"); // it had started one
        assertThat(dataDir.resolve("actors.db")).exists(); // and opened the store
        assertNoneLeft(dataDir);
        assertThat(dataDir.resolve("sandbox-agent/server.pid")).doesNotExist();
    }

    /** No process of the data dir's Sandbox Agent home runs, and its lock is free. */
    static void assertNoneLeft(Path dataDir) throws IOException {
        await("the Sandbox Agent processes of " + dataDir + " to end")
                .atMost(Duration.ofSeconds(15))
                .until(() -> ServeProcess.sandboxAgentProcesses(dataDir).isEmpty());
        assertLockFree(dataDir);
    }

    static void assertLockFree(Path dataDir) throws IOException {
        Path file = dataDir.resolve(DataDirLock.FILE);
        assertThat(file).exists();
        assertThat(Files.readString(file, StandardCharsets.US_ASCII))
                .as("the lock's holder")
                .isBlank();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE);
                FileLock lock = channel.tryLock()) {
            assertThat(lock).as("the data dir's lock is free").isNotNull();
        }
    }
}
