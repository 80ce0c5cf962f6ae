package dev.rivetkitjava.sandboxagent.pinned;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The project's {@code sandbox-agent-server/} folder: the pinned Sandbox Agent server binary (npm
 * {@code @sandbox-agent/cli-linux-x64@0.4.2}) and the offline stand-in agents ({@code codex} = the
 * ACP SDK's example agent, {@code amp} = the fast test agent). {@code serve}, the benchmarks and
 * the tests lay out their servers with it: {@code
 * SandboxAgentServer.builder().binary(pinned.prepare(home)).dataHome(home)}. A checkout concern,
 * kept out of the SDK.
 */
public final class PinnedSandboxAgent {

    /** How long {@code install.sh} (npm) and {@code stand-in.sh} may run by default. */
    static final Duration SCRIPT_TIMEOUT = Duration.ofMinutes(10);

    private final Path dir;
    private final Duration timeout;

    private PinnedSandboxAgent(Path dir) {
        this(dir, SCRIPT_TIMEOUT);
    }

    private PinnedSandboxAgent(Path dir, Duration timeout) {
        this.dir = dir;
        this.timeout = timeout;
    }

    /**
     * The same folder, with scripts ({@link #install()}, {@link #standIn}) that must finish within
     * {@code timeout} (10 minutes by default); one that does not is killed, with its children, and
     * the call fails.
     */
    public PinnedSandboxAgent withTimeout(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive");
        }
        return new PinnedSandboxAgent(dir, timeout);
    }

    /** The folder at {@code dir}. */
    public static PinnedSandboxAgent at(Path dir) {
        if (!Files.isRegularFile(dir.resolve("install.sh"))) {
            throw new IllegalArgumentException(
                    dir + " is not a sandbox-agent-server folder (no install.sh)");
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
        throw new IllegalStateException(
                "no sandbox-agent-server/install.sh above " + Path.of("").toAbsolutePath());
    }

    public Path dir() {
        return dir;
    }

    /** Installs the pinned npm packages if needed (idempotent); returns the server binary. */
    public Path install() {
        run(List.of("bash", dir.resolve("install.sh").toString()), timeout);
        return binary();
    }

    /** The server binary (present once installed). */
    public Path binary() {
        return dir.resolve("node_modules/@sandbox-agent/cli-linux-x64/bin/sandbox-agent");
    }

    /**
     * Lays out {@code dataHome} (the server's XDG_DATA_HOME) with the stand-in agents. Run {@link
     * #install()} first.
     */
    public void standIn(Path dataHome) {
        run(List.of("bash", dir.resolve("stand-in.sh").toString(), dataHome.toString()), timeout);
    }

    /**
     * Installs (if needed), lays out {@code dataHome} (the server's XDG_DATA_HOME) with the
     * stand-in agents, and returns the server binary.
     */
    public Path prepare(Path dataHome) {
        Path binary = install();
        standIn(dataHome);
        return binary;
    }

    /**
     * Runs {@code command} to its end, at most {@code timeout}: its output is read on another
     * thread (a script whose child keeps the output open would otherwise hold this call past any
     * timeout), and on timeout the script and its children are killed.
     */
    static void run(List<String> command, Duration timeout) {
        String what = String.join(" ", command);
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new PinnedSandboxAgentException(what + " could not run: " + e.getMessage(), e);
        }
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread reader =
                Thread.ofVirtual()
                        .name("sandbox-agent-script-output")
                        .start(
                                () -> {
                                    try (InputStream in = process.getInputStream()) {
                                        in.transferTo(output);
                                    } catch (IOException e) {
                                        // The process was killed: what was read so far is
                                        // the output.
                                    }
                                });
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                killWithChildren(process);
                reader.join(Duration.ofSeconds(5));
                throw new PinnedSandboxAgentException(
                        what
                                + " did not finish within "
                                + timeout
                                + "; it was killed. Output so far:\n"
                                + text(output));
            }
            reader.join(Duration.ofSeconds(5));
            if (process.exitValue() != 0) {
                throw new PinnedSandboxAgentException(
                        what + " failed (exit code " + process.exitValue() + "):\n" + text(output));
            }
        } catch (InterruptedException e) {
            killWithChildren(process);
            Thread.currentThread().interrupt();
            throw new PinnedSandboxAgentException("interrupted: " + what, e);
        }
    }

    private static void killWithChildren(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    private static String text(ByteArrayOutputStream output) {
        synchronized (output) {
            return output.toString(StandardCharsets.UTF_8);
        }
    }
}
