package dev.rivetkitjava.benchmarks.load;

import dev.rivetkitjava.actor.ActorType;
import dev.rivetkitjava.actor.Registry;
import dev.rivetkitjava.actor.store.ActorStore;
import dev.rivetkitjava.actor.store.InMemoryActorStore;
import dev.rivetkitjava.actor.store.sqlite.SqliteActorStore;
import dev.rivetkitjava.server.RivetServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The server a load run talks to: a RivetServer in this JVM, one in a child JVM, or any endpoint
 * that speaks RivetKit's client protocol (the TypeScript original included). Each reports what it
 * can of the server side: CPU time, heap after GC, RSS and open connections; -1 where it cannot.
 */
abstract sealed class LoadTarget implements AutoCloseable {

    /**
     * The {@code counter} actor every target must have, as {@code compat/reference-server.mjs}
     * defines it.
     */
    record Count(int count) {}

    static final ActorType<Count, Void> COUNTER = counter("counter").build();

    /**
     * The same counter replying before its state is saved ({@code replyBeforeSave}), to measure
     * what waiting costs.
     */
    static final ActorType<Count, Void> COUNTER_FAST =
            counter("counter-fast").replyBeforeSave().build();

    private static ActorType.Builder<Count, Void> counter(String name) {
        return ActorType.builder(name, Count.class)
                .createState(c -> new Count(0))
                .action(
                        "increment",
                        Integer.class,
                        (c, amount) -> {
                            int count = c.state().count() + (amount == null ? 1 : amount);
                            c.setState(new Count(count));
                            c.broadcast("newCount", count);
                            return count;
                        })
                .action("getCount", c -> c.state().count());
    }

    abstract String endpoint();

    /** What serves, for the report. */
    abstract String description();

    /** CPU time used so far by the server side, in nanoseconds; -1 if unknown. */
    abstract long cpuNanos();

    /** Whose CPU {@link #cpuNanos} counts. */
    abstract String cpuScope();

    /** Server heap used after a full GC, in bytes; -1 if unknown. */
    long heapAfterGc() {
        return -1;
    }

    /** Whether {@link #heapAfterGc} includes the load tool's own objects (same JVM). */
    boolean heapIncludesLoadTool() {
        return false;
    }

    /** Resident set of the server side, in bytes; -1 if unknown. */
    abstract long rssBytes();

    /** {@code /connect} sockets the server counts as open; -1 if unknown. */
    int serverConnections() {
        return -1;
    }

    @Override
    public abstract void close();

    static LoadTarget start(LoadOptions options) throws Exception {
        if (options.endpoint() != null) {
            return new External(options.endpoint(), options.pids());
        }
        return options.server().equals("fork")
                ? Forked.start(options)
                : InProcess.start(options.store(), options.jfr());
    }

    // ---------------------------------------------------------------- in this JVM

    static final class InProcess extends LoadTarget {
        private final Path dir;
        private final Registry registry;
        private final RivetServer server;
        private final jdk.jfr.@Nullable Recording recording;
        private final @Nullable String jfr;

        private InProcess(
                Path dir,
                Registry registry,
                RivetServer server,
                jdk.jfr.@Nullable Recording recording,
                @Nullable String jfr) {
            this.dir = dir;
            this.registry = registry;
            this.server = server;
            this.recording = recording;
            this.jfr = jfr;
        }

        static InProcess start(String store, @Nullable String jfr) throws Exception {
            Path dir = Files.createTempDirectory("rivetkit-load");
            ActorStore actorStore =
                    store.equals("sqlite")
                            ? SqliteActorStore.open(dir.resolve("load.db"))
                            : new InMemoryActorStore();
            Registry registry =
                    Registry.builder().use(COUNTER).use(COUNTER_FAST).store(actorStore).build();
            RivetServer server =
                    RivetServer.builder(registry).host("127.0.0.1").port(0).build().start();
            jdk.jfr.@Nullable Recording recording = null;
            if (jfr != null) {
                recording =
                        new jdk.jfr.Recording(jdk.jfr.Configuration.getConfiguration("profile"));
                recording.start();
            }
            return new InProcess(dir, registry, server, recording, jfr);
        }

