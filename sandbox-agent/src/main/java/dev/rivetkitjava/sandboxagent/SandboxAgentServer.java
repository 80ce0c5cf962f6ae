package dev.rivetkitjava.sandboxagent;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code sandbox-agent server} child process on 127.0.0.1: spawned by {@link Builder#start()},
 * healthy when that returns, killed by PID on {@link #stop()} (or when the JVM exits, unless {@link
 * Builder#stopOnJvmExit} says its owner stops it). Its output goes to {@code server.log} in the
 * data home (or is discarded without one).
 *
 * <p>With a {@linkplain Builder#pidFile PID file}, a start first kills the server still running
 * under the PID recorded there: one orphaned when its JVM was killed with SIGKILL, which runs no
 * shutdown hook. The file is deleted by the process that wrote it only (a later server's file is
 * left alone).
 */
public final class SandboxAgentServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SandboxAgentServer.class);
    private static final Duration STOP_GRACE = Duration.ofSeconds(5);

    /**
     * Servers not yet stopped: a JVM that exits kills them, and their agents, rather than leaving
     * orphans.
     */
    private static final Set<SandboxAgentServer> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () ->
                                        RUNNING.forEach(
                                                server -> {
                                                    log.info(
                                                            "killing sandbox-agent server pid {}: the JVM exits",
                                                            server.pid());
                                                    killWithAgents(server.process.toHandle());
                                                }),
                                "sandbox-agent-server-reaper"));
    }

    private final Process process;
    private final int port;
    private final @Nullable String token;
    private final Builder builder;

    private SandboxAgentServer(Process process, int port, Builder builder) {
        this.process = process;
        this.port = port;
        this.token = builder.token;
        this.builder = builder;
    }

    /** Options: which binary, port, data home, token and environment. */
    public static Builder builder() {
        return new Builder();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** The token clients must send, or null for a server without one. */
    public @Nullable String token() {
        return token;
    }

    public long pid() {
        return process.pid();
    }

    public ProcessHandle process() {
        return process.toHandle();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * A builder for a server like this one on the same port (for a restart after {@link #stop()}).
     */
    public Builder toBuilder() {
        return builder.copy().port(port);
    }

    /**
     * Kills the server by PID (its agent processes die with it): SIGTERM, then SIGKILL after 5 s.
     * Idempotent.
     */
    public void stop() {
        RUNNING.remove(this);
        List<ProcessHandle> agents = process.descendants().toList();
        if (process.isAlive()) {
            log.info("stopping sandbox-agent server pid {}", process.pid());
            process.destroy();
            try {
                if (!process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly().waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        agents.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        if (builder.pidFile != null) {
            deleteOwnPidFile(builder.pidFile, process.pid());
        }
    }

    /**
     * Deletes the PID file if it still names {@code pid}: a later server's file (another process's)
     * is left alone.
     */
    static void deleteOwnPidFile(Path pidFile, long pid) {
        try {
            if (Files.exists(pidFile)
                    && Files.readString(pidFile).strip().equals(Long.toString(pid))) {
                Files.deleteIfExists(pidFile);
            }
        } catch (IOException e) {
            log.debug("cannot delete {}: {}", pidFile, e.getMessage());
        }
    }

    @Override
    public void close() {
        stop();
    }

    /** SIGKILL to a server and to its agent processes. */
    private static void killWithAgents(ProcessHandle server) {
        server.descendants().forEach(ProcessHandle::destroyForcibly);
        server.destroyForcibly();
    }

    /** Options of a server; {@link #start()} spawns it. */
    public static final class Builder {
        private @Nullable Path binary;
        private int port;
        private @Nullable Path dataHome;
        private @Nullable String token;
        private Map<String, String> env = new LinkedHashMap<>();
        private Duration startTimeout = Duration.ofSeconds(30);
        private @Nullable Path pidFile;
        private boolean stopOnJvmExit = true;

        private Builder() {}

        private Builder copy() {
            Builder copy = new Builder();
            copy.binary = binary;
            copy.port = port;
            copy.dataHome = dataHome;
            copy.token = token;
            copy.env = new LinkedHashMap<>(env);
            copy.startTimeout = startTimeout;
            copy.pidFile = pidFile;
            copy.stopOnJvmExit = stopOnJvmExit;
            return copy;
        }

        /**
         * The {@code sandbox-agent} binary; default {@code $SANDBOX_AGENT_BIN}, else {@code
         * sandbox-agent} on the PATH.
         */
        public Builder binary(Path binary) {
            this.binary = binary;
            return this;
        }

        /** The port on 127.0.0.1; 0 (the default) picks a free one. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0..65535, got " + port);
            }
            this.port = port;
            return this;
        }

        /**
         * The server's {@code XDG_DATA_HOME}: where it finds installed agents, {@code
         * <dataHome>/sandbox-agent/bin}.
         */
        public Builder dataHome(Path dataHome) {
            this.dataHome = dataHome;
            return this;
        }

        /**
         * Keeps the server's PID in this file while it runs. A start first kills a sandbox-agent
         * server still running under the PID the file holds (with its agents): one orphaned when
         * the JVM that started it was killed.
         */
        public Builder pidFile(Path pidFile) {
            this.pidFile = pidFile;
            return this;
        }

        /**
         * Whether a JVM that exits kills the server (the default): a shutdown hook of this class
         * does, at once, in parallel with every other hook. {@code false} when the owner stops it
         * itself, in order, from its own shutdown hook (after what uses the server has let go of
         * it, so that the users see no failure).
         */
        public Builder stopOnJvmExit(boolean stop) {
            this.stopOnJvmExit = stop;
            return this;
        }

        /**
         * Starts the server with {@code --token}; null (the default) starts it with {@code
         * --no-token}.
         */
        public Builder token(@Nullable String token) {
            this.token = token;
            return this;
        }

        /** An environment variable for the server (and so its agents). */
        public Builder env(String name, String value) {
            env.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** How long {@link #start()} waits for the server's health (30 s by default). */
        public Builder startTimeout(Duration timeout) {
            this.startTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * Spawns {@code server --no-telemetry [--no-token|--token T] -H 127.0.0.1 -p PORT} and
         * waits for health.
         *
         * @throws SandboxAgentException when the binary is missing, the child dies first, or it is
         *     not healthy in time
         */
        public SandboxAgentServer start() {
            String executable = resolveBinary();
            int chosenPort = port != 0 ? port : freePort();
            List<String> command = new ArrayList<>(List.of(executable, "server", "--no-telemetry"));
            if (token == null) {
                command.add("--no-token");
            } else {
                command.addAll(List.of("--token", token));
            }
            command.addAll(List.of("-H", "127.0.0.1", "-p", Integer.toString(chosenPort)));
            ProcessBuilder spawn = new ProcessBuilder(command).redirectErrorStream(true);
            spawn.environment().putAll(env);
            if (dataHome != null) {
                spawn.environment().put("XDG_DATA_HOME", dataHome.toString());
                spawn.redirectOutput(
                        ProcessBuilder.Redirect.appendTo(dataHome.resolve("server.log").toFile()));
            } else {
                spawn.redirectOutput(ProcessBuilder.Redirect.DISCARD);
            }
            Process process;
            try {
                if (dataHome != null) {
                    Files.createDirectories(dataHome);
                }
                if (pidFile != null) {
                    killOrphan(executable);
                }
                process = spawn.start();
                if (pidFile != null) {
                    Files.writeString(pidFile, Long.toString(process.pid()));
                }
            } catch (IOException e) {
                throw new SandboxAgentException(
                        "cannot start " + executable + ": " + e.getMessage(), e);
            }
            SandboxAgentServer server =
                    new SandboxAgentServer(process, chosenPort, copy().port(chosenPort));
            if (stopOnJvmExit) {
                RUNNING.add(server);
            }
            try {
                awaitHealthy(server);
            } catch (RuntimeException e) {
                server.stop();
                throw e;
            }
            log.info("sandbox-agent server pid {} serves {}", process.pid(), server.baseUrl());
            return server;
        }

        private String resolveBinary() {
            if (binary != null) {
                if (!Files.isExecutable(binary)) {
                    throw new SandboxAgentException(
                            "sandbox-agent binary " + binary + " is missing or not executable");
                }
                return binary.toString();
            }
            String fromEnv = System.getenv("SANDBOX_AGENT_BIN");
            if (fromEnv != null && !fromEnv.isBlank()) {
                return fromEnv;
            }
            return "sandbox-agent";
        }

        private void awaitHealthy(SandboxAgentServer server) {
            long deadline = System.nanoTime() + startTimeout.toNanos();
            try (HttpClient client =
                    HttpClient.newBuilder()
                            .version(HttpClient.Version.HTTP_1_1)
                            .connectTimeout(Duration.ofSeconds(1))
                            .build()) {
                HttpRequest.Builder health =
                        HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/health"))
                                .timeout(Duration.ofSeconds(2));
                if (token != null) {
                    health.header("Authorization", "Bearer " + token);
                }
                while (System.nanoTime() < deadline) {
                    if (!server.process.isAlive()) {
                        throw new SandboxAgentException(
                                "sandbox-agent exited with code "
                                        + server.process.exitValue()
                                        + " before becoming healthy"
                                        + (dataHome == null
                                                ? ""
                                                : " (see " + dataHome.resolve("server.log") + ")"));
                    }
                    try {
                        if (client.send(health.build(), HttpResponse.BodyHandlers.discarding())
                                        .statusCode()
                                == 200) {
                            return;
                        }
                    } catch (IOException e) {
                        // not listening yet
                    }
                    Thread.sleep(50);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SandboxAgentException("interrupted while starting sandbox-agent", e);
            }
            throw new SandboxAgentTimeoutException(
                    "sandbox-agent at " + server.baseUrl() + " not healthy within " + startTimeout);
        }

        /** Kills the server the PID file names, with its agents, if it still runs this binary. */
        private void killOrphan(String executable) throws IOException {
            if (!Files.exists(pidFile)) {
                return;
            }
            String recorded = Files.readString(pidFile).strip();
            Optional<ProcessHandle> orphan;
            try {
                orphan = ProcessHandle.of(Long.parseLong(recorded));
            } catch (NumberFormatException e) {
                orphan = Optional.empty();
            }
            String binaryName = Path.of(executable).getFileName().toString();
            // A PID is reused once its process is gone: kill it only if it is a sandbox-agent
            // server still.
            orphan.filter(
                            p ->
                                    p.isAlive()
                                            && p.info()
                                                    .commandLine()
                                                    .orElse("")
                                                    .contains(binaryName + " server"))
                    .ifPresent(
                            p -> {
                                log.warn(
                                        "stopping sandbox-agent server pid {} left running by a killed process ({})",
                                        p.pid(),
                                        pidFile);
                                killWithAgents(p);
                                p.onExit()
                                        .orTimeout(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)
                                        .exceptionally(e -> p)
                                        .join();
                            });
            Files.deleteIfExists(pidFile);
        }

        private static int freePort() {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                return socket.getLocalPort();
            } catch (IOException e) {
                throw new SandboxAgentException("no free port on 127.0.0.1: " + e.getMessage(), e);
            }
        }
    }
}
