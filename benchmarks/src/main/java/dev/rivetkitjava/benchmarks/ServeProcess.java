package dev.rivetkitjava.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code bin/rivetkit-java serve} as a child process (what a user runs: {@code WorkspaceServer}
 * with its managed Sandbox Agent server), on a free port with a data dir of its own. Its output
 * goes to {@code serve.log} there; its ready line gives the endpoint and the Sandbox Agent server's
 * URL.
 */
final class ServeProcess implements WorkspaceStack {
    private static final Pattern READY =
            Pattern.compile(
                    "rivetkit-java ready: endpoint (\\S+),.*Sandbox Agent (http://[^,)\\s]+)");

    private final Process process;
    private final String agent;
    private final String endpoint;
    private final String sandboxAgentUrl;

    private ServeProcess(Process process, String agent, String endpoint, String sandboxAgentUrl) {
        this.process = process;
        this.agent = agent;
        this.endpoint = endpoint;
        this.sandboxAgentUrl = sandboxAgentUrl;
    }

    /**
     * Starts {@code serve --agent AGENT} and waits for its ready line (the first run builds it:
     * minutes).
     */
    static ServeProcess start(Path dataDir, String agent, Duration timeout) throws Exception {
        Path root = projectRoot();
        Files.createDirectories(dataDir);
        Path log = dataDir.resolve("serve.log");
        Process process =
                new ProcessBuilder(
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
                                        "0"))
                        .directory(root.toFile())
                        .redirectErrorStream(true)
                        .start();
        CompletableFuture<Matcher> ready = new CompletableFuture<>();
        Thread.ofVirtual()
                .name("serve-output")
                .start(
                        () -> {
                            try (BufferedReader lines =
                                            new BufferedReader(
                                                    new InputStreamReader(
                                                            process.getInputStream(),
                                                            StandardCharsets.UTF_8));
                                    Writer out = Files.newBufferedWriter(log)) {
                                for (String line; (line = lines.readLine()) != null; ) {
                                    out.write(line + "\n");
                                    out.flush();
                                    Matcher m = READY.matcher(line);
                                    if (m.find()) {
                                        ready.complete(m);
                                    }
                                }
                            } catch (IOException e) {
                                ready.completeExceptionally(e);
                            }
                            ready.completeExceptionally(
                                    new IllegalStateException(
                                            "serve exited before it was ready; see " + log));
                        });
        try {
            Matcher m = ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return new ServeProcess(process, agent, m.group(1), m.group(2));
        } catch (Exception e) {
            stop(process);
            throw e instanceof TimeoutException
                    ? new IllegalStateException("serve not ready after " + timeout + "; see " + log)
                    : e;
        }
    }

    @Override
    public String endpoint() {
        return endpoint;
    }

    @Override
    public String sandboxAgentUrl() {
        return sandboxAgentUrl;
    }

    /**
     * The managed Sandbox Agent server's random token, which serve gives only to its workspaces:
     * read from the server's command line, as this user may (null when it runs without one).
     */
    @Override
    public String sandboxAgentToken() {
        return process.descendants()
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
        long children = process.descendants().mapToLong(ServeProcess::cpu).sum();
        return new long[] {cpu(process.toHandle()), children};
    }

    private static long cpu(ProcessHandle p) {
        return p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    }

    /**
     * Stops it as Ctrl-C does (actors sleep, the Sandbox Agent server stops); killed if that takes
     * over 20 s.
     */
    @Override
    public void close() {
        stop(process);
    }

    private static void stop(Process process) {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }

    /**
     * The checkout this runs in: the first folder with {@code bin/rivetkit-java} from the working
     * directory up.
     */
    static Path projectRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isExecutable(dir.resolve("bin/rivetkit-java"))) {
                return dir;
            }
        }
        throw new IllegalStateException(
                "no bin/rivetkit-java above "
                        + Path.of("").toAbsolutePath()
                        + ": run from the checkout, or pass --endpoint and --sandbox-agent-url");
    }
}
