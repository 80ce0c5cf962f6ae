package dev.rivetkitjava.benchmarks.load;

import dev.rivetkitjava.benchmarks.LoadClients;
import dev.rivetkitjava.benchmarks.ProtocolConnection;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * Many idle connections: open N {@code /connect} sockets spread over A counter actors, measure the
 * server's heap after GC before and after, leave them idle, then check every one is still open and
 * still answers an action.
 */
final class IdleLoad {

    record Result(
            String title,
            int opened,
            int failed,
            String failures,
            double connectSeconds,
            long heapBefore,
            long heapAfter,
            boolean heapIncludesLoadTool,
            long rssBefore,
            long rssAfter,
            long clientHeapPerConnection,
            int stillOpen,
            int serverConnections,
            int answered,
            @Nullable String firstError,
            double holdSeconds,
            String cpu)
            implements LoadResult {
        long heapPerConnection() {
            return opened == 0 || heapBefore < 0 || heapAfter < 0
                    ? -1
                    : (heapAfter - heapBefore) / opened;
        }

        @Override
        public List<String> lines() {
            List<String> lines = new ArrayList<>();
            lines.add(title);
            lines.add(
                    String.format(
                            "  opened %,d in %.1f s (%,.0f/s), failed %d%s",
                            opened,
                            connectSeconds,
                            opened / Math.max(connectSeconds, 1e-9),
                            failed,
                            failed == 0 ? "" : " " + failures));
            if (heapPerConnection() >= 0) {
                lines.add(
                        String.format(
                                "  heap after GC %s → %s: %,d bytes per connection (with its awake actor)%s",
                                mb(heapBefore),
                                mb(heapAfter),
                                heapPerConnection(),
                                heapIncludesLoadTool
                                        ? "; includes the load tool's side of each socket (one JVM)"
                                        : ""));
            }
            if (rssBefore > 0 && rssAfter > 0) {
                lines.add(
                        String.format(
                                "  server RSS %s → %s (%,d bytes per connection)",
                                mb(rssBefore),
                                mb(rssAfter),
                                (rssAfter - rssBefore) / Math.max(1, opened)));
            }
            if (clientHeapPerConnection > 0) {
                lines.add(
                        String.format(
                                "  load tool heap: %,d bytes per client connection (java.net.http)",
                                clientHeapPerConnection));
            }
            lines.add(
                    String.format(
                            "  after %.0f s idle: %,d of %,d still open (server counts %s), %,d answered getCount%s",
                            holdSeconds,
                            stillOpen,
                            opened,
                            serverConnections < 0 ? "?" : String.format("%,d", serverConnections),
                            answered,
                            firstError == null ? "" : " (first error: " + firstError + ")"));
            lines.add("  " + cpu + " (while idle)");
            return lines;
        }

        private static String mb(long bytes) {
            return String.format("%.1f MB", bytes / 1e6);
        }
    }

    private IdleLoad() {}

    static Result run(LoadTarget target, LoadClients clients, LoadOptions o) throws Exception {
        int n = o.connections();
        int actors = o.actors() > 0 ? Math.min(o.actors(), n) : n;
        String run = LoadClients.runId();
        String title =
                String.format(
                        "idle: %,d connections to %,d actors, %s",
                        n, actors, o.encoding().wireName());
        checkFileDescriptors(n, target instanceof LoadTarget.InProcess);

        // Warm the server's connect path, then the baselines.
        LoadClients.Opened warm =
                clients.open(1, i -> "load-" + run + "-warm", i -> null, 1, Duration.ofSeconds(60));
        if (warm.failed() > 0) {
            throw new IllegalStateException("cannot connect: " + warm.failures());
        }
        warm.open().getFirst().action("getCount").get(60, TimeUnit.SECONDS);
        LoadClients.closeAll(warm.connections(), 1);
        boolean separate = !(target instanceof LoadTarget.InProcess);
        long clientBefore = separate ? LoadTarget.ownHeapAfterGc() : -1;
        long heapBefore = target.heapAfterGc();
        long rssBefore = target.rssBytes();

        LoadClients.Opened opened =
                clients.open(
                        n,
                        i -> "idle-" + run + "-" + (i % actors),
                        i -> null,
                        256,
                        Duration.ofSeconds(120));
        List<ProtocolConnection> connections = opened.open();
        try {
            long heapAfter = target.heapAfterGc();
            long rssAfter = target.rssBytes();
            long clientAfter = separate ? LoadTarget.ownHeapAfterGc() : -1;
            CpuWindow cpu = CpuWindow.start(target);
            long holdUntil = System.nanoTime() + o.hold().toNanos();
            ActionsLoad.sleepUntil(holdUntil);
            String idleCpu = cpu.end().line();
            int stillOpen = (int) connections.stream().filter(ProtocolConnection::isOpen).count();
            int serverConnections = target.serverConnections();

            LongAdder answered = new LongAdder();
            AtomicReference<String> firstError = new AtomicReference<>();
            Semaphore slots = new Semaphore(256);
            List<CompletableFuture<?>> calls = new ArrayList<>();
            for (ProtocolConnection c : connections) {
                slots.acquire();
                calls.add(
                        c.action("getCount")
                                .orTimeout(60, TimeUnit.SECONDS)
                                .whenComplete(
                                        (r, x) -> {
                                            slots.release();
                                            if (x == null) {
                                                answered.increment();
                                            } else {
                                                firstError.compareAndSet(null, x.toString());
                                            }
                                        }));
            }
            try {
                CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new))
                        .get(120, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // counted per call
            }
            return new Result(
                    title,
                    connections.size(),
                    opened.failed(),
                    opened.failures().toString(),
                    opened.seconds(),
                    heapBefore,
                    heapAfter,
                    target.heapIncludesLoadTool(),
                    rssBefore,
                    rssAfter,
                    clientAfter < 0 || connections.isEmpty()
                            ? -1
                            : (clientAfter - clientBefore) / connections.size(),
                    stillOpen,
                    serverConnections,
                    (int) answered.sum(),
                    firstError.get(),
                    o.hold().toMillis() / 1e3,
                    idleCpu);
        } finally {
            connections.forEach(ProtocolConnection::abort);
        }
    }

    /** Fails early, with the remedy, when this process cannot hold the sockets. */
    private static void checkFileDescriptors(int connections, boolean bothEnds) {
        if (ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.UnixOperatingSystemMXBean os) {
            long needed =
                    os.getOpenFileDescriptorCount() + (long) connections * (bothEnds ? 2 : 1) + 256;
            if (needed > os.getMaxFileDescriptorCount()) {
                throw new IllegalStateException(
                        String.format(
                                "%,d connections need about %,d file descriptors in this JVM%s, but ulimit -n is %,d: raise it "
                                        + "(ulimit -n 65536)%s or use fewer connections",
                                connections,
                                needed,
                                bothEnds ? " (client and server ends)" : "",
                                os.getMaxFileDescriptorCount(),
                                bothEnds
                                        ? ", run the server in its own JVM (--server fork),"
                                        : ""));
            }
        }
    }
}
