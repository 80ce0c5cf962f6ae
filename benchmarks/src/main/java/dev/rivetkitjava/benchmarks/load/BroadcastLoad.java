package dev.rivetkitjava.benchmarks.load;

import dev.rivetkitjava.benchmarks.Drain;
import dev.rivetkitjava.benchmarks.LatencyHistogram;
import dev.rivetkitjava.benchmarks.LoadClients;
import dev.rivetkitjava.benchmarks.ProtocolConnection;
import dev.rivetkitjava.protocol.ToClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * Fan-out: V viewers connected to one counter and subscribed to {@code newCount}; one driver
 * connection calls {@code increment(1)} at a steady rate without waiting for replies (open loop, at
 * most 200 in flight, under the server's 256 per connection). Every count is unique, so the
 * driver's replies map each count to the time its increment was <em>scheduled</em> to be sent, and
 * a viewer's latency for count n is the time its {@code newCount(n)} frame was complete minus that:
 * it includes the request's trip, and a driver held back by a slow server is not hidden (no
 * coordinated omission). Deliveries/s and latency count the frames received after the warm-up. Each
 * viewer must see every count exactly once, in order.
 */
final class BroadcastLoad {
    private static final int MAX_IN_FLIGHT = 200;

    record Result(
            String title,
            int viewers,
            double rate,
            long produced,
            long deliveries,
            double seconds,
            LatencyHistogram latency,
            LatencyHistogram actionLatency,
            long lost,
            long reordered,
            long duplicates,
            long driverErrors,
            @Nullable String firstError,
            double cpuNanosPerDelivery,
            String cpu)
            implements LoadResult {
        double perSecond() {
            return seconds <= 0 ? 0 : deliveries / seconds;
        }

        @Override
        public List<String> lines() {
            List<String> lines = new ArrayList<>();
            lines.add(title);
            lines.add(
                    String.format(
                            "  %,.0f deliveries/s (%,d in %.1f s; offered %,.0f/s)  delivery latency %s",
                            perSecond(),
                            deliveries,
                            seconds,
                            rate * viewers,
                            latency.summaryMillis()));
            lines.add(
                    String.format(
                            "  driver: %,d increments, reply latency %s, errors %d%s",
                            produced,
                            actionLatency.summaryMillis(),
                            driverErrors,
                            firstError == null ? "" : " (" + firstError + ")"));
            lines.add(
                    String.format(
                            "  lost %d, reordered %d, duplicated %d (over all %d viewers × %,d events; lost ="
                                    + " not received by the end of the run)",
                            lost, reordered, duplicates, viewers, produced));
            lines.add(
                    "  "
                            + cpu
                            + (cpuNanosPerDelivery > 0
                                    ? String.format(
                                            "; server CPU %.2f µs per delivery",
                                            cpuNanosPerDelivery / 1e3)
                                    : ""));
            return lines;
        }
    }

    /** One viewer's record of what it received, written only on its WebSocket's reading thread. */
    static final class Viewer implements ProtocolConnection.EventSink {
        volatile int last = Integer.MIN_VALUE;
        volatile boolean recording;
        int base;
        int[] counts = new int[0];
        long[] received = new long[0];
        int size;
        long reordered;
        long duplicates;
        BitSet seen = new BitSet();

        void startRecording(int base, int capacity) {
            this.base = base;
            this.counts = new int[capacity];
            this.received = new long[capacity];
            this.last = base;
            this.recording = true;
        }

        @Override
        public void onEvent(ToClient.Event event, long receivedNanos) {
            if (!event.name().equals("newCount")) {
                return;
            }
            int n = event.args().get(0).asInt();
            if (!recording) {
                last = Math.max(last, n);
                return;
            }
            if (n <= base) {
                return;
            }
            int offset = n - base - 1;
            if (seen.get(offset)) {
                duplicates++;
            } else {
                seen.set(offset);
                if (n < last) {
                    reordered++;
                }
                if (size < counts.length) {
                    counts[size] = n;
                    received[size] = receivedNanos;
                    size++;
                }
            }
            if (n > last) {
                last = n;
            }
        }
    }

    private BroadcastLoad() {}

    static Result run(LoadTarget target, LoadClients clients, LoadOptions o) throws Exception {
        return run("", target, clients, List.of(clients), o);
    }