        int port() {
            return server.port();
        }

        @Override
        String endpoint() {
            return server.endpoint();
        }

        @Override
        String description() {
            return "RivetServer in the load tool's JVM ("
                    + Runtime.getRuntime().availableProcessors()
                    + " cores shared)";
        }

        @Override
        long cpuNanos() {
            return ownCpuNanos();
        }

        @Override
        String cpuScope() {
            return "server + load tool (one JVM)";
        }

        @Override
        long heapAfterGc() {
            return ownHeapAfterGc();
        }

        @Override
        boolean heapIncludesLoadTool() {
            return true;
        }

        @Override
        long rssBytes() {
            return rss(ProcessHandle.current().pid());
        }

        @Override
        int serverConnections() {
            return server.connections();
        }

        @Override
        public void close() {
            if (recording != null) {
                try {
                    recording.dump(Path.of(jfr));
                } catch (IOException e) {
                    System.err.println("load: could not write " + jfr + ": " + e);
                }
                recording.close();
            }
            server.close();
            registry.close();
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // a temp dir; best effort
            }
        }

        /**
         * The child side of {@link Forked}: serves, prints {@code ready <endpoint>}, then answers
         * {@code heap} and {@code connections} on stdin until {@code quit} or end of input.
         */
        static void serve(String store, PrintStream out) throws Exception {
            try (InProcess target = start(store, null);
                    BufferedReader in =
                            new BufferedReader(
                                    new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                out.println("ready " + target.endpoint());
                out.flush();
                for (String line; (line = in.readLine()) != null; ) {
                    switch (line.trim()) {
                        case "heap" -> out.println("heap " + ownHeapAfterGc());
                        case "connections" ->
                                out.println("connections " + target.serverConnections());
                        case "quit" -> {
                            return;
                        }
                        default -> out.println("unknown " + line);
                    }
                    out.flush();
                }
            }
        }
    }

    // ---------------------------------------------------------------- in a child JVM

    static final class Forked extends LoadTarget {
        private final Process process;
        private final Writer commands;
        private final BlockingQueue<String> answers;
        private final String endpoint;

        private Forked(Process process, String endpoint, BlockingQueue<String> answers) {
            this.process = process;
            this.commands = process.outputWriter(StandardCharsets.UTF_8);
            this.endpoint = endpoint;
            this.answers = answers;
        }

        static Forked start(LoadOptions options) throws Exception {
            String java =
                    ProcessHandle.current()
                            .info()
                            .command()
                            .orElse(
                                    Path.of(System.getProperty("java.home"), "bin", "java")
                                            .toString());
            List<String> command =
                    new ArrayList<>(List.of(java, "-Xmx2g", "--enable-native-access=ALL-UNNAMED"));
            command.addAll(options.serverJvmArgs());
            if (options.jfr() != null) {
                command.add(
                        "-XX:StartFlightRecording=filename="
                                + options.jfr()
                                + ",settings=profile,dumponexit=true");
            }
            command.addAll(
                    List.of(
                            "-cp",
                            System.getProperty("java.class.path"),
                            LoadTool.class.getName(),
                            "--serve",
                            "--store",
                            options.store()));
            Process process =
                    new ProcessBuilder(command)
                            .redirectError(ProcessBuilder.Redirect.INHERIT)
                            .start();
            CompletableFuture<String> ready = new CompletableFuture<>();
            BlockingQueue<String> answers = new ArrayBlockingQueue<>(16);
            Thread.ofPlatform()
                    .daemon()
                    .name("load-server-out")
                    .start(
                            () -> {
                                try (BufferedReader out =
                                        process.inputReader(StandardCharsets.UTF_8)) {
                                    for (String line; (line = out.readLine()) != null; ) {
                                        if (line.startsWith("ready ")) {
                                            ready.complete(line.substring(6).trim());
                                        } else if (line.startsWith("heap ")
                                                || line.startsWith("connections ")) {
                                            answers.offer(line);
                                        } else {
                                            System.err.println("server: " + line);
                                        }
                                    }
                                } catch (IOException ignored) {
                                    // the child went away
                                }
                                ready.completeExceptionally(
                                        new IllegalStateException(
                                                "the server JVM exited before it was ready"));
                            });
            String endpoint;
            try {
                endpoint = ready.get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                process.destroyForcibly();
                throw e;
            }
            return new Forked(process, endpoint, answers);
        }

