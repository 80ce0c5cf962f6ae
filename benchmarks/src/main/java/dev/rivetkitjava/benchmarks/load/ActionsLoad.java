package dev.rivetkitjava.benchmarks.load;

import dev.rivetkitjava.benchmarks.LatencyHistogram;
import dev.rivetkitjava.benchmarks.LoadClients;
import dev.rivetkitjava.benchmarks.SelectorConnections;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * Actions: {@code increment(1)} on each connection's own counter key (or all on one key), in one of
 * two loops. Closed: each connection sends the next request when its reply arrives, so throughput
 * is the connections over the latency; latency is from just before the request is encoded to the
 * moment its reply frame is complete, and the next request is sent from the reply's callback (no
 * thread hand-off for a tool that shares the cores with the server). Open ({@code --rate}): one
 * thread offers the rate, round robin over the connections, without waiting for replies (at most
 * {@value #MAX_IN_FLIGHT} in flight per connection); latency is from the time a request was
 * <em>scheduled</em>, so a server that falls behind shows it (no coordinated omission). This is how
 * a goal of "so many actions per second at a p99 under so much" is measured.
 */
final class ActionsLoad {
    private static final int MAX_ERRORS = 1_000;

    /**
     * Open loop: the sending thread wakes every half millisecond (as {@code wrk2} paces by the
     * millisecond), not once per request: at 20 k/s a wake-up per request cost the tool more CPU
     * than the sends, on cores it shares with the server. A request is never sent before its time,
     * and its latency counts from that time.
     */
    private static final long SEND_TICK_NANOS = 500_000;

    /** Open loop: requests in flight per connection, under the server's 256. */
    private static final int MAX_IN_FLIGHT = 64;

    /**
     * @param anomalies replies whose count was not what a lone (or shared) incrementer must see
     * @param cpuNanosPerAction the server's CPU per action, -1 when not separable from the load
     *     tool's
     * @param sendLag open loop: how late after its scheduled time each measured request left (the
     *     tool's own delay, which the latency includes); null for a closed loop
     */
    record Result(
            String title,
            long actions,
            double seconds,
            LatencyHistogram latency,
            @Nullable LatencyHistogram sendLag,
            long errors,
            long anomalies,
            @Nullable String firstError,
            double cpuNanosPerAction,
            String cpu,
            List<Double> nodeCpuNanosPerAction)
            implements LoadResult {
        double perSecond() {
            return seconds <= 0 ? 0 : actions / seconds;
        }

        @Override
        public List<String> lines() {
            List<String> lines = new ArrayList<>();
            lines.add(title);
            lines.add(
                    String.format(
                            "  %,.0f actions/s (%,d in %.1f s)  latency %s  mean %s",
                            perSecond(),
                            actions,
                            seconds,
                            latency.summaryMillis(),
                            LatencyHistogram.ms((long) latency.mean())));
            if (sendLag != null) {
                lines.add("  requests left the tool late by " + sendLag.summaryMillis());
            }
            lines.add(
                    "  errors "
                            + errors
                            + ", unexpected counts "
                            + anomalies
                            + (firstError == null ? "" : " (first error: " + firstError + ")"));
            lines.add(
                    "  "
                            + cpu
                            + (cpuNanosPerAction > 0
                                    ? String.format(
                                            "; server CPU %.1f µs per action",
                                            cpuNanosPerAction / 1e3)
                                    : ""));
            if (!nodeCpuNanosPerAction.isEmpty()) {
                StringBuilder nodes = new StringBuilder("  server CPU per action per node:");
                for (int i = 0; i < nodeCpuNanosPerAction.size(); i++) {
                    nodes.append(
                            String.format(
                                    " node %d %.1f µs", i + 1, nodeCpuNanosPerAction.get(i) / 1e3));
                }
                lines.add(nodes.toString());
            }
            return lines;
        }
    }

    /** What all loops share. */
    private record Shared(
            boolean sharedKey,
            long measureStart,
            long end,
            AtomicLong remaining,
            LatencyHistogram latency,
            LongAdder measured,
            LongAdder errors,
            LongAdder anomalies,
            AtomicReference<String> firstError,
            AtomicLong lastFinish) {}

    /** One connection's closed loop. */
    private static final class Loop {
        private final SelectorConnections.Connection connection;
        private final Shared shared;
        private final CompletableFuture<Void> done = new CompletableFuture<>();
        private int previous;

        Loop(SelectorConnections.Connection connection, Shared shared, int previous) {
            this.connection = connection;
            this.shared = shared;
            this.previous = previous;
        }

        void next() {
            if (System.nanoTime() >= shared.end()
                    || shared.remaining().getAndDecrement() <= 0
                    || shared.errors().sum() >= MAX_ERRORS
                    || !connection.isOpen()) {
                shared.lastFinish().accumulateAndGet(System.nanoTime(), Math::max);
                done.complete(null);
                return;
            }
            long sent = System.nanoTime();
            connection
                    .increment(1)
                    .whenComplete(
                            (reply, failure) -> {
                                if (failure != null) {
                                    shared.firstError().compareAndSet(null, failure.toString());
                                    shared.errors().increment();
                                } else {
                                    if (sent >= shared.measureStart()) {
                                        shared.latency().record(reply.receivedNanos() - sent);
                                        shared.measured().increment();
                                    }
                                    int count = reply.output().asInt();
                                    boolean expected =
                                            shared.sharedKey()
                                                    ? count > previous
                                                    : previous < 0 || count == previous + 1;
                                    if (!expected) {
                                        shared.anomalies().increment();
                                    }
                                    previous = count;
                                }
                                next();
                            });
        }
    }

    private ActionsLoad() {}

    /** Where one connection goes: through which node's clients, to which key. */
    record Route(LoadClients clients, String key) {}

    static Result run(LoadTarget target, LoadClients clients, LoadOptions o) throws Exception {
        String run = LoadClients.runId();
        List<Route> routes = new ArrayList<>();
        for (int i = 0; i < o.connections(); i++) {
            routes.add(new Route(clients, o.sharedKey() ? "load-" + run : "load-" + run + "-" + i));
        }
        return run(title(o, ""), target, List.of(), routes, o);
    }

    static String title(LoadOptions o, String through) {
        int n = o.connections();
        return String.format(
                "actions: %d connection%s%s, %s, %s, %s, increment(1) on %s (%s)",
                n,
                n == 1 ? "" : "s",
                through,
                o.sharedKey() ? "all on one key" : "a key each",
                o.encoding().wireName(),
                o.rate() > 0
                        ? String.format("open loop offering %,.0f/s", o.rate())
                        : "closed loop",
                o.actor(),
                o.actor().equals("counter-fast")
                        ? "replies before the save"
                        : "replies once durable");
    }

    /**
     * Runs {@code o}'s closed loop with a connection per route ({@code o.connections()} is not
     * used), the server side's CPU from {@code target} and, on a cluster, each node's from {@code
     * nodes}.
     */
    static Result run(
            String title,
            LoadTarget target,
            List<LoadTarget> nodes,
            List<Route> routes,
            LoadOptions o)
            throws Exception {
        List<SelectorConnections.Target> targets =
                routes.stream()
                        .map(
                                r ->
                                        new SelectorConnections.Target(
                                                r.clients().endpoint(), o.actor(), r.key()))
                        .toList();
        try (SelectorConnections sockets =
                SelectorConnections.open(targets, o.encoding(), Duration.ofSeconds(60))) {
            List<SelectorConnections.Connection> connections = sockets.connections();
            List<Integer> counts = new ArrayList<>();
            for (SelectorConnections.Connection connection : connections) {
                counts.add(
                        connection.action("getCount").get(60, TimeUnit.SECONDS).output().asInt());
            }
            if (o.rate() > 0) {
                return openLoop(title, target, nodes, connections, counts, o);
            }
            long warmupNanos = o.maxActions() > 0 ? 0 : o.warmup().toNanos();
            long measureStart = System.nanoTime() + warmupNanos;
            long end = measureStart + o.duration().toNanos();
            Shared shared =
                    new Shared(
                            o.sharedKey(),
                            measureStart,
                            end,
                            new AtomicLong(o.maxActions() > 0 ? o.maxActions() : Long.MAX_VALUE),
                            new LatencyHistogram(),
                            new LongAdder(),
                            new LongAdder(),
                            new LongAdder(),
                            new AtomicReference<>(),
                            new AtomicLong());
            List<CompletableFuture<Void>> loops = new ArrayList<>();
            for (int i = 0; i < connections.size(); i++) {
                Loop loop =
                        new Loop(connections.get(i), shared, o.sharedKey() ? -1 : counts.get(i));
                loops.add(loop.done);
                loop.next();
            }
            // Measure the server's CPU over the measured window only.
            sleepUntil(measureStart);
            CpuWindow cpu = CpuWindow.start(target);
            long[] nodesStart = cpuNanos(nodes);
            try {
                CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new))
                        .get(
                                o.duration().toMillis() + warmupNanos / 1_000_000 + 60_000,
                                TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                long stalled = loops.stream().filter(l -> !l.isDone()).count();
                shared.errors().add(stalled);
                shared.firstError()
                        .compareAndSet(null, stalled + " connections got no reply for over 60 s");
            }
            CpuWindow.Used used = cpu.end();
            long[] nodesEnd = cpuNanos(nodes);
            double seconds = (Math.min(end, shared.lastFinish().get()) - measureStart) / 1e9;
            long actions = shared.measured().sum();
            return new Result(
                    title,
                    actions,
                    seconds,
                    shared.latency(),
                    null,
                    shared.errors().sum(),
                    shared.anomalies().sum(),
                    shared.firstError().get(),
                    used.serverNanos() > 0 && actions > 0
                            ? (double) used.serverNanos() / actions
                            : -1,
                    used.line(),
                    perAction(nodesStart, nodesEnd, actions));
        }
    }

    /**
     * The counts one counter key answered in an open loop, whose replies may come out of order:
     * each count must come once, and none may be skipped once every request was answered.
     */
    private static final class Counts {
        private final int base;
        private final BitSet seen = new BitSet();
        private long unexpected;

        Counts(int base) {
            this.base = base;
        }

        synchronized void add(int count) {
            int offset = count - base - 1;
            if (offset < 0 || seen.get(offset)) {
                unexpected++;
            } else {
                seen.set(offset);
            }
        }

        /** Counts seen twice or out of range, and, if every request was answered, skipped ones. */
        synchronized long anomalies(boolean everyRequestAnswered) {
            return unexpected + (everyRequestAnswered ? seen.length() - seen.cardinality() : 0);
        }
    }

    /** {@code o.rate()} requests a second, round robin over {@code connections} (see the class). */
    private static Result openLoop(
            String title,
            LoadTarget target,
            List<LoadTarget> nodes,
            List<SelectorConnections.Connection> connections,
            List<Integer> counts,
            LoadOptions o)
            throws Exception {
        int n = connections.size();
        Counts[] countsOf = new Counts[n];
        Semaphore[] inFlight = new Semaphore[n];
        for (int i = 0; i < n; i++) {
            countsOf[i] =
                    o.sharedKey() && i > 0 ? countsOf[0] : new Counts(counts.get(i)); // one key
            inFlight[i] = new Semaphore(MAX_IN_FLIGHT);
        }
        double interval = 1e9 / o.rate();
        long warmupNanos = o.maxActions() > 0 ? 0 : o.warmup().toNanos();
        long toSend =
                o.maxActions() > 0
                        ? o.maxActions()
                        : (long) Math.ceil((warmupNanos + o.duration().toNanos()) / interval);
        long start = System.nanoTime() + 50_000_000L;
        long measureStart = start + warmupNanos;
        long end = start + (long) (toSend * interval);
        // Sending stops 2 s after the schedule ends, however far behind it a slow server holds the
        // tool through the in-flight limit, so the run is bounded.
        long stopSending = end + 2_000_000_000L;
        LatencyHistogram latency = new LatencyHistogram();
        LatencyHistogram sendLag = new LatencyHistogram();
        LongAdder measured = new LongAdder();
        LongAdder errors = new LongAdder();
        AtomicReference<String> firstError = new AtomicReference<>();
        AtomicLong lastReply = new AtomicLong(measureStart);
        CpuWindow cpu = null;
        long[] nodesStart = new long[0];
        long sent = 0;
        for (; sent < toSend && errors.sum() < MAX_ERRORS; sent++) {
            long intended = start + (long) (sent * interval);
            if (intended > System.nanoTime()) {
                // Wake at the next tick and send all that is due by then, each after its time.
                sleepUntil(start + ((intended - start) / SEND_TICK_NANOS + 1) * SEND_TICK_NANOS);
            }
            if (cpu == null && System.nanoTime() >= measureStart) {
                cpu = CpuWindow.start(target);
                nodesStart = cpuNanos(nodes);
            }
            int c = (int) (sent % n);
            Semaphore slots = inFlight[c];
            if (!slots.tryAcquire(
                    Math.max(1, stopSending - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                break;
            }
            if (intended >= measureStart) {
                sendLag.record(System.nanoTime() - intended);
            }
            Counts answered = countsOf[c];
            connections
                    .get(c)
                    .increment(1)
                    .whenComplete(
                            (reply, failure) -> {
                                try {
                                    if (failure != null) {
                                        firstError.compareAndSet(null, failure.toString());
                                        errors.increment();
                                        return;
                                    }
                                    answered.add(reply.output().asInt());
                                    if (intended >= measureStart) {
                                        latency.record(reply.receivedNanos() - intended);
                                        measured.increment();
                                        lastReply.accumulateAndGet(
                                                reply.receivedNanos(), Math::max);
                                    }
                                } finally {
                                    // After the writes above: they are read once all are back.
                                    slots.release();
                                }
                            });
        }
        if (sent < toSend) {
            firstError.compareAndSet(
                    null,
                    String.format(
                            "the server took only %,d of %,d requests in the scheduled time (+2 s),"
                                    + " at most %d in flight per connection",
                            sent, toSend, MAX_IN_FLIGHT));
        }
        if (cpu == null) {
            sleepUntil(measureStart);
            cpu = CpuWindow.start(target);
            nodesStart = cpuNanos(nodes);
        }
        boolean everyRequestAnswered = sent == toSend;
        for (Semaphore slots : inFlight) {
            if (!slots.tryAcquire(MAX_IN_FLIGHT, 30, TimeUnit.SECONDS)) {
                everyRequestAnswered = false;
                firstError.compareAndSet(null, "replies still missing 30 s after the last request");
            }
        }
        CpuWindow.Used used = cpu.end();
        long[] nodesEnd = cpuNanos(nodes);
        boolean noneFailed = everyRequestAnswered && errors.sum() == 0;
        long anomalies =
                Arrays.stream(countsOf).distinct().mapToLong(k -> k.anomalies(noneFailed)).sum();
        long actions = measured.sum();
        return new Result(
                title,
                actions,
                (Math.max(end, lastReply.get()) - measureStart) / 1e9,
                latency,
                sendLag,
                errors.sum(),
                anomalies,
                firstError.get(),
                used.serverNanos() > 0 && actions > 0 ? (double) used.serverNanos() / actions : -1,
                used.line(),
                perAction(nodesStart, nodesEnd, actions));
    }

    /** Each node's CPU time so far. */
    private static long[] cpuNanos(List<LoadTarget> nodes) {
        return nodes.stream().mapToLong(LoadTarget::cpuNanos).toArray();
    }

    private static List<Double> perAction(long[] start, long[] end, long actions) {
        List<Double> perAction = new ArrayList<>();
        for (int i = 0; i < start.length; i++) {
            perAction.add(actions > 0 ? (double) (end[i] - start[i]) / actions : -1);
        }
        return perAction;
    }

    static void sleepUntil(long nanoTime) {
        for (long left; (left = nanoTime - System.nanoTime()) > 0; ) {
            LockSupport.parkNanos(left);
        }
    }
}
