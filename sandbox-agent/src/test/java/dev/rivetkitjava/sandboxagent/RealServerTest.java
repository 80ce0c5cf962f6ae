package dev.rivetkitjava.sandboxagent;

import static dev.rivetkitjava.sandboxagent.SandboxAgentFixture.EXAMPLE_AGENT;
import static dev.rivetkitjava.sandboxagent.SandboxAgentFixture.FAST_AGENT;
import static dev.rivetkitjava.sandboxagent.SessionEvents.chunks;
import static dev.rivetkitjava.sandboxagent.SessionEvents.kinds;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.rivetkitjava.sandboxagent.persist.InMemorySessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.PageRequest;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.sandboxagent.persist.SessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.SessionRecord;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SDK against the real sandbox-agent 0.4.2 binary and real ACP agents (the example agent and
 * the fast agent).
 */
@Tag("external")
class RealServerTest {

    private static SandboxAgentServer server;

    @BeforeAll
    static void startServer() {
        server = SandboxAgentFixture.start();
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.stop();
        }
    }

    private static SandboxAgent connect() {
        return SandboxAgent.connect(server.baseUrl());
    }

    @Test
    void connectsAndListsTheStandInAgents() {
        try (SandboxAgent sdk = connect()) {
            assertThat(sdk.health().status()).isEqualTo("ok");
            assertThat(sdk.listAgents())
                    .filteredOn(AgentInfo::installed)
                    .extracting(AgentInfo::id)
                    .contains(EXAMPLE_AGENT, FAST_AGENT);
            AgentInfo codex = sdk.getAgent(EXAMPLE_AGENT, false);
            assertThat(codex.installed()).isTrue();
            assertThat(codex.capabilities().path("permissions").isBoolean()).isTrue();
            assertThatThrownBy(() -> sdk.getAgent("nope", false))
                    .isInstanceOfSatisfying(
                            HttpProblemException.class,
                            e -> {
                                assertThat(e.status()).isEqualTo(400);
                                assertThat(e.code()).isEqualTo("unsupported_agent");
                                assertThat(e.problem().path("agent").asText()).isEqualTo("nope");
                            });
        }
    }

    @Test
    void theExampleAgentStreamsItsTurnInOrderAndAsksPermission() {
        try (SandboxAgent sdk = connect()) {
            Session session =
                    sdk.createSession(SessionCreateRequest.of(EXAMPLE_AGENT).withId("example"));
            assertThat(session.agentSessionId()).isNotBlank();
            List<SessionEvent> seen = new CopyOnWriteArrayList<>();
            session.onEvent(seen::add);
            List<PermissionRequest> asked = new CopyOnWriteArrayList<>();
            session.onPermissionRequest(
                    request -> {
                        asked.add(request);
                        session.respondPermission(request.id(), PermissionReply.ONCE);
                    });

            PromptResult result = session.prompt("Improve the configuration");

            assertThat(result.stopReason()).isEqualTo("end_turn");
            List<SessionEvent> persisted = SessionEvents.all(sdk, "example");
            assertThat(kinds(persisted))
                    .containsExactly(
                            "client session/new",
                            "agent response",
                            "client session/prompt",
                            "agent update:agent_message_chunk",
                            "agent update:tool_call",
                            "agent update:tool_call_update",
                            "agent update:agent_message_chunk",
                            "agent update:tool_call",
                            "agent session/request_permission",
                            "client response",
                            "agent update:tool_call_update",
                            "agent update:agent_message_chunk",
                            "agent response");
            assertThat(persisted)
                    .extracting(SessionEvent::eventIndex)
                    .containsExactlyElementsOf(
                            IntStream.rangeClosed(1, persisted.size())
                                    .asLongStream()
                                    .boxed()
                                    .toList());
            assertThat(persisted.get(2).payload().path("params").path("sessionId").asText())
                    .isEqualTo(session.agentSessionId());
            assertThat(seen).containsExactlyElementsOf(persisted.subList(2, persisted.size()));
            assertThat(asked)
                    .singleElement()
                    .satisfies(
                            request -> {
                                assertThat(request.sessionId()).isEqualTo("example");
                                // ALWAYS falls back to the allow_once option, as in the TS SDK
                                assertThat(request.availableReplies())
                                        .containsExactly(
                                                PermissionReply.ONCE,
                                                PermissionReply.ALWAYS,
                                                PermissionReply.REJECT);
                                assertThat(request.toolCall().path("toolCallId").asText())
                                        .isEqualTo("call_2");
                            });
            assertThat(
                            persisted
                                    .get(9)
                                    .payload()
                                    .path("result")
                                    .path("outcome")
                                    .path("optionId")
                                    .asText())
                    .isEqualTo("allow");
            assertThat(chunks(persisted).getLast())
                    .contains("successfully updated the configuration");
        }
    }

    @Test
    void permissionRepliesReachTheAgent() {
        try (SandboxAgent sdk = connect()) {
            Session session = sdk.createSession(SessionCreateRequest.of(FAST_AGENT));
            assertThat(session.prompt("PERM").stopReason()).isEqualTo("end_turn");
            assertThat(chunks(SessionEvents.all(sdk, session.id())))
                    .last()
                    .isEqualTo("permission: cancelled");

            Subscription reject =
                    session.onPermissionRequest(
                            r -> session.respondPermission(r.id(), PermissionReply.REJECT));
            session.prompt("PERM");
            assertThat(chunks(SessionEvents.all(sdk, session.id())))
                    .last()
                    .isEqualTo("permission: reject");
            reject.close();

            List<PermissionRequest> pending = new CopyOnWriteArrayList<>();
            session.onPermissionRequest(pending::add);
            CompletableFuture<PromptResult> turn =
                    CompletableFuture.supplyAsync(() -> session.prompt("PERM"));
            await().until(() -> !pending.isEmpty());
            String id = pending.getFirst().id();
            assertThatThrownBy(
                            () -> sdk.respondPermission("no-such-permission", PermissionReply.ONCE))
                    .hasMessageContaining("permission 'no-such-permission' not found");
            sdk.respondPermission(id, PermissionReply.ALWAYS);
            assertThat(turn.join().stopReason()).isEqualTo("end_turn");
            assertThat(chunks(SessionEvents.all(sdk, session.id())))
                    .last()
                    .isEqualTo("permission: always");
            assertThatThrownBy(() -> sdk.respondPermission(id, PermissionReply.ONCE))
                    .hasMessageContaining("not found");

            // A listener may also dismiss a request (none of its options fits): the agent sees
            // "cancelled".
            pending.clear();
            CompletableFuture<PromptResult> dismissed =
                    CompletableFuture.supplyAsync(() -> session.prompt("PERM"));
            await().until(() -> !pending.isEmpty());
            sdk.cancelPermission(pending.getFirst().id());
            assertThat(dismissed.join().stopReason()).isEqualTo("end_turn");
            assertThat(chunks(SessionEvents.all(sdk, session.id())))
                    .last()
                    .isEqualTo("permission: cancelled");
            assertThatThrownBy(() -> sdk.cancelPermission(pending.getFirst().id()))
                    .hasMessageContaining("not found");
        }
    }

    @Test
    void theExampleAgentTakesARejection() {
        try (SandboxAgent sdk = connect()) {
            Session session = sdk.createSession(SessionCreateRequest.of(EXAMPLE_AGENT));
            session.onPermissionRequest(
                    r -> session.respondPermission(r.id(), PermissionReply.REJECT));
            assertThat(session.prompt("Change the config").stopReason()).isEqualTo("end_turn");
            assertThat(chunks(SessionEvents.all(sdk, session.id())))
                    .last()
                    .asString()
                    .contains("skip the configuration update");
        }
    }

    @Test
    void cancelEndsTheRunningTurn() {
        try (SandboxAgent sdk = connect()) {
            Session session = sdk.createSession(SessionCreateRequest.of(FAST_AGENT));
            List<String> chunks = new CopyOnWriteArrayList<>();
            session.onEvent(e -> chunks.addAll(chunks(List.of(e))));
            CompletableFuture<PromptResult> turn =
                    CompletableFuture.supplyAsync(() -> session.prompt("chunks=1 HANG"));
            await().until(() -> chunks.contains("chunk 1"));
            session.cancel();
            assertThat(turn.join().stopReason()).isEqualTo("cancelled");
            assertThat(kinds(SessionEvents.all(sdk, session.id())))
                    .contains("client session/cancel");
        }
    }

    @Test
    void toolCallsArePersistedWithTheirUpdates() {
        try (SandboxAgent sdk = connect()) {
            Session session = sdk.createSession(SessionCreateRequest.of(FAST_AGENT));
            session.prompt("chunks=2 TOOL");
            List<SessionEvent> events = SessionEvents.all(sdk, session.id());
            assertThat(kinds(events))
                    .containsSubsequence("agent update:tool_call", "agent update:tool_call_update");
            assertThat(events)
                    .filteredOn(e -> SessionEvents.kind(e).endsWith("tool_call_update"))
                    .singleElement()
                    .satisfies(
                            e ->
                                    assertThat(
                                                    e.payload()
                                                            .path("params")
                                                            .path("update")
                                                            .path("status")
                                                            .asText())
                                            .isEqualTo("completed"));
        }
    }

    @Test
    void resumeOrCreateFindsTheSameSessionAndANewClientRestoresIt() {
        SessionPersistDriver persist = new InMemorySessionPersistDriver();
        String firstAgentSession;
        long createdAt;
        try (SandboxAgent sdk = SandboxAgent.builder(server.baseUrl()).persist(persist).build()) {
            Session created =
                    sdk.resumeOrCreateSession(
                            SessionCreateRequest.of(FAST_AGENT).withId("default"));
            created.prompt("first words");
            Session again =
                    sdk.resumeOrCreateSession(
                            SessionCreateRequest.of(FAST_AGENT).withId("default"));
            assertThat(again.agentSessionId()).isEqualTo(created.agentSessionId());
            firstAgentSession = created.agentSessionId();
            createdAt = created.record().createdAt();
            assertThat(kinds(SessionEvents.all(sdk, "default")))
                    .doesNotContain("client _sdk/session_restored");
        }
        try (SandboxAgent sdk = SandboxAgent.builder(server.baseUrl()).persist(persist).build()) {
            Session session =
                    sdk.resumeOrCreateSession(
                            SessionCreateRequest.of(FAST_AGENT).withId("default"));
            assertThat(session.agentSessionId()).isNotEqualTo(firstAgentSession);
            SessionRecord record = session.record();
            assertThat(record.createdAt()).isEqualTo(createdAt);
            assertThat(record.destroyedAt()).isNull();
            session.prompt("second words");
            List<SessionEvent> events = SessionEvents.all(sdk, "default");
            assertThat(restoredEvent(events).path("params").path("contextRestored").asBoolean())
                    .isTrue();
            assertThat(chunks(events))
                    .contains("echo: 2 blocks: " + ReplayText.PREAMBLE.substring(0, 60));
        }
        try (SandboxAgent sdk = SandboxAgent.builder(server.baseUrl()).persist(persist).build()) {
            sdk.resumeSession("default").prompt("third words");
            List<SessionEvent> events = SessionEvents.all(sdk, "default");
            String replay = lastPrompt(events).path(0).path("text").asText();
            assertThat(replay)
                    .startsWith(ReplayText.PREAMBLE)
                    .contains("second words")
                    .doesNotContain("_sdk/");
        }
    }

    private static com.fasterxml.jackson.databind.JsonNode lastPrompt(List<SessionEvent> events) {
        return events.stream()
                .filter(e -> SessionEvents.kind(e).equals("client session/prompt"))
                .reduce((a, b) -> b)
                .orElseThrow()
                .payload()
                .path("params")
                .path("prompt");
    }

    @Test
    void aRestartedServerRestoresTheSessionWithItsHistory() {
        SandboxAgentServer own = SandboxAgentFixture.start();
        try (SandboxAgent sdk = SandboxAgent.builder(own.baseUrl()).build()) {
            Session session = sdk.createSession(SessionCreateRequest.of(FAST_AGENT));
            session.prompt("remember the word PELICAN chunks=1");
            String before = session.agentSessionId();
            List<SessionEvent> history = SessionEvents.all(sdk, session.id());

            CompletableFuture<PromptResult> turn =
                    CompletableFuture.supplyAsync(() -> session.prompt("chunks=1 HANG"));
            await().until(() -> chunks(SessionEvents.all(sdk, session.id())).size() >= 4);
            own.stop();
            assertThat(turn)
                    .failsWithin(Duration.ofSeconds(30))
                    .withThrowableThat()
                    .havingCause()
                    .isInstanceOf(ServerUnreachableException.class)
                    .withMessageContaining(own.baseUrl());
            own = SandboxAgentFixture.restart(own);

            assertThat(session.prompt("what was the word").stopReason()).isEqualTo("end_turn");

            List<SessionEvent> events = SessionEvents.all(sdk, session.id());
            var restored = restoredEvent(events).path("params");
            assertThat(restored.path("contextRestored").asBoolean()).isTrue();
            assertThat(restored.path("previousAgentSessionId").asText()).isEqualTo(before);
            assertThat(restored.path("agentSessionId").asText())
                    .isEqualTo(session.agentSessionId())
                    .isNotEqualTo(before);
            var blocks = lastPrompt(events);
            assertThat(blocks).hasSize(2);
            String replay = blocks.get(0).path("text").asText();
            assertThat(replay).startsWith(ReplayText.PREAMBLE).contains("PELICAN");
            assertThat(replay.lines().skip(1).toList())
                    .allSatisfy(line -> assertThat(line).startsWith("{\"createdAt\":"));
            assertThat(replay).contains(history.getFirst().payload().toString());
            assertThat(blocks.get(1).path("text").asText()).isEqualTo("what was the word");
            assertThat(events.getLast().payload().path("result").path("stopReason").asText())
                    .isEqualTo("end_turn");
        } finally {
            own.stop();
        }
    }

    private static com.fasterxml.jackson.databind.JsonNode restoredEvent(
            List<SessionEvent> events) {
        return events.stream()
                .filter(e -> SessionEvents.kind(e).equals("client _sdk/session_restored"))
                .reduce((a, b) -> b)
                .orElseThrow()
                .payload();
    }

    @Test
    void aKilledAgentFailsTheTurnAndTheNextPromptRestores() {
        SandboxAgentServer own = SandboxAgentFixture.start();
        try (SandboxAgent sdk = SandboxAgent.builder(own.baseUrl()).build()) {
            Session session = sdk.createSession(SessionCreateRequest.of(FAST_AGENT));
            List<String> chunks = new CopyOnWriteArrayList<>();
            session.onEvent(e -> chunks.addAll(chunks(List.of(e))));
            CompletableFuture<PromptResult> turn =
                    CompletableFuture.supplyAsync(() -> session.prompt("chunks=1 HANG"));
            await().until(() -> chunks.contains("chunk 1"));
            assertThat(SandboxAgentFixture.killAgentProcesses(own, FAST_AGENT)).isEqualTo(1);

            assertThat(turn)
                    .failsWithin(Duration.ofSeconds(30))
                    .withThrowableThat()
                    .havingCause()
                    .isInstanceOf(AgentExitedException.class)
                    .withMessageContaining("agent 'amp' exited");
            assertThat(kinds(SessionEvents.all(sdk, session.id())))
                    .last()
                    .isEqualTo("agent _adapter/agent_exited");

            assertThat(session.prompt("chunks=1").stopReason()).isEqualTo("end_turn");
            assertThat(kinds(SessionEvents.all(sdk, session.id())))
                    .contains("client _sdk/session_restored");
        } finally {
            own.stop();
        }
    }

    @Test
    void theStreamReconnectsWithoutDuplicates() {
        try (SandboxAgent sdk =
                SandboxAgent.builder(server.baseUrl())
                        .streamReadTimeout(Duration.ofMillis(600))
                        .build()) {
            Session session = sdk.createSession(SessionCreateRequest.of(FAST_AGENT));
            List<SessionEvent> seen = new CopyOnWriteArrayList<>();
            session.onEvent(seen::add);
            session.prompt("first chunks=3");
            long opened = sdk.streamsOpened(FAST_AGENT);
            await().until(
                            () ->
                                    sdk.streamsOpened(FAST_AGENT)
                                            >= opened
                                                    + 2); // silent for longer than the read timeout
            session.prompt("second chunks=3");

            // each reconnect sent Last-Event-ID; a stream replaying old messages would add events
            // here
            List<SessionEvent> events = SessionEvents.all(sdk, session.id());
            List<String> turn =
                    List.of(
                            "client session/prompt",
                            "agent update:agent_message_chunk",
                            "agent update:agent_message_chunk",
                            "agent update:agent_message_chunk",
                            "agent update:agent_message_chunk",
                            "agent response");
            assertThat(kinds(events.subList(2, events.size())))
                    .containsExactlyElementsOf(
                            java.util.stream.Stream.concat(turn.stream(), turn.stream()).toList());
            assertThat(chunks(events))
                    .containsExactly(
                            "echo: 1 blocks: first chunks=3",
                            "chunk 1",
                            "chunk 2",
                            "chunk 3",
                            "echo: 1 blocks: second chunks=3",
                            "chunk 1",
                            "chunk 2",
                            "chunk 3");
            assertThat(seen).containsExactlyElementsOf(events.subList(2, events.size()));
        }
    }

    @Test
    void settingsAreCheckedAgainstTheAgentsChoices() {
        try (SandboxAgent sdk = connect()) {
            Session session =
                    sdk.createSession(
                            SessionCreateRequest.of(FAST_AGENT)
                                    .withMode("bypass")
                                    .withModel("amp-default"));
            assertThat(session.record().modes().path("currentModeId").asText()).isEqualTo("bypass");
            assertThat(SessionEvents.all(sdk, session.id()))
                    .filteredOn(
                            e -> SessionEvents.kind(e).equals("client session/set_config_option"))
                    .singleElement()
                    .satisfies(
                            e ->
                                    assertThat(e.payload().path("params").path("configId").asText())
                                            .isEqualTo("model"));
            assertThatThrownBy(() -> session.setMode("yolo"))
                    .isInstanceOf(UnsupportedSessionSettingException.class)
                    .hasMessageContaining("default, bypass");
            assertThatThrownBy(() -> session.setModel("gpt-4"))
                    .isInstanceOf(UnsupportedSessionSettingException.class)
                    .hasMessageContaining("amp-default");
            assertThatThrownBy(() -> session.setThoughtLevel("high"))
                    .isInstanceOf(UnsupportedSessionSettingException.class);

            Session example = sdk.createSession(SessionCreateRequest.of(EXAMPLE_AGENT));
            assertThatThrownBy(() -> example.setModel("gpt-5.2"))
                    .isInstanceOfSatisfying(
                            AcpRpcException.class, e -> assertThat(e.code()).isEqualTo(-32601));
        }
    }

    @Test
    void unknownSessionsAreReportedWithoutAsking() {
        try (SandboxAgent sdk = connect()) {
            assertThatThrownBy(() -> sdk.resumeSession("nope"))
                    .isInstanceOf(SessionNotFoundException.class)
                    .hasMessage("session 'nope' not found");
            assertThat(sdk.getSession("nope")).isEmpty();
            assertThatThrownBy(() -> sdk.destroySession("nope"))
                    .isInstanceOf(SessionNotFoundException.class);
        }
    }

    @Test
    void destroyedSessionsKeepTheirHistoryAndCanBeListed() {
        try (SandboxAgent sdk = connect()) {
            Session session =
                    sdk.createSession(SessionCreateRequest.of(FAST_AGENT).withId("to-destroy"));
            session.prompt("chunks=1");
            Session destroyed = sdk.destroySession("to-destroy");
            assertThat(destroyed.record().destroyedAt()).isNotNull();
            assertThat(sdk.listSessions(PageRequest.first()).items())
                    .extracting(SessionRecord::id)
                    .contains("to-destroy");
            assertThat(SessionEvents.all(sdk, "to-destroy")).isNotEmpty();
        }
    }

    @Test
    void aWrongOrMissingTokenIsAClearAuthError() {
        try (SandboxAgentServer guarded = SandboxAgentFixture.server().token("s3cret").start()) {
            assertThatThrownBy(() -> SandboxAgent.builder(guarded.baseUrl()).token("wrong").build())
                    .isInstanceOf(AuthenticationException.class)
                    .hasMessageContaining("token is missing or wrong")
                    .hasMessageContaining(guarded.baseUrl());
            assertThatThrownBy(() -> SandboxAgent.connect(guarded.baseUrl()))
                    .isInstanceOf(AuthenticationException.class);
            try (SandboxAgent sdk =
                    SandboxAgent.builder(guarded.baseUrl()).token("s3cret").build()) {
                Session session = sdk.createSession(SessionCreateRequest.of(FAST_AGENT));
                assertThat(session.prompt("chunks=1").stopReason()).isEqualTo("end_turn");
            }
        }
    }

    @Test
    void anUnreachableServerIsNamed() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        String url = "http://127.0.0.1:" + port;
        assertThatThrownBy(
                        () ->
                                SandboxAgent.builder(url)
                                        .healthTimeout(Duration.ofMillis(500))
                                        .build())
                .isInstanceOf(ServerUnreachableException.class)
                .hasMessageContaining(url);
    }

    @Test
    void theBuiltinMockAgentFailsFastInsteadOfLooping() {
        try (SandboxAgent sdk = connect()) {
            sdk.installAgent("mock", AgentInstallRequest.defaults());
            assertThatThrownBy(
                            () ->
                                    sdk.createSession(
                                            SessionCreateRequest.of("mock").withId("mocked")))
                    .isInstanceOf(SandboxAgentException.class)
                    .hasMessageContaining("returned no sessionId");
            assertThat(sdk.getSession("mocked")).isEmpty();
            assertThat(SessionEvents.all(sdk, "mocked")).hasSizeLessThanOrEqualTo(2);
        }
    }

    @Test
    void aServerThatCannotStartFailsClearly(@TempDir Path dir) throws Exception {
        Path failing =
                Files.writeString(
                        dir.resolve("failing-server"),
                        "#!/bin/sh\necho cannot start >&2\nexit 3\n");
        Files.setPosixFilePermissions(failing, PosixFilePermissions.fromString("rwx------"));
        assertThatThrownBy(() -> SandboxAgentServer.builder().binary(failing).dataHome(dir).start())
                .isInstanceOf(SandboxAgentException.class)
                .hasMessageContaining("exited with code 3 before becoming healthy")
                .hasMessageContaining("server.log");
        assertThat(Files.readString(dir.resolve("server.log"))).contains("cannot start");
        assertThatThrownBy(
                        () ->
                                SandboxAgentServer.builder()
                                        .binary(Path.of("/nonexistent/sandbox-agent"))
                                        .start())
                .isInstanceOf(SandboxAgentException.class)
                .hasMessageContaining("missing or not executable");
    }

    @Test
    void startSpawnsTheServerAndDisposeStopsIt() {
        SandboxAgent sdk = SandboxAgent.start(SandboxAgentFixture.server().token("t0k3n"));
        String url = sdk.baseUrl();
        assertThat(sdk.health().status()).isEqualTo("ok");
        sdk.dispose();
        assertThatThrownBy(
                        () ->
                                SandboxAgent.builder(url)
                                        .healthTimeout(Duration.ofMillis(300))
                                        .build())
                .isInstanceOf(ServerUnreachableException.class);
    }

    @Test
    void aServerLeftRunningUnderItsPidFileIsStoppedByTheNextStart(@TempDir Path dir)
            throws Exception {
        Path pidFile = dir.resolve("server.pid");
        // The first server's owner "dies" without stopping it, as a JVM killed with SIGKILL does.
        SandboxAgentServer orphan = SandboxAgentFixture.server().pidFile(pidFile).start();
        assertThat(Files.readString(pidFile)).isEqualTo(Long.toString(orphan.pid()));
        SandboxAgentServer next = SandboxAgentFixture.server().pidFile(pidFile).start();
        try (SandboxAgent sdk = SandboxAgent.connect(next.baseUrl())) {
            assertThat(orphan.isAlive())
                    .as("the orphan was killed before the next server started")
                    .isFalse();
            assertThat(Files.readString(pidFile)).isEqualTo(Long.toString(next.pid()));
            assertThat(sdk.health().status()).isEqualTo("ok");
            next.stop();
            assertThat(pidFile).as("a stopped server's PID file is gone").doesNotExist();
        } finally {
            next.stop();
            orphan.stop();
        }
    }

    @Test
    void aPidFileThatNamesNoSandboxAgentServerKillsNothing(@TempDir Path dir) throws Exception {
        Path pidFile = dir.resolve("server.pid");
        // A PID reused by another process since the file was written, and a file that holds no PID
        // at all.
        Process bystander = new ProcessBuilder("sleep", "60").start();
        try {
            for (String recorded : List.of(Long.toString(bystander.pid()), "not a pid\n")) {
                Files.writeString(pidFile, recorded);
                try (SandboxAgentServer server =
                                SandboxAgentFixture.server().pidFile(pidFile).start();
                        SandboxAgent sdk = SandboxAgent.connect(server.baseUrl())) {
                    assertThat(sdk.health().status()).isEqualTo("ok");
                    assertThat(Files.readString(pidFile)).isEqualTo(Long.toString(server.pid()));
                }
                assertThat(bystander.isAlive())
                        .as("the process under a reused PID is left alone")
                        .isTrue();
            }
        } finally {
            bystander.destroyForcibly();
        }
    }
}
