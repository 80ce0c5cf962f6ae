package dev.rivetkitjava.benchmarks.agent;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The TypeScript original's workspace, started with {@code compat/start-workspace.sh PORT}: Rivet
 * Engine 2.3.19, the RivetKit 2.3.19 registry of {@code compat/workspace-server.mjs} (the seed's
 * workspace actor on the official Sandbox Agent SDK) and a Sandbox Agent 0.4.2 server with the same
 * stand-in agents {@code serve} uses; stopped with {@code compat/stop-workspace.sh PORT}. The
 * script's output is kept in {@code start-workspace.log} of a temporary folder; the stack's own
 * logs stay in {@code ${TMPDIR:-/tmp}/rivetkit-compat-ref-PORT/}.
 */
final class TypeScriptWorkspaceStack implements WorkspaceStack {
    private static final Pattern READY =
            Pattern.compile(
                    "engine_pid=(\\d+) registry_pid=(\\d+) endpoint=(\\S+) "
                            + "state=(\\S+) sandbox_agent_pid=(\\d+) sandbox_agent_url=(\\S+)");

    private final Path root;
    private final int port;
    private final String endpoint;
    private final String sandboxAgentUrl;
    private final long[] pids; // engine, registry, Sandbox Agent server

    private TypeScriptWorkspaceStack(
            Path root, int port, String endpoint, String sandboxAgentUrl, long[] pids) {
        this.root = root;
        this.port = port;
        this.endpoint = endpoint;
        this.sandboxAgentUrl = sandboxAgentUrl;
        this.pids = pids;
    }

    /**
     * Starts the stack on free ports (the guard's and the next three) and waits until it is ready.
     */
    static TypeScriptWorkspaceStack start(Duration timeout) throws Exception {
        Path root = WorkspaceStack.projectRoot();
        int port = freePorts(4);
        Path log =
                Files.createTempDirectory("rivetkit-ts-workspace").resolve("start-workspace.log");
        Process script =
                new ProcessBuilder(
                                List.of(
                                        root.resolve("compat/start-workspace.sh").toString(),
                                        Integer.toString(port)))
                        .directory(root.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
        if (!script.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            script.destroyForcibly();
            stop(root, port);
            throw new IllegalStateException(
                    "compat/start-workspace.sh "
                            + port
                            + " not done after "
                            + timeout
                            + "; see "
                            + log);
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        Matcher m = READY.matcher(output);
        if (script.exitValue() != 0 || !m.find()) {
            stop(root, port);
            throw new IllegalStateException(
                    "compat/start-workspace.sh "
                            + port
                            + " failed (exit "
                            + script.exitValue()
                            + "); see "
                            + log
                            + ":\n"
                            + tail(output));
        }
        long[] pids = {
            Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(5))
        };
        return new TypeScriptWorkspaceStack(root, port, m.group(3), m.group(6), pids);
    }

    @Override
    public String endpoint() {
        return endpoint;
    }

    @Override
    public String sandboxAgentUrl() {
        return sandboxAgentUrl;
    }

    /** compat/start-workspace.sh runs it with {@code --no-token}. */
    @Override
    public @Nullable String sandboxAgentToken() {
        return null;
    }

    @Override
    public String description() {
        return "TypeScript: rivet-engine 2.3.19 + RivetKit 2.3.19 registry (compat/workspace-server.mjs, SDK "
                + "sandbox-agent 0.4.2), agent amp, started";
    }

    @Override
    public List<String> cpuNames() {
        return List.of("engine", "registry (Node)", "Sandbox Agent server + agents");
    }

    @Override
    public long[] cpuNanos() {
        Optional<ProcessHandle> sandboxAgent = ProcessHandle.of(pids[2]);
        long agents =
                sandboxAgent
                        .map(p -> p.descendants().mapToLong(TypeScriptWorkspaceStack::cpu).sum())
                        .orElse(0L);
        return new long[] {cpu(pids[0]), cpu(pids[1]), cpu(pids[2]) + agents};
    }

    private static long cpu(long pid) {
        return ProcessHandle.of(pid).map(TypeScriptWorkspaceStack::cpu).orElse(0L);
    }

    private static long cpu(ProcessHandle p) {
        return p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    }

    @Override
    public void close() {
        stop(root, port);
    }

    private static void stop(Path root, int port) {
        try {
            Process stop =
                    new ProcessBuilder(
                                    List.of(
                                            root.resolve("compat/stop-workspace.sh").toString(),
                                            Integer.toString(port)))
                            .directory(root.toFile())
                            .redirectErrorStream(true)
                            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                            .start();
            if (!stop.waitFor(60, TimeUnit.SECONDS)) {
                stop.destroyForcibly();
            }
        } catch (IOException e) {
            System.err.println("workspace: compat/stop-workspace.sh " + port + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A port P such that P .. P + count − 1 are all free on 127.0.0.1 just now. */
    static int freePorts(int count) throws IOException {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(20_000, 40_000);
            List<ServerSocket> held = new ArrayList<>();
            try {
                for (int i = 0; i < count; i++) {
                    held.add(new ServerSocket(port + i, 1, loopback));
                }
                return port;
            } catch (IOException taken) {
                // try another
            } finally {
                for (ServerSocket s : held) {
                    s.close();
                }
            }
        }
        throw new IOException("no " + count + " consecutive free ports found");
    }

    private static String tail(String output) {
        String[] lines = output.split("\n");
        return String.join(
                "\n", List.of(lines).subList(Math.max(0, lines.length - 20), lines.length));
    }
}
