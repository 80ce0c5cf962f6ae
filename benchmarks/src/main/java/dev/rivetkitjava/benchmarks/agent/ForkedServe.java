package dev.rivetkitjava.benchmarks.agent;

import dev.rivetkitjava.app.ServeProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * {@code bin/rivetkit-java serve} as a child process (what a user runs: {@code WorkspaceServer}
 * with its managed Sandbox Agent server), on a free port with a data dir of its own. Its output
 * goes to {@code serve.log} there; its ready line gives the endpoint and the Sandbox Agent server's
 * URL.
 */
public final class ForkedServe implements WorkspaceStack {
    private final ServeProcess serve;
    private final String agent;

    private ForkedServe(ServeProcess serve, String agent) {
        this.serve = serve;
        this.agent = agent;
    }

    /**
     * Starts {@code serve --agent AGENT OPTIONS…} and waits for its ready line (the first run
     * builds it: minutes).
     */
    public static ForkedServe start(Path dataDir, String agent, Duration timeout, String... options)
            throws Exception {
        Path root = WorkspaceStack.projectRoot();
        Files.createDirectories(dataDir);
        List<String> arguments =
                new ArrayList<>(
                        List.of(
                                root.resolve("bin/rivetkit-java").toString(),
                                "serve",
                                "--agent",
                                agent,
                                "--port",
                                "0",
                                "--data-dir",
                                dataDir.toString(),
                                "--drain-ms",
                                "0"));
        arguments.addAll(List.of(options));
        ProcessBuilder command =
                new ProcessBuilder(arguments).directory(root.toFile()).redirectErrorStream(true);
        return new ForkedServe(
                ServeProcess.start(command, dataDir.resolve("serve.log"), timeout), agent);
    }

    public long pid() {
        return serve.handle().pid();
    }

    @Override
    public String endpoint() {
        return serve.endpoint();
    }

    @Override
    public String sandboxAgentUrl() {
        return serve.sandboxAgentUrl();
    }

    /**
     * The managed Sandbox Agent server's random token, which serve gives only to its workspaces:
     * read from the server's command line, as this user may (null when it runs without one).
     */
    @Override
    public @Nullable String sandboxAgentToken() {
        return serve.handle()
                .descendants()
                .map(p -> p.info().arguments().orElse(new String[0]))
                .filter(args -> args.length > 0 && args[0].equals("server"))
                .map(
                        args -> {
                            int at = Arrays.asList(args).indexOf("--token");
                            return at >= 0 && at + 1 < args.length ? args[at + 1] : null;
                        })
                .filter(Objects::nonNull)
                .findFirst()
                .orElse(null);
    }

    @Override
    public String description() {
        return "rivetkit-java serve --agent " + agent + ", forked";
    }

    @Override
    public List<String> cpuNames() {
        return List.of("serve JVM", "Sandbox Agent server + agents");
    }

    /**
     * CPU time used so far by the serve JVM, and by its children (the Sandbox Agent server and
     * agents), in ns.
     */
    @Override
    public long[] cpuNanos() {
        long children = serve.handle().descendants().mapToLong(ForkedServe::cpu).sum();
        return new long[] {cpu(serve.handle()), children};
    }

    private static long cpu(ProcessHandle p) {
        return p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    }

    /**
     * SIGKILL of the serve JVM, as a node dies; then of the Sandbox Agent server it leaves
     * orphaned, so that a run leaves nothing behind.
     */
    public void kill() {
        List<ProcessHandle> children = serve.handle().descendants().toList();
        serve.handle().destroyForcibly();
        serve.handle().onExit().join();
        children.forEach(ProcessHandle::destroyForcibly);
    }

    /**
     * Stops it as Ctrl-C does (actors sleep, the Sandbox Agent server stops), then kills what it
     * left running: a figure run leaves no agent behind.
     */
    @Override
    public void close() {
        List<ProcessHandle> children = serve.handle().descendants().toList();
        serve.close();
        children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }
}
