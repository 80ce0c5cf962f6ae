package dev.rivetkitjava.app;

import dev.rivetkitjava.sandboxagent.pinned.PinnedSandboxAgent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@code serve} in a process of its own, started and awaited until it logs its {@link ReadyLine}:
 * for the tests, which kill it with SIGKILL and start the next one on the same port and data dir,
 * and for {@code bin/bench}, which measures it as a user runs it ({@code bin/rivetkit-java serve}).
 */
public final class ServeProcess implements AutoCloseable {
    private static final Duration TEST_READY_TIMEOUT = Duration.ofSeconds(90);

    private final Process process;
    private final ReadyLine ready;

    private ServeProcess(Process process, ReadyLine ready) {
        this.process = process;
        this.ready = ready;
    }

    /**
     * Starts {@code command} (a {@code serve}, its output merged), appends its output to {@code
     * log}, and returns once it logged that it is ready.
     *
     * @throws IllegalStateException when it exits first or is not ready within {@code timeout}
     *     (then it is killed)
     */
    public static ServeProcess start(ProcessBuilder command, Path log, Duration timeout) {
        Process process;
        long logged;
        try {
            logged = Files.exists(log) ? Files.size(log) : 0;
            process =
                    command.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            return new ServeProcess(process, awaitReady(process, log, logged, timeout));
        } catch (RuntimeException e) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            throw e;
        }
    }

    private static ReadyLine awaitReady(Process process, Path log, long offset, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                Optional<ReadyLine> ready = ReadyLine.find(readFrom(log, offset));
                if (ready.isPresent()) {
                    return ready.get();
                }
                if (!process.isAlive()) {
                    throw new IllegalStateException("serve exited before it was ready; see " + log);
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "serve not ready after " + timeout + "; see " + log);
                }
                Thread.sleep(100);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for serve", e);
        }
    }

    /**
     * Starts {@code serve} from this JVM's classpath on a port it picks, its log in {@code
     * serve.log} beside the data dir.
     */
    static ServeProcess start(Path dataDir) {
        return start(dataDir, 0);
    }

    /**
     * Starts {@code serve} from this JVM's classpath on {@code port} (0: any free one) with {@code
     * options} besides the port, data dir and drain period, its log in {@code serve.log} beside the
     * data dir, and returns once it is ready.
     */
    static ServeProcess start(Path dataDir, int port, String... options) {
        return start(
                command(dataDir, port, options),
                dataDir.resolveSibling("serve.log"),
                TEST_READY_TIMEOUT);
    }

    /**
     * The command of {@code serve} in a JVM of its own from this JVM's classpath, with the pinned
     * Sandbox Agent server and its stand-in {@code codex}, its output merged (the caller redirects
     * it).
     */
    static ProcessBuilder command(Path dataDir, int port, String... options) {
        List<String> arguments =
                new ArrayList<>(
                        List.of(
                                "serve",
                                "--port",
                                Integer.toString(port),
                                "--data-dir",
                                dataDir.toString(),
                                "--drain-ms",
                                "200"));
        arguments.addAll(List.of(options));
        ProcessBuilder spawn = mainCommand(arguments);
        spawn.environment()
                .put("RIVETKIT_SANDBOX_AGENT_DIR", PinnedSandboxAgent.find().dir().toString());
        return spawn;
    }

    /**
     * {@code rivetkit-java ARGUMENTS} in a JVM of its own from this JVM's classpath, as
     * bin/rivetkit-java runs it, its output merged.
     */
    static ProcessBuilder mainCommand(List<String> arguments) {
        List<String> command =
                new ArrayList<>(
                        List.of(
                                ProcessHandle.current().info().command().orElseThrow(),
                                "--enable-native-access=ALL-UNNAMED",
                                "-cp",
                                System.getProperty("java.class.path"),
                                Main.class.getName()));
        command.addAll(arguments);
        return new ProcessBuilder(command).redirectErrorStream(true);
    }

    /**
     * The live processes started for {@code dataDir}'s Sandbox Agent home: its servers and their
     * agents (they run with {@code XDG_DATA_HOME=<data-dir>/sandbox-agent}, which {@code
     * /proc/PID/environ} shows).
     */
    static List<ProcessHandle> sandboxAgentProcesses(Path dataDir) {
        byte[] marker =
                ("XDG_DATA_HOME=" + dataDir.resolve("sandbox-agent").toAbsolutePath() + "\0")
                        .getBytes(StandardCharsets.UTF_8);
        return ProcessHandle.allProcesses()
                .filter(ProcessHandle::isAlive)
                .filter(
                        p -> {
                            try {
                                byte[] env =
                                        Files.readAllBytes(
                                                Path.of("/proc/" + p.pid() + "/environ"));
                                return indexOf(env, marker) >= 0;
                            } catch (IOException | RuntimeException e) {
                                return false; // gone, or not ours to read
                            }
                        })
                .toList();
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            if (i > 0 && haystack[i - 1] != 0) {
                continue; // a variable starts after a NUL
            }
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** The RivetKit endpoint it logged, e.g. {@code http://127.0.0.1:6420}. */
    public String endpoint() {
        return ready.endpoint();
    }

    int port() {
        return URI.create(ready.endpoint()).getPort();
    }

    /** The URL of the Sandbox Agent server it uses (the one it manages, unless told another). */
    public String sandboxAgentUrl() {
        return ready.sandboxAgentUrl();
    }

    /** The log line saying it is ready, from {@code rivetkit-java ready:} on. */
    String readyLine() {
        return ready.text();
    }

    /** The process started (with {@code bin/rivetkit-java}, the JVM it execs). */
    public ProcessHandle handle() {
        return process.toHandle();
    }

    /** SIGKILL: no shutdown hook runs, the Sandbox Agent server it started is left orphaned. */
    void kill() {
        process.destroyForcibly();
        waitForExit();
    }

    /**
     * SIGTERM, as Ctrl-C: actors sleep with their state saved, then the Sandbox Agent server it
     * started stops too; SIGKILL when that takes over 30 s.
     */
    @Override
    public void close() {
        process.destroy();
        waitForExit();
    }

    private void waitForExit() {
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** What {@code log} holds from byte {@code offset} on. */
    static String readFrom(Path log, long offset) throws IOException {
        byte[] all = Files.readAllBytes(log);
        return new String(
                all,
                (int) Math.min(offset, all.length),
                (int) Math.max(0, all.length - offset),
                StandardCharsets.UTF_8);
    }
}