        private synchronized @Nullable String ask(String command, String answerPrefix) {
            try {
                answers.clear();
                commands.write(command + "\n");
                commands.flush();
                String answer = answers.poll(60, TimeUnit.SECONDS);
                return answer != null && answer.startsWith(answerPrefix)
                        ? answer.substring(answerPrefix.length())
                        : null;
            } catch (IOException | InterruptedException e) {
                return null;
            }
        }

        @Override
        String endpoint() {
            return endpoint;
        }

        @Override
        String description() {
            return "RivetServer in a child JVM (pid "
                    + process.pid()
                    + ", -Xmx2g; "
                    + Runtime.getRuntime().availableProcessors()
                    + " cores shared with the load tool)";
        }

        @Override
        long cpuNanos() {
            return cpu(process.pid());
        }

        @Override
        String cpuScope() {
            return "server JVM";
        }

        @Override
        long heapAfterGc() {
            String answer = ask("heap", "heap ");
            return answer == null ? -1 : Long.parseLong(answer.trim());
        }

        @Override
        long rssBytes() {
            return rss(process.pid());
        }

        @Override
        int serverConnections() {
            String answer = ask("connections", "connections ");
            return answer == null ? -1 : Integer.parseInt(answer.trim());
        }

        @Override
        public void close() {
            try {
                commands.write("quit\n");
                commands.close();
            } catch (IOException ignored) {
                // already gone
            }
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroy();
                    if (!process.waitFor(10, TimeUnit.SECONDS)) {
                        process.destroyForcibly();
                    }
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---------------------------------------------------------------- anything else

    static final class External extends LoadTarget {
        private final String endpoint;
        private final List<Long> pids;

        External(String endpoint, List<Long> pids) {
            this.endpoint = endpoint;
            this.pids = pids;
        }

        @Override
        String endpoint() {
            return endpoint;
        }

        @Override
        String description() {
            return "external endpoint " + endpoint + (pids.isEmpty() ? "" : " (pids " + pids + ")");
        }

        @Override
        long cpuNanos() {
            if (pids.isEmpty()) {
                return -1;
            }
            long total = 0;
            for (long pid : pids) {
                long cpu = cpu(pid);
                if (cpu < 0) {
                    return -1;
                }
                total += cpu;
            }
            return total;
        }

        @Override
        String cpuScope() {
            return "server processes " + pids;
        }

        @Override
        long rssBytes() {
            if (pids.isEmpty()) {
                return -1;
            }
            long total = 0;
            for (long pid : pids) {
                total += Math.max(0, rss(pid));
            }
            return total;
        }

        @Override
        public void close() {}
    }

    // ---------------------------------------------------------------- measurements

    static long ownCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    static long ownHeapAfterGc() {
        try {
            for (int i = 0; i < 3; i++) {
                System.gc();
                Thread.sleep(200);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    static long cpu(long pid) {
        Optional<Duration> cpu = ProcessHandle.of(pid).flatMap(p -> p.info().totalCpuDuration());
        return cpu.map(Duration::toNanos).orElse(-1L);
    }

    /** VmRSS from /proc, in bytes; -1 off Linux or once the process is gone. */
    static long rss(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux, or gone
        }
        return -1;
    }
}
