package dev.rivetkitjava.app;

import static org.awaitility.Awaitility.await;

import dev.rivetkitjava.sandboxagent.pinned.PinnedSandboxAgent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code serve} in a JVM of its own, as {@code bin/rivetkit-java serve} runs it (this module's
 * classes, the pinned Sandbox Agent server with the stand-in {@code codex}), so that a test can
 * kill it with SIGKILL and start the next one on the same port and data dir. Its log goes to {@code
 * serve.log} beside the data dir.
 */
final class ServeProcess implements AutoCloseable {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    private static final Pattern READY =
            Pattern.compile("rivetkit-java ready: endpoint http://127\\.0\\.0\\.1:(\\d+)[^\\n]*");

    private final Process process;
    private final int port;
    private final String readyLine;

    private ServeProcess(Process process, int port, String readyLine) {
        this.process = process;
        this.port = port;
        this.readyLine = readyLine;
    }

    /** Starts {@code serve} on a port it picks. */
    static ServeProcess start(Path dataDir) {
        return start(dataDir, 0);
    }

    /**
     * Starts {@code serve} on {@code port} (0: any free one) with {@code options} besides the port,
     * data dir and drain period, and returns once it logged that it is ready.
     */
    static ServeProcess start(Path dataDir, int port, String... options) {
        Path log = dataDir.resolveSibling("serve.log");
        ProcessBuilder spawn =
                command(dataDir, port, options)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        long logged;
        Process process;
        try {
            logged = Files.exists(log) ? Files.size(log) : 0;
            process = spawn.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Matcher ready;
        try {
            ready =
                    await("serve ready (see " + log + ")")
                            .atMost(READY_TIMEOUT)
                            .pollInterval(Duration.ofMillis(100))
                            .failFast("serve exited (see " + log + ")", () -> !process.isAlive())
                            .until(() -> READY.matcher(readFrom(log, logged)), Matcher::find);
        } catch (RuntimeException e) {
            process.destroyForcibly();
            throw e;
        }
        return new ServeProcess(process, Integer.parseInt(ready.group(1)), ready.group());
    }

    /**
     * The command of {@code serve} in a JVM of its own, its output merged (the caller redirects
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
     * {@code rivetkit-java ARGUMENTS} in a JVM of its own, as bin/rivetkit-java runs it, its output
     * merged.
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

    String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    int port() {
        return port;
    }

    /** The log line saying it is ready, from {@code rivetkit-java ready:} on. */
    String readyLine() {
        return readyLine;
    }

    ProcessHandle handle() {
        return process.toHandle();
    }

    /** SIGKILL: no shutdown hook runs, the Sandbox Agent server it started is left orphaned. */
    void kill() {
        process.destroyForcibly();
        waitForExit();
    }

    /** SIGTERM: the graceful stop, then the Sandbox Agent server it started stops too. */
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
