package dev.rivetkitjava.app;

import dev.rivetkitjava.actor.Registry;
import dev.rivetkitjava.actor.store.sqlite.SqliteActorStore;
import dev.rivetkitjava.sandboxagent.PinnedSandboxAgent;
import dev.rivetkitjava.sandboxagent.SandboxAgentServer;
import dev.rivetkitjava.server.RivetServer;
import dev.rivetkitjava.workspace.WorkspaceActor;
import dev.rivetkitjava.workspace.WorkspaceConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code serve} runs: the actors (the workspace and the canonical counter) on the embedded SQLite store, the
 * RivetKit server with the workspace page at {@code /}, and the Sandbox Agent server the workspaces drive — one this
 * process starts itself with the offline stand-in agent, or one the user already runs.
 */
public final class WorkspaceServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WorkspaceServer.class);
    /** The classpath folder the build puts the workspace page in (web/build.sh, run by this module's pom). */
    static final String WEB_PAGE = "web";

    /**
     * @param sandboxAgentUrl a Sandbox Agent server to use, or null to start one
     * @param sandboxAgentDir {@code sandbox-agent-server/} of this checkout (the pinned binary and the stand-in
     *     agents), used when {@code sandboxAgentUrl} is null
     */
    public record Options(String host, int port, Path dataDir, String token, Set<String> corsOrigins,
                          Duration drainPeriod, String agent, String sandboxAgentUrl, String sandboxAgentToken,
                          Path sandboxAgentDir) {
    }

    private final SandboxAgentServer sandboxAgent;
    private final RivetServer server;
    private final Path store;

    private WorkspaceServer(SandboxAgentServer sandboxAgent, RivetServer server, Path store) {
        this.sandboxAgent = sandboxAgent;
        this.server = server;
        this.store = store;
    }

    public static WorkspaceServer start(Options options) throws Exception {
        Files.createDirectories(options.dataDir());
        SandboxAgentServer sandboxAgent = null;
        String baseUrl = options.sandboxAgentUrl();
        String sandboxAgentToken = options.sandboxAgentToken();
        if (baseUrl == null) {
            sandboxAgent = startSandboxAgent(options);
            baseUrl = sandboxAgent.baseUrl();
            sandboxAgentToken = null;
        }
        try {
            WorkspaceConfig workspaces = WorkspaceConfig.builder(baseUrl).token(sandboxAgentToken)
                    .sandboxId(sandboxAgent == null ? baseUrl : "local").defaultAgent(options.agent()).build();
            Path store = options.dataDir().resolve("actors.db").toAbsolutePath();
            Registry registry = Registry.builder()
                    .use(WorkspaceActor.type(workspaces))
                    .use(Counter.TYPE)
                    .store(SqliteActorStore.open(store))
                    .build();
            RivetServer server = RivetServer.builder(registry).host(options.host()).port(options.port())
                    .token(options.token()).corsOrigins(options.corsOrigins()).drainPeriod(options.drainPeriod())
                    .staticResources(WEB_PAGE).build().start();
            return new WorkspaceServer(sandboxAgent, server, store);
        } catch (Exception e) {
            if (sandboxAgent != null) {
                sandboxAgent.stop();
            }
            throw e;
        }
    }

    /** The pinned Sandbox Agent server, with {@code codex} (and {@code amp}) as offline stand-ins, in the data dir. */
    private static SandboxAgentServer startSandboxAgent(Options options) {
        if (options.sandboxAgentDir() == null) {
            throw new IllegalStateException("no Sandbox Agent server to start: run through bin/rivetkit-java (it "
                    + "installs sandbox-agent-server/), or pass --sandbox-agent-url");
        }
        Path home = options.dataDir().resolve("sandbox-agent").toAbsolutePath();
        SandboxAgentServer server = PinnedSandboxAgent.at(options.sandboxAgentDir()).server(home).start();
        if (options.agent().equals("codex") || options.agent().equals("amp")) {
            log.warn("agent '{}' is a STAND-IN, not the real {}: {} (offline, no credentials). Use --agent for "
                            + "another agent, or --sandbox-agent-url for a Sandbox Agent server with real agents.",
                    options.agent(), options.agent(), options.agent().equals("codex")
                            ? "the ACP SDK's example agent, which streams text, tool calls and a permission request"
                            : "the project's fast test agent");
        }
        return server;
    }

    public String endpoint() {
        return server.endpoint();
    }

    public Path store() {
        return store;
    }

    /** The Sandbox Agent server's URL. */
    public String sandboxAgentUrl() {
        return sandboxAgent == null ? null : sandboxAgent.baseUrl();
    }

    /** Actors sleep with their state saved (disposing their SDKs), clients are told to reconnect, then the Sandbox Agent server stops. */
    @Override
    public void close() {
        try {
            server.close();
        } finally {
            if (sandboxAgent != null) {
                sandboxAgent.stop();
            }
        }
    }
}