    /**
     * As above, the driver connected through {@code driverClients} and viewer i through {@code
     * viewerClients.get(i % size)} (on a cluster: a node each); {@code through} goes in the title.
     */
    static Result run(
            String through,
            LoadTarget target,
            LoadClients driverClients,
            List<LoadClients> viewerClients,
            LoadOptions o)
            throws Exception {
        int v = o.viewers();
        double rate = o.broadcastRate();
        String run = LoadClients.runId();
        String key = "load-" + run + "-broadcast";
        String title =
                String.format(
                        "broadcast: %d viewers of one actor (%s)%s, %s, driver at %,.0f increments/s",
                        v, o.actor(), through, o.encoding().wireName(), rate);
        Viewer[] viewers = new Viewer[v];
        for (int i = 0; i < v; i++) {
            viewers[i] = new Viewer();
        }
        // The driver first, so the actor exists before the viewers' getOrCreate.
        LoadClients.Opened first =
                driverClients.open(o.actor(), 1, i -> key, i -> null, 1, Duration.ofSeconds(60));
        List<ProtocolConnection> all = new ArrayList<>(first.connections());
        List<String> failures = new ArrayList<>();
        if (first.failed() > 0) {
            failures.add("the driver: " + first.failures());
        }
        int n = viewerClients.size();
        for (int j = 0; j < n && failures.isEmpty(); j++) {
            int node = j;
            LoadClients.Opened opened =
                    viewerClients
                            .get(j)
                            .open(
                                    o.actor(),
                                    (v - j + n - 1) / n,
                                    i -> key,
                                    i -> viewers[i * n + node],
                                    64,
                                    Duration.ofSeconds(60));
            all.addAll(opened.connections());
            if (opened.failed() > 0) {
                failures.add(opened.failed() + " viewers: " + opened.failures());
            }
        }
        try {
            if (!failures.isEmpty()) {
                throw new IllegalStateException(
                        "connections of " + (v + 1) + " failed: " + failures);
            }
            ProtocolConnection driver = all.getFirst();
            for (int i = 1; i <= v; i++) {
                all.get(i).subscribe("newCount").get(30, TimeUnit.SECONDS);
            }
            int base = barrier(driver, viewers);

            long warmupNanos = o.events() > 0 ? 0 : o.warmup().toNanos();
            int events =
                    o.events() > 0
                            ? o.events()
                            : (int)
                                    Math.max(
                                            1,
                                            Math.round(
                                                    rate
                                                            * (warmupNanos + o.duration().toNanos())
                                                            / 1e9));
            for (Viewer viewer : viewers) {
                viewer.startRecording(base, events + 64);
            }
            long[] intendedByCount = new long[events];
            Arrays.fill(intendedByCount, Long.MIN_VALUE);
            LatencyHistogram actionLatency = new LatencyHistogram();
            LongAdder driverErrors = new LongAdder();
            LongAdder foreign = new LongAdder();
            AtomicReference<String> firstError = new AtomicReference<>();
            Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);

            long start = System.nanoTime() + 50_000_000L;
            long measureStart = start + warmupNanos;
            // Sending stops 2 s after the schedule ends, however far behind it the driver is (a
            // slow server holds it
            // back through the in-flight limit), so the run is bounded.
            long stopSending = start + (long) (events * 1e9 / rate) + 2_000_000_000L;
            CpuWindow cpu = null;
            int sent = 0;
            for (; sent < events && System.nanoTime() < stopSending; sent++) {
                long intended = start + (long) (sent * 1e9 / rate);
                ActionsLoad.sleepUntil(intended);
                if (cpu == null && System.nanoTime() >= measureStart) {
                    cpu = CpuWindow.start(target);
                }
                if (!inFlight.tryAcquire(
                        Math.max(1, stopSending - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    break;
                }
                driver.increment(1)
                        .whenComplete(
                                (reply, failure) -> {
                                    try {
                                        if (failure != null) {
                                            driverErrors.increment();
                                            firstError.compareAndSet(null, failure.toString());
                                            return;
                                        }
                                        if (reply.receivedNanos() >= measureStart) {
                                            actionLatency.record(reply.receivedNanos() - intended);
                                        }
                                        int offset = reply.output().asInt() - base - 1;
                                        if (offset >= 0
                                                && offset < events
                                                && intendedByCount[offset] == Long.MIN_VALUE) {
                                            intendedByCount[offset] = intended;
                                        } else {
                                            foreign.increment();
                                        }
                                    } finally {
                                        inFlight.release(); // after the write above: the main
                                        // thread reads it once all are back
                                    }
                                });
            }
            if (sent < events) {
                firstError.compareAndSet(
                        null,
                        String.format(
                                "the server took only %,d of %,d increments in the "
                                        + "scheduled time (+2 s), at most %d in flight",
                                sent, events, MAX_IN_FLIGHT));
            }
            if (cpu == null) {
                ActionsLoad.sleepUntil(measureStart);
                cpu = CpuWindow.start(target);
            }
            if (!inFlight.tryAcquire(MAX_IN_FLIGHT, 30, TimeUnit.SECONDS)) {
                firstError.compareAndSet(
                        null, "replies still missing 30 s after the last increment");
            }
            // Counts whose increment was answered; one still unanswered is not expected anywhere.
            BitSet answered = new BitSet(events);
            for (int i = 0; i < events; i++) {
                if (intendedByCount[i] != Long.MIN_VALUE) {
                    answered.set(i);
                }
            }
            long produced = answered.cardinality();
            long unanswered = sent - produced - driverErrors.sum();
            if (unanswered > 0) {
                firstError.compareAndSet(
                        null, unanswered + " increments still unanswered 30 s after the last one");
            }
            int expectedLast = base + answered.length();
            // Until every viewer has seen the last count.
            Drain.await(
                    () -> Arrays.stream(viewers).allMatch(viewer -> viewer.last >= expectedLast),
                    () -> Arrays.stream(viewers).mapToLong(viewer -> viewer.last).sum(),
                    Duration.ofSeconds(30));
            CpuWindow.Used used =
                    cpu == null ? new CpuWindow.Used(-1, "CPU not measured") : cpu.end();

            LatencyHistogram latency = new LatencyHistogram();
            long deliveries = 0;
            long lastDelivery = measureStart;
            long lost = 0;
            long reordered = 0;
            long duplicates = 0;
            for (Viewer viewer : viewers) {
                for (int i = 0; i < viewer.size; i++) {
                    long intended = intendedByCount[viewer.counts[i] - base - 1];
                    if (intended == Long.MIN_VALUE || viewer.received[i] < measureStart) {
                        continue; // received during the warm-up, or a count whose increment failed
                    }
                    latency.record(viewer.received[i] - intended);
                    lastDelivery = Math.max(lastDelivery, viewer.received[i]);
                    deliveries++;
                }
                BitSet missing = (BitSet) answered.clone();
                missing.andNot(viewer.seen);
                lost += missing.cardinality();
                reordered += viewer.reordered;
                duplicates += viewer.duplicates;
            }
            if (foreign.sum() > 0) {
                firstError.compareAndSet(
                        null, foreign.sum() + " replies had counts outside this run's range");
            }
            double seconds = (lastDelivery - measureStart) / 1e9;
            return new Result(
                    title,
                    v,
                    rate,
                    produced,
                    deliveries,
                    seconds,
                    latency,
                    actionLatency,
                    lost,
                    reordered,
                    duplicates,
                    driverErrors.sum(),
                    firstError.get(),
                    used.serverNanos() > 0 && deliveries > 0
                            ? (double) used.serverNanos() / deliveries
                            : -1,
                    used.line());
        } finally {
            LoadClients.closeAll(all, 64);
        }
    }

    /**
     * Subscriptions take effect asynchronously, so increment until one count reaches every viewer
     * (at most 50 tries, 2 s each); returns that count, after which every increment must reach
     * everyone.
     */
    private static int barrier(ProtocolConnection driver, Viewer[] viewers) throws Exception {
        for (int attempt = 0; attempt < 50; attempt++) {
            int count = driver.increment(1).get(60, TimeUnit.SECONDS).output().asInt();
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < deadline) {
                if (Arrays.stream(viewers).allMatch(v -> v.last >= count)) {
                    return count;
                }
                Thread.sleep(5);
            }
        }
        long missing = Arrays.stream(viewers).filter(v -> v.last == Integer.MIN_VALUE).count();
        throw new IllegalStateException(missing + " viewers never received a newCount event");
    }
}
