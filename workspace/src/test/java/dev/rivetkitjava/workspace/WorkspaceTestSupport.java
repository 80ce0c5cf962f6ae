package dev.rivetkitjava.workspace;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.actor.ActorHandle;
import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.Registry;
import dev.rivetkitjava.actor.store.sqlite.SqliteActorStore;
import dev.rivetkitjava.sandboxagent.SandboxAgentFixture;
import dev.rivetkitjava.sandboxagent.SandboxAgentServer;
import dev.rivetkitjava.workspace.Workspace.CreateInput;
import dev.rivetkitjava.workspace.Workspace.PromptInput;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the workspace's focused test classes share: one real Sandbox Agent server (0.4.2, the
 * offline stand-in agents) for the whole JVM, started on first use (its reaper stops it at exit),
 * and a registry per test on a SQLite file in the test's directory.
 */
abstract class WorkspaceTestSupport {

    static final Duration TURN = Duration.ofSeconds(60);
    private static SandboxAgentServer shared;

    @TempDir Path dir;
    Registry registry;
    final List<AutoCloseable> closeables = new ArrayList<>();

    static synchronized SandboxAgentServer sandboxAgent() {
        if (shared == null) {
            shared = SandboxAgentFixture.start();
        }
        return shared;
    }

    @AfterEach
    void closeEverything() throws Exception {
        for (AutoCloseable closeable : closeables.reversed()) {
            closeable.close();
        }
        closeables.clear();
        if (registry != null) {
            registry.close();
        }
    }

    /**
     * A registry (on this test's SQLite file) running workspaces on the shared server, configured
     * by the test.
     */
    Registry registry(UnaryOperator<WorkspaceConfig.Builder> configure) {
        return registry(sandboxAgent().baseUrl(), configure);
    }

    Registry registry(String baseUrl, UnaryOperator<WorkspaceConfig.Builder> configure) {
        registry =
                Registry.builder()
                        .use(
                                WorkspaceActor.type(
                                        configure.apply(WorkspaceConfig.builder(baseUrl)).build()))
                        .store(SqliteActorStore.open(dir.resolve("actors.db")))
                        .build();
        return registry;
    }

    ActorHandle workspace(String id, String agent) {
        return registry.actor(WorkspaceActor.NAME)
                .getOrCreate(ActorKey.of(id), new CreateInput(agent));
    }

    /** Connects in open mode as {@code userId}, listening to every event. */
    Viewer viewer(ActorHandle workspace, String userId) {
        return track(new Viewer(workspace, userId));
    }

    /** Connects with {@code params} (null: none), listening to {@code events} only. */
    Viewer viewer(ActorHandle workspace, Object params, List<String> events) {
        return track(new Viewer(workspace, params, events));
    }

    private Viewer track(Viewer viewer) {
        closeables.add(viewer);
        return viewer;
    }

    static <T> Future<T> inBackground(Callable<T> work) {
        return Executors.newVirtualThreadPerTaskExecutor().submit(work);
    }

    /**
     * {@code viewer} prompts as {@code userId} on another thread: the turn's result, or what it
     * threw.
     */
    static Future<JsonNode> promptInBackground(Viewer viewer, String userId, String text) {
        return inBackground(
                () -> viewer.action("prompt", JsonNode.class, new PromptInput(userId, text)));
    }

    /** Waits until {@code count} prompts wait in the workspace's queue. */
    static void awaitWaiting(ActorHandle workspace, int count) {
        await().until(
                        () ->
                                workspace.action("getQueue", JsonNode.class).path("waiting").size()
                                        == count);
    }

    /** The future's value within a turn's time, or what it threw. */
    static <T> T outcome(Future<T> future) throws Exception {
        try {
            return future.get(TURN.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }
}
