package dev.rivetkitjava.sandboxagent;

import dev.rivetkitjava.sandboxagent.pinned.PinnedSandboxAgent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The real Sandbox Agent server for tests, offline: runs {@code sandbox-agent-server/install.sh}
 * (the pinned npm packages) and {@code stand-in.sh} (agent {@code codex} = the ACP SDK's example
 * agent, {@code amp} = the fast agent) into a temporary data home once per JVM, and starts servers
 * on free ports. Reused by other modules' tests through the test-jar.
 */
public final class SandboxAgentFixture {

    /**
     * The ACP SDK's example agent: streams text, tool calls and a permission request, about 1 s per
     * step.
     */
    public static final String EXAMPLE_AGENT = "codex";

    /**
     * {@code fast-agent.mjs}: answers at once; the prompt's words script the turn (chunks=N, TOOL,
     * PERM, HANG, EXIT).
     */
    public static final String FAST_AGENT = "amp";

    private static final PinnedSandboxAgent PINNED = PinnedSandboxAgent.find();
    private static Path dataHome;

    private SandboxAgentFixture() {}

    /** The shared data home with the stand-in agents; installs everything on first use. */
    public static synchronized Path dataHome() {
        if (dataHome == null) {
            Path dir;
            try {
                dir = Files.createTempDirectory("sandbox-agent-data");
            } catch (IOException e) {
                throw new IllegalStateException("cannot create the sandbox-agent data home", e);
            }
            PINNED.prepare(dir);
            dataHome = dir;
        }
        return dataHome;
    }

    /**
     * A server builder with the pinned binary and the stand-in agents; port and token still free to
     * set.
     */
    public static SandboxAgentServer.Builder server() {
        Path home = dataHome();
        return SandboxAgentServer.builder().binary(PINNED.binary()).dataHome(home);
    }

    /** A started server on a free port, without a token. */
    public static SandboxAgentServer start() {
        return server().start();
    }

    /**
     * Stops the server and starts a new one on the same port (it knows none of the old ACP
     * servers).
     */
    public static SandboxAgentServer restart(SandboxAgentServer server) {
        server.stop();
        return server.toBuilder().start();
    }

    /** Kills (SIGKILL) the server's agent processes running this agent; returns how many. */
    public static int killAgentProcesses(SandboxAgentServer server, String agent) {
        return killAgentProcesses(server.process(), agent);
    }

    /**
     * Kills (SIGKILL) the processes running this stand-in agent below {@code ancestor} (a Sandbox
     * Agent server, or a process that started one); returns how many.
     */
    public static int killAgentProcesses(ProcessHandle ancestor, String agent) {
        String script =
                switch (agent) {
                    case EXAMPLE_AGENT -> "examples/agent.js";
                    case FAST_AGENT -> "fast-agent.mjs";
                    default -> throw new IllegalArgumentException("not a stand-in agent: " + agent);
                };
        List<ProcessHandle> agents =
                ancestor.descendants()
                        .filter(p -> p.info().commandLine().orElse("").contains(script))
                        .toList();
        agents.forEach(ProcessHandle::destroyForcibly);
        return agents.size();
    }

    private static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder())
                    .forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // best effort: a temporary directory
        }
    }
}
