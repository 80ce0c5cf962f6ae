package dev.rivetkitjava.client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REAL RivetKit 2.3.19 stack (Rivet Engine + a Node registry with the fixture actors), started
 * once per test JVM by {@code compat/start-reference.sh} on free ports, shared by every class that
 * registers this extension, and stopped by PID when the JVM's tests are done. Its state and logs
 * are in {@code target/reference-stack/}.
 *
 * <p>{@code -Drivetkit.reference.endpoint=http://127.0.0.1:7420} uses a stack that is already
 * running instead.
 */
final class ReferenceStack implements BeforeAllCallback {
    private static final Logger log = LoggerFactory.getLogger(ReferenceStack.class);

    /** Surefire runs in the module directory; compat/ is its sibling. */
    static final Path COMPAT = Path.of("").toAbsolutePath().getParent().resolve("compat");

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(ReferenceStack.class);
    private static final Duration START_TIMEOUT = Duration.ofMinutes(6);
    private static final Path STATE = Path.of("target", "reference-stack").toAbsolutePath();

    private Running running;

    @Override
    public void beforeAll(ExtensionContext context) {
        running =
                context.getRoot()
                        .getStore(NAMESPACE)
                        .computeIfAbsent(Running.class, k -> Running.start(), Running.class);
    }

    String endpoint() {
        return running.endpoint;
    }

    /** The running stack; closing it stops the processes by PID. */
    static final class Running implements AutoCloseable {
        private static final Pattern READY =
                Pattern.compile("engine_pid=(\\d+) registry_pid=(\\d+) endpoint=(\\S+)");

        final String endpoint;
        private final int port;
        private final List<Long> pids;
        private final Thread shutdownHook;

        private Running(String endpoint, int port, List<Long> pids) {
            this.endpoint = endpoint;
            this.port = port;
            this.pids = pids;
            this.shutdownHook = new Thread(this::stopProcesses, "reference-stack-stop");
            if (!pids.isEmpty()) {
                Runtime.getRuntime().addShutdownHook(shutdownHook);
            }
        }

        static Running start() {
            String external = System.getProperty("rivetkit.reference.endpoint");
            if (external != null && !external.isBlank()) {
                log.info("using the reference stack at {}", external);
                return new Running(external, -1, List.of());
            }
            if (!Files.isRegularFile(COMPAT.resolve("start-reference.sh"))) {
                throw new IllegalStateException(
                        COMPAT
                                + "/start-reference.sh is missing: the real-stack tests need compat/");
            }
            int port = freePortWithTwoAfter();
            long started = System.nanoTime();
            String output =
                    run(
                            List.of(
                                    "bash",
                                    COMPAT.resolve("start-reference.sh").toString(),
                                    Integer.toString(port)),
                            START_TIMEOUT);
            Matcher ready = READY.matcher(output);
            if (!ready.find()) {
                throw new IllegalStateException(
                        "start-reference.sh did not report its PIDs: " + output);
            }
            log.info(
                    "reference stack up at {} in {} ms",
                    ready.group(3),
                    (System.nanoTime() - started) / 1_000_000);
            return new Running(
                    ready.group(3),
                    port,
                    List.of(
                            Long.parseLong(ready.group(2)),
                            Long.parseLong(ready.group(1)))); // registry first
        }

        @Override
        public void close() {
            if (pids.isEmpty()) {
                return;
            }
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down; the hook does the same
            }
            stopProcesses();
            // Deletes the engine's state directory (the PIDs it would kill are gone by now).
            run(
                    List.of(
                            "bash",
                            COMPAT.resolve("stop-reference.sh").toString(),
                            Integer.toString(port)),
                    Duration.ofSeconds(30));
        }

        private void stopProcesses() {
            for (long pid : pids) {
                ProcessHandle.of(pid)
                        .ifPresent(
                                process -> {
                                    process.destroy();
                                    try {
                                        process.onExit().get(15, TimeUnit.SECONDS);
                                    } catch (Exception e) {
                                        process.destroyForcibly();
                                    }
                                });
            }
        }
    }

    /** A port p with p+1 and p+2 free too (the engine's api-peer and metrics listen there). */
    private static int freePortWithTwoAfter() {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        for (int tries = 0; tries < 50; tries++) {
            int port;
            try (ServerSocket socket = new ServerSocket(0, 1, loopback)) {
                port = socket.getLocalPort();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (port + 2 > 65535) {
                continue;
            }
            List<ServerSocket> held = new ArrayList<>();
            try {
                for (int p = port; p <= port + 2; p++) {
                    held.add(new ServerSocket(p, 1, loopback));
                }
                return port;
            } catch (IOException taken) {
                // try another
            } finally {
                for (ServerSocket socket : held) {
                    try {
                        socket.close();
                    } catch (IOException ignored) {
                        // closing a listener we just opened
                    }
                }
            }
        }
        throw new IllegalStateException("no three consecutive free ports found");
    }

    private static String run(List<String> command, Duration timeout) {
        try {
            ProcessBuilder builder =
                    new ProcessBuilder(command)
                            .directory(COMPAT.toFile())
                            .redirectError(ProcessBuilder.Redirect.INHERIT);
            // The stack's state and logs go to target/ (kept for post-mortems, gone with mvn
            // clean).
            Files.createDirectories(STATE);
            builder.environment().putAll(Map.of("TMPDIR", STATE.toString()));
            Process process = builder.start();
            CompletableFuture<String> output =
                    CompletableFuture.supplyAsync(
                            () -> {
                                try {
                                    return new String(
                                            process.getInputStream().readAllBytes(),
                                            StandardCharsets.UTF_8);
                                } catch (IOException e) {
                                    throw new UncheckedIOException(e);
                                }
                            });
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(command + " did not finish within " + timeout);
            }
            String text = output.get(10, TimeUnit.SECONDS);
            if (process.exitValue() != 0) {
                throw new IllegalStateException(
                        command + " exited with " + process.exitValue() + ": " + text);
            }
            return text;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException(command + " failed: " + e, e);
        }
    }
}
