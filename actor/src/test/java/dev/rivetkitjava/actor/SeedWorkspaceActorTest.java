package dev.rivetkitjava.actor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The seed's TypeScript workspace actor ({@code shared/seed/multiplayer.md}) translated line for line.
 * {@link FakeSandboxAgent} stands in for the Sandbox Agent SDK until that SDK exists. Public so that the server's
 * tests can serve it to the seed's unchanged browser snippet.
 */
public class SeedWorkspaceActorTest {

    public record WorkspaceState(String sandboxId, String baseUrl) {
    }

    public record WorkspaceVars(FakeSandboxAgent sdk, FakeSandboxAgent.Session session, Runnable unsubscribe) {
    }

    public record PromptInput(String userId, String text) {
    }

    public record ChatUser(String userId, String text, long createdAt) {
    }

    public static final ActorType<WorkspaceState, WorkspaceVars> WORKSPACE = ActorType
            .builder("workspace", WorkspaceState.class, WorkspaceVars.class)

            .createState(c -> new WorkspaceState("sbx_123", "http://127.0.0.1:2468"))

            .createVars(c -> {
                var sdk = FakeSandboxAgent.connect(c.state().baseUrl());

                var session = sdk.resumeOrCreateSession("default", "codex");

                Runnable unsubscribe = session.onEvent(event -> c.broadcast("session.event", event));

                return new WorkspaceVars(sdk, session, unsubscribe);
            })

            .action("getSessionInfo", c -> Map.of(
                    "workspaceId", c.key().get(0),
                    "sandboxId", c.state().sandboxId()))

            .action("prompt", PromptInput.class, (c, input) -> {
                c.broadcast("chat.user", new ChatUser(
                        input.userId(),
                        input.text(),
                        c.nowMillis()));

                var session = c.vars().session();
                return c.await(() -> session.prompt(List.of(Map.of("type", "text", "text", input.text()))));
            }, ActionOptions.noTimeout())

            .onSleep(c -> {
                c.vars().unsubscribe().run();
                c.vars().sdk().dispose();
            })
            .build();

    @Test
    void aConnectedClientSeesTheUserMessageAndTheAgentEvents() throws Exception {
        ManualClock clock = new ManualClock();
        try (Registry registry = Registry.builder().use(WORKSPACE).clock(clock).build()) {
            // The browser snippet: getOrCreate([workspaceId]).connect(), on(...), prompt(...).
            ActorHandle room = registry.actor("workspace").getOrCreate(ActorKey.of("workspace-42"));
            List<Map<?, ?>> userMessages = new CopyOnWriteArrayList<>();
            List<Map<?, ?>> sandboxEvents = new CopyOnWriteArrayList<>();
            try (ActorConnection conn = room.connect()) {
                conn.on("chat.user", Map.class, userMessages::add);
                conn.on("session.event", Map.class, sandboxEvents::add);

                String stopReason = conn.action("prompt", String.class,
                        new PromptInput("user-123", "Propose a refactor plan for auth middleware."));

                assertThat(stopReason).isEqualTo("end_turn");
                await().until(() -> sandboxEvents.size() == 2);
                assertThat(userMessages).singleElement().satisfies(m -> {
                    assertThat(m.get("userId")).isEqualTo("user-123");
                    assertThat(m.get("text")).isEqualTo("Propose a refactor plan for auth middleware.");
                    assertThat(m.get("createdAt")).isEqualTo(clock.nowMillis());
                });
                assertThat(sandboxEvents).extracting(e -> (Object) e.get("text"))
                        .containsExactly("echo: Propose a refactor plan for auth middleware.", "done");
            }
            assertThat(room.action("getSessionInfo", Map.class))
                    .isEqualTo(Map.of("workspaceId", "workspace-42", "sandboxId", "sbx_123"));
        }
    }

    @Test
    void sleepUnsubscribesAndDisposesTheSdk() {
        ManualClock clock = new ManualClock();
        try (Registry registry = Registry.builder().use(WORKSPACE).clock(clock).build()) {
            ActorHandle room = registry.actor("workspace").getOrCreate(ActorKey.of("workspace-7"));
            room.action("getSessionInfo", Map.class);
            FakeSandboxAgent sdk = FakeSandboxAgent.last;
            assertThat(sdk.disposed.get()).isFalse();

            clock.advance(java.time.Duration.ofSeconds(31));

            assertThat(sdk.disposed.get()).isTrue();
            assertThat(sdk.session.listeners).isEmpty();
        }
    }

    /** A stand-in for the Sandbox Agent SDK: a session whose prompt streams an echo and a done event. */
    public static final class FakeSandboxAgent {
        static volatile FakeSandboxAgent last;
        final AtomicBoolean disposed = new AtomicBoolean();
        Session session;

        static FakeSandboxAgent connect(String baseUrl) {
            assertThat(baseUrl).startsWith("http://");
            last = new FakeSandboxAgent();
            return last;
        }

        Session resumeOrCreateSession(String id, String agent) {
            session = new Session();
            return session;
        }

        void dispose() {
            disposed.set(true);
        }

        public static final class Session {
            final List<Consumer<Map<String, Object>>> listeners = new CopyOnWriteArrayList<>();

            Runnable onEvent(Consumer<Map<String, Object>> listener) {
                listeners.add(listener);
                return () -> listeners.remove(listener);
            }

            String prompt(List<Map<String, String>> content) {
                listeners.forEach(l -> l.accept(Map.of("text", "echo: " + content.get(0).get("text"))));
                listeners.forEach(l -> l.accept(Map.of("text", "done")));
                return "end_turn";
            }
        }
    }
}
