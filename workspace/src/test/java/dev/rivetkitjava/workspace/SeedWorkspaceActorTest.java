package dev.rivetkitjava.workspace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.actor.ActionOptions;
import dev.rivetkitjava.actor.ActorConnection;
import dev.rivetkitjava.actor.ActorHandle;
import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.ActorType;
import dev.rivetkitjava.actor.ManualClock;
import dev.rivetkitjava.actor.Registry;
import dev.rivetkitjava.sandboxagent.SandboxAgent;
import dev.rivetkitjava.sandboxagent.SandboxAgentFixture;
import dev.rivetkitjava.sandboxagent.SandboxAgentServer;
import dev.rivetkitjava.sandboxagent.Session;
import dev.rivetkitjava.sandboxagent.SessionCreateRequest;
import dev.rivetkitjava.sandboxagent.Subscription;
import dev.rivetkitjava.sandboxagent.persist.actor.ActorStatePersistDriver;
import dev.rivetkitjava.sandboxagent.persist.actor.PersistedSessions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The seed's TypeScript workspace actor (Sandbox Agent's "Multiplayer" doc,
 * https://sandboxagent.dev/docs/multiplayer) translated line for line, with the real Sandbox Agent
 * SDK and the actor-state persist driver (the twin of {@code @sandbox-agent/persist-rivet}),
 * against the real Sandbox Agent server and the offline stand-in {@code codex} agent. {@link
 * WorkspaceActor} is this, made into a product.
 *
 * <p>One line differs in form: where the seed writes {@code await sdk.resumeOrCreateSession(...)},
 * Java writes {@code c.await(() -> sdk.resumeOrCreateSession(...))}, which hands the actor's turn
 * to the SDK's own callbacks (persisting the session's events in the actor's state) while it waits,
 * as JavaScript's {@code await} does.
 */
@Tag("external")
class SeedWorkspaceActorTest {

    record WorkspaceState(
            String sandboxId, String baseUrl, PersistedSessions sandboxAgentPersist) {}

    record WorkspaceVars(SandboxAgent sdk, Session session, Subscription unsubscribe) {}

    record PromptInput(String userId, String text) {}

    record ChatUser(String userId, String text, long createdAt) {}

    static SandboxAgentServer sandboxAgent;

    static final ActorType<WorkspaceState, WorkspaceVars> WORKSPACE =
            ActorType.builder("workspace", WorkspaceState.class, WorkspaceVars.class)
                    .createState(
                            c ->
                                    new WorkspaceState(
                                            "sbx_123",
                                            sandboxAgent.baseUrl(),
                                            new PersistedSessions()))
                    .createVars(
                            c -> {
                                var persist =
                                        ActorStatePersistDriver.of(
                                                c, WorkspaceState::sandboxAgentPersist);
                                var sdk =
                                        SandboxAgent.builder(c.state().baseUrl())
                                                .persist(persist)
                                                .build();

                                var session =
                                        c.await(
                                                () ->
                                                        sdk.resumeOrCreateSession(
                                                                SessionCreateRequest.of("codex")
                                                                        .withId("default")));

                                var unsubscribe =
                                        session.onEvent(
                                                event -> c.broadcast("session.event", event));

                                return new WorkspaceVars(sdk, session, unsubscribe);
                            })
                    .action(
                            "getSessionInfo",
                            c ->
                                    Map.of(
                                            "workspaceId", c.key().get(0),
                                            "sandboxId", c.state().sandboxId()))
                    .action(
                            "prompt",
                            PromptInput.class,
                            (c, input) -> {
                                c.broadcast(
                                        "chat.user",
                                        new ChatUser(input.userId(), input.text(), c.nowMillis()));

                                var session = c.vars().session();
                                return c.await(() -> session.prompt(input.text())).stopReason();
                            },
                            ActionOptions.noTimeout())
                    .onSleep(
                            c -> {
                                c.vars().unsubscribe().close();
                                c.vars().sdk().dispose();
                            })
                    .build();

    @BeforeAll
    static void startSandboxAgent() {
        sandboxAgent = SandboxAgentFixture.start();
    }

    @AfterAll
    static void stopSandboxAgent() {
        sandboxAgent.stop();
    }

    @Test
    void aConnectedClientSeesTheUserMessageAndTheAgentsEventsAndTheHistoryOutlivesSleep()
            throws Exception {
        ManualClock clock = new ManualClock();
        try (Registry registry = Registry.builder().use(WORKSPACE).clock(clock).build()) {
            // The browser snippet: getOrCreate([workspaceId]).connect(), on(...), prompt(...).
            ActorHandle room = registry.actor("workspace").getOrCreate(ActorKey.of("workspace-42"));
            List<JsonNode> userMessages = new CopyOnWriteArrayList<>();
            List<JsonNode> sandboxEvents = new CopyOnWriteArrayList<>();
            try (ActorConnection conn = room.connect()) {
                conn.on("chat.user", JsonNode.class, userMessages::add);
                conn.on("session.event", JsonNode.class, sandboxEvents::add);

                // The seed listens to no permission requests, so the SDK answers the example
                // agent's "cancelled".
                String stopReason =
                        conn.action(
                                "prompt",
                                String.class,
                                new PromptInput(
                                        "user-123",
                                        "Propose a refactor plan for auth middleware."));

                assertThat(stopReason).isEqualTo("end_turn");
                assertThat(userMessages)
                        .singleElement()
                        .satisfies(
                                m -> {
                                    assertThat(m.path("userId").asText()).isEqualTo("user-123");
                                    assertThat(m.path("text").asText())
                                            .isEqualTo(
                                                    "Propose a refactor plan for auth middleware.");
                                    assertThat(m.path("createdAt").asLong())
                                            .isEqualTo(clock.nowMillis());
                                });
                await().until(
                                () ->
                                        sandboxEvents.stream()
                                                .anyMatch(
                                                        e ->
                                                                e.at("/payload/result/stopReason")
                                                                        .isTextual()));
                assertThat(sandboxEvents)
                        .extracting(e -> e.at("/payload/params/update/sessionUpdate").asText())
                        .contains("agent_message_chunk", "tool_call", "tool_call_update");
                assertThat(sandboxEvents).extracting(e -> e.path("eventIndex").asLong()).isSorted();
            }
            assertThat(room.action("getSessionInfo", Map.class))
                    .isEqualTo(Map.of("workspaceId", "workspace-42", "sandboxId", "sbx_123"));

            // Sleep disposes the SDK; the session's history stays in the actor's state, and the
            // next wake resumes it.
            clock.advance(Duration.ofSeconds(31));
            assertThat(room.action("getSessionInfo", Map.class))
                    .containsEntry("sandboxId", "sbx_123");
        }
    }
}
