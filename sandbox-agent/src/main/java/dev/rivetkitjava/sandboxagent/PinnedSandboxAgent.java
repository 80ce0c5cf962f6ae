package dev.rivetkitjava.sandboxagent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The project's {@code sandbox-agent-server/} folder: the pinned Sandbox Agent server binary (npm
 * {@code @sandbox-agent/cli-linux-x64@0.4.2}) and the offline stand-in agents ({@code codex} = the ACP SDK's
 * example agent, {@code amp} = the fast test agent). {@code serve} and the tests start servers through it.
 */
public final class PinnedSandboxAgent {

    private final Path dir;

    private PinnedSandboxAgent(Path dir) {
        this.dir = dir;
    }

    /** The folder at {@code dir}. */
    public static PinnedSandboxAgent at(Path dir) {
        if (!Files.isRegularFile(dir.resolve("install.sh"))) {
            throw new IllegalArgumentException(dir + " is not a sandbox-agent-server folder (no install.sh)");
        }
        return new PinnedSandboxAgent(dir.toAbsolutePath());
    }

    /** The folder of this checkout, found from the working directory upwards. */
    public static PinnedSandboxAgent find() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("sandbox-agent-server");
            if (Files.isRegularFile(candidate.resolve("install.sh"))) {
                return new PinnedSandboxAgent(candidate);
            }
        }
        throw new IllegalStateException("no sandbox-agent-server/install.sh above " + Path.of("").toAbsolutePath());
    }

    public Path dir() {
        return dir;
    }

    /** Installs the pinned npm packages if needed (idempotent); returns the server binary. */
    public Path install() {
        run(List.of("bash", dir.resolve("install.sh").toString()));
        return binary();
    }

    /** The server binary (present once installed). */
    public Path binary() {
        return dir.resolve("node_modules/@sandbox-agent/cli-linux-x64/bin/sandbox-agent");
    }

    /** Lays out {@code dataHome} (the server's XDG_DATA_HOME) with the stand-in agents. Run {@link #install()} first. */
    public void standIn(Path dataHome) {
        run(List.of("bash", dir.resolve("stand-in.sh").toString(), dataHome.toString()));
    }

    /**
     * Installs, lays out {@code dataHome} with the stand-in agents, and returns a server builder using both; the
     * server's PID is kept in {@code dataHome/server.pid}, so one left running by a killed JVM is stopped first.
     */
    public SandboxAgentServer.Builder server(Path dataHome) {
        Path binary = install();
        standIn(dataHome);
        return SandboxAgentServer.builder().binary(binary).dataHome(dataHome).pidFile(dataHome.resolve("server.pid"));
    }

    private static void run(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new SandboxAgentException(String.join(" ", command) + " failed:\n" + output);
            }
        } catch (IOException e) {
            throw new SandboxAgentException(String.join(" ", command) + " could not run: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxAgentException("interrupted: " + String.join(" ", command), e);
        }
    }
}
