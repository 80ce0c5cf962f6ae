package dev.rivetkitjava.benchmarks.load;

import dev.rivetkitjava.benchmarks.LoadClients;
import dev.rivetkitjava.benchmarks.Machine;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Load over RivetKit's client protocol on loopback, against any endpoint that speaks it (so the
 * same workload runs against the TypeScript original), or against a RivetServer it starts with a
 * {@code counter} actor.
 *
 * <pre>
 * java -cp benchmarks.jar dev.rivetkitjava.benchmarks.load.LoadTool --scenario actions --connections 16 --duration 10s
 * java -cp benchmarks.jar dev.rivetkitjava.benchmarks.load.LoadTool --scenario actions --rate 20000 --server fork
 * java -cp benchmarks.jar dev.rivetkitjava.benchmarks.load.LoadTool --scenario broadcast --viewers 1000
 * java -cp benchmarks.jar dev.rivetkitjava.benchmarks.load.LoadTool --scenario idle --connections 10000 --server fork
 * java -cp benchmarks.jar dev.rivetkitjava.benchmarks.load.LoadTool --endpoint http://127.0.0.1:6420 --scenario actions
 * </pre>
 *
 * {@code --scenario all} is the {@code bin/bench load} suite. Options: {@link LoadOptions#USAGE}.
 */
public final class LoadTool {
    /** The durable-reply goal: this many actions/s on 16 connections at a p99 under 20 ms. */
    static final double DURABLE_GOAL_RATE = 20_000;

    private LoadTool() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--serve")) {
            String store = args.length > 2 && args[1].equals("--store") ? args[2] : "sqlite";
            LoadTarget.InProcess.serve(store, System.out);
            return;
        }
        LoadOptions options;
        try {
            options = LoadOptions.parse(args);
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && !e.getMessage().isEmpty()) {
                System.err.println("load: " + e.getMessage());
            }
            System.err.print(LoadOptions.USAGE);
            System.exit(2);
            return;
        }
        boolean ok =
                run(
                        options,
                        line -> {
                            System.out.println(line);
                            System.out.flush();
                        },
                        new ArrayList<>());
        System.exit(ok ? 0 : 1);
    }

    /**
     * Runs one scenario, or for {@code --scenario all} the bench suite: a JIT warm-up, actions on 1
     * and 16 connections (a key each, the 16 also offered the durable goal's rate, then one key;
     * then, against our own server, 1 and 16 on {@code counter-fast}, which replies before its
     * save), broadcast to 100 and 1000 viewers, all against one server, then 10 000 idle
     * connections against a fresh one. Prints as it goes; returns whether every step ran.
     */
    static boolean run(LoadOptions o, Consumer<String> out, List<LoadResult> results)
            throws Exception {
        if (!o.scenario().equals("all")) {
            return runSteps(o, List.of(o), false, out, results);
        }
        Duration stepWarmup =
                o.warmup().compareTo(Duration.ofSeconds(3)) < 0
                        ? o.warmup()
                        : Duration.ofSeconds(3);
        LoadOptions s = o.withWarmup(stepWarmup);
        LoadOptions closed = s.withRate(0);
        List<LoadOptions> steps =
                new ArrayList<>(
                        List.of(
                                closed.withActions(1, false),
                                closed.withActions(16, false),
                                // The durable goal as a service level, at its rate.
                                s.withActions(16, false).withRate(DURABLE_GOAL_RATE),
                                closed.withActions(16, true)));
        if (o.hasFastCounter()) {
            // What durable replies cost: the same counter replying before its save (only our server
            // has it).
            steps.add(closed.withActions(1, false).withActor("counter-fast"));
            steps.add(closed.withActions(16, false).withActor("counter-fast"));
        }
        // Fan-out is measured as before: the driver's increments reply before their save (a durable
        // reply costs each
        // increment of the one driven actor a commit of its own; the actions steps above show that
        // cost).
        String broadcaster = o.hasFastCounter() ? "counter-fast" : "counter";
        steps.add(s.withBroadcast(100).withActor(broadcaster));
        steps.add(s.withBroadcast(1000).withActor(broadcaster));
        boolean ok = runSteps(o, steps, true, out, results);
        return runSteps(o, List.of(s.withIdle(10_000)), false, out, results) && ok;
    }

    private static boolean runSteps(
            LoadOptions o,
            List<LoadOptions> steps,
            boolean jitWarmup,
            Consumer<String> out,
            List<LoadResult> results)
            throws Exception {
        boolean ok = true;
        try (LoadTarget target = LoadTarget.start(o);
                LoadClients clients =
                        new LoadClients(
                                target.endpoint(), o.encoding(), o.clients(), o.clientExecutor())) {
            clients.metadata();
            out.accept("");
            out.accept(
                    "load → "
                            + target.description()
                            + "; JDK "
                            + Runtime.version()
                            + ", "
                            + Runtime.getRuntime().availableProcessors()
                            + " cores; "
                            + Machine.loadAverage());
            if (jitWarmup) {
                // The server's hot paths take C2 10-15 s to compile on 2 busy cores; measure after
                // that.
                LoadOptions warm =
                        o.withActions(16, false)
                                .withRate(0)
                                .withWarmup(Duration.ZERO)
                                .withDuration(o.warmup().plusSeconds(5));
                ActionsLoad.Result w = ActionsLoad.run(target, clients, warm);
                out.accept(
                        String.format(
                                "JIT warm-up: %,.0f actions/s over %d s (16 connections), not a figure",
                                w.perSecond(), warm.duration().toSeconds()));
            }
            for (LoadOptions step : steps) {
                out.accept("");
                try {
                    LoadResult result =
                            switch (step.scenario()) {
                                case "actions" -> ActionsLoad.run(target, clients, step);
                                case "broadcast" -> BroadcastLoad.run(target, clients, step);
                                case "idle" -> IdleLoad.run(target, clients, step);
                                default ->
                                        throw new IllegalArgumentException(
                                                "unknown scenario " + step.scenario());
                            };
                    result.lines().forEach(out);
                    results.add(result);
                } catch (Exception e) {
                    ok = false;
                    out.accept(step.scenario() + " failed: " + e);
                }
            }
        }
        return ok;
    }

    /** Runs and returns the results without printing (for tests); fails if a step failed. */
    static List<LoadResult> runQuietly(String... args) throws Exception {
        List<LoadResult> results = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        if (!run(LoadOptions.parse(args), lines::add, results)) {
            throw new IllegalStateException(String.join("\n", lines));
        }
        return results;
    }
}
