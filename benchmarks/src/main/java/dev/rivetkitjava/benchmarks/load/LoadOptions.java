package dev.rivetkitjava.benchmarks.load;

import dev.rivetkitjava.protocol.Encoding;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The load tool's settings, from {@code --name value} arguments (see {@link #USAGE}).
 *
 * @param endpoint a RivetKit endpoint to load, or null to start a server here
 * @param server with no endpoint: {@code inproc} (same JVM), {@code fork} (a child JVM) or {@code
 *     serve} ({@code bin/rivetkit-java serve} as users run it)
 * @param maxActions stop the actions scenario after this many actions in all (0: run for the
 *     duration)
 * @param events broadcast: increments to send (0: rate × duration)
 * @param rate broadcast: increments per second (0: the goal, 200 000 deliveries/s ÷ viewers);
 *     actions: the rate an open loop offers (0: a closed loop)
 * @param actor actions and broadcast: the actor type, {@code counter} (replies after the save) or
 *     {@code counter-fast} (replies before it, {@code replyBeforeSave})
 */
record LoadOptions(
        @Nullable String endpoint,
        Encoding encoding,
        String scenario,
        int connections,
        boolean sharedKey,
        int viewers,
        double rate,
        int events,
        Duration duration,
        Duration warmup,
        int maxActions,
        int actors,
        Duration hold,
        String server,
        String store,
        List<Long> pids,
        @Nullable String jfr,
        int clients,
        String clientExecutor,
        List<String> serverJvmArgs,
        String actor) {

    static final String USAGE =
            """
            LoadTool: RivetKit client-protocol load over WebSocket (loopback only).
              --endpoint URL      load this RivetKit endpoint (e.g. the TypeScript stack); default: start a server
              --server inproc|fork|serve  with no endpoint: RivetServer in this JVM (default), in a child JVM,
                      or `bin/rivetkit-java serve` as shipped (workspace, Sandbox Agent server, SQLite;
                      its counter only: no counter-fast)
              --store sqlite|memory the started server's store (default sqlite, in a temp dir)
              --encoding bare|cbor|json  (default bare, the official client's)
              --scenario actions|broadcast|idle|all  (all: the bin/bench suite)
              --connections N     actions: connections (default 16); idle: connections (default 10000)
              --shared-key        actions: every connection on one counter key (default: a key each)
              --actor counter|counter-fast  actions, broadcast: the actor type (default counter, whose replies wait for the
                                  durable save; counter-fast replies before it, as replyBeforeSave does)
              --viewers V         broadcast: subscribed viewers (default 100)
              --rate R            broadcast: increments/s (default 200000 / viewers, the goal); actions: an open
                                  loop offering R actions/s in all, latency from each request's scheduled time
                                  (default: a closed loop, each connection's next request once its reply is in)
              --events N          broadcast: increments in all (default rate × (warmup + duration))
              --duration 10s      measured time
              --warmup 10s        unmeasured time before it (the JIT needs ~10-15 s on 2 busy cores); with
                                  --scenario all: a warm-up of this + 5 s first, then 3 s before each step
              --actions N         actions: stop after N actions in all (default: run for the duration)
              --actors A          idle: actors the connections spread over (default = connections)
              --hold 10s          idle: time the connections stay idle before they are checked
              --pids p1,p2        external server processes whose CPU and RSS to report
              --jfr FILE          record a JFR profile of the server side (inproc: the whole JVM)
              --clients K         broadcast, idle: java.net.http clients (selector threads) to spread connections
                                  over (default 2); actions run on one selector thread of the tool's own
              --client-executor direct|pool|virtual  broadcast, idle: where java.net.http runs listeners (default
                                  direct: on its selector thread, the cheapest on 2 shared cores)
              --server-jvm "ARGS" extra JVM options for --server fork (e.g. profiling flags)
            """;

    static LoadOptions parse(String... args) {
        Fields f = new Fields();
        Integer connections = null; // its default depends on the scenario
        List<Long> pids = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String name = args[i];
            if (name.equals("--shared-key")) {
                f.sharedKey = true;
                continue;
            }
            if (name.equals("--help") || name.equals("-h")) {
                throw new IllegalArgumentException("");
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(name + " needs a value");
            }
            String value = args[++i];
            switch (name) {
                case "--endpoint" -> f.endpoint = value.replaceAll("/+$", "");
                case "--encoding" -> f.encoding = Encoding.fromWireName(value);
                case "--scenario" ->
                        f.scenario = oneOf(name, value, "actions", "broadcast", "idle", "all");
                case "--connections" -> connections = positive(name, value);
                case "--viewers" -> f.viewers = positive(name, value);
                case "--rate" -> f.rate = positiveRate(name, value);
                case "--events" -> f.events = positive(name, value);
                case "--duration" -> f.duration = duration(value);
                case "--warmup" -> f.warmup = duration(value);
                case "--actions" -> f.maxActions = positive(name, value);
                case "--actors" -> f.actors = positive(name, value);
                case "--hold" -> f.hold = duration(value);
                case "--server" -> f.server = oneOf(name, value, "inproc", "fork", "serve");
                case "--store" -> f.store = oneOf(name, value, "sqlite", "memory");
                case "--pids" -> {
                    for (String pid : value.split(",")) {
                        pids.add(Long.parseLong(pid.trim()));
                    }
                }
                case "--jfr" -> f.jfr = value;
                case "--clients" -> f.clients = positive(name, value);
                case "--client-executor" ->
                        f.clientExecutor = oneOf(name, value, "direct", "pool", "virtual");
                case "--server-jvm" -> f.serverJvmArgs = List.of(value.trim().split("\\s+"));
                case "--actor" -> f.actor = oneOf(name, value, "counter", "counter-fast");
                default -> throw new IllegalArgumentException("unknown option " + name);
            }
        }
        if (f.endpoint != null
                && !f.endpoint.matches(
                        "https?://(127\\.0\\.0\\.1|localhost|\\[::1\\])(:\\d+)?(/.*)?")) {
            throw new IllegalArgumentException(
                    "--endpoint must be a loopback address, not " + f.endpoint);
        }
        if (f.endpoint == null && f.server.equals("serve") && f.actor.equals("counter-fast")) {
            throw new IllegalArgumentException(
                    "serve has no counter-fast (--actor counter-fast needs --server inproc or fork)");
        }
        int defaultConnections = f.scenario.equals("idle") ? 10_000 : 16;
        f.connections = connections == null ? defaultConnections : connections;
        f.pids = List.copyOf(pids);
        return f.options();
    }

    /** Whether the target has {@code counter-fast}: only the servers this tool starts itself. */
    boolean hasFastCounter() {
        return endpoint == null && !server.equals("serve");
    }

    LoadOptions withActions(int connections, boolean sharedKey) {
        return edit(
                f -> {
                    f.scenario = "actions";
                    f.connections = connections;
                    f.sharedKey = sharedKey;
                });
    }

    /** The actions scenario on another actor type ({@code counter} or {@code counter-fast}). */
    LoadOptions withActor(String actor) {
        return edit(f -> f.actor = actor);
    }

    /** Actions: an open loop offering {@code rate} actions/s (0: a closed loop). */
    LoadOptions withRate(double rate) {
        return edit(f -> f.rate = rate);
    }

    LoadOptions withBroadcast(int viewers) {
        return edit(
                f -> {
                    f.scenario = "broadcast";
                    f.viewers = viewers;
                });
    }

    LoadOptions withIdle(int connections) {
        return edit(
                f -> {
                    f.scenario = "idle";
                    f.connections = connections;
                });
    }

    LoadOptions withWarmup(Duration warmup) {
        return edit(f -> f.warmup = warmup);
    }

    LoadOptions withDuration(Duration duration) {
        return edit(f -> f.duration = duration);
    }

    /** A copy with what {@code change} sets. */
    private LoadOptions edit(java.util.function.Consumer<Fields> change) {
        Fields f = new Fields(this);
        change.accept(f);
        return f.options();
    }

    /** The settings as fields to change one by one (the record's components, in order). */
    private static final class Fields {
        @Nullable String endpoint;
        Encoding encoding;
        String scenario;
        int connections;
        boolean sharedKey;
        int viewers;
        double rate;
        int events;
        Duration duration;
        Duration warmup;
        int maxActions;
        int actors;
        Duration hold;
        String server;
        String store;
        List<Long> pids;
        @Nullable String jfr;
        int clients;
        String clientExecutor;
        List<String> serverJvmArgs;
        String actor;

        /** The defaults of {@link #parse}. */
        Fields() {
            encoding = Encoding.BARE;
            scenario = "actions";
            viewers = 100;
            duration = Duration.ofSeconds(10);
            warmup = Duration.ofSeconds(10);
            hold = Duration.ofSeconds(10);
            server = "inproc";
            store = "sqlite";
            pids = List.of();
            clients = 2;
            clientExecutor = "direct";
            serverJvmArgs = List.of();
            actor = "counter";
        }

        Fields(LoadOptions o) {
            endpoint = o.endpoint;
            encoding = o.encoding;
            scenario = o.scenario;
            connections = o.connections;
            sharedKey = o.sharedKey;
            viewers = o.viewers;
            rate = o.rate;
            events = o.events;
            duration = o.duration;
            warmup = o.warmup;
            maxActions = o.maxActions;
            actors = o.actors;
            hold = o.hold;
            server = o.server;
            store = o.store;
            pids = o.pids;
            jfr = o.jfr;
            clients = o.clients;
            clientExecutor = o.clientExecutor;
            serverJvmArgs = o.serverJvmArgs;
            actor = o.actor;
        }

        LoadOptions options() {
            return new LoadOptions(
                    endpoint,
                    encoding,
                    scenario,
                    connections,
                    sharedKey,
                    viewers,
                    rate,
                    events,
                    duration,
                    warmup,
                    maxActions,
                    actors,
                    hold,
                    server,
                    store,
                    pids,
                    jfr,
                    clients,
                    clientExecutor,
                    serverJvmArgs,
                    actor);
        }
    }

    /** Increments per second for the broadcast scenario. */
    double broadcastRate() {
        return rate > 0 ? rate : 200_000.0 / viewers;
    }

    static Duration duration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            }
            if (t.endsWith("s")) {
                return Duration.ofMillis(
                        Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 1000));
            }
            if (t.endsWith("m")) {
                return Duration.ofSeconds(
                        Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 60));
            }
            return Duration.ofMillis(Math.round(Double.parseDouble(t) * 1000));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "not a duration: " + text + " (e.g. 10s, 500ms, 2m)");
        }
    }

    /**
     * A finite rate above 0 (0 or less would silently mean a broadcast's default or a closed loop).
     */
    private static double positiveRate(String name, String value) {
        double rate;
        try {
            rate = Double.parseDouble(value.replace("_", "").replace(",", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a number, not " + value);
        }
        if (!(rate > 0) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException(
                    name + " must be a finite rate above 0, not " + value);
        }
        return rate;
    }

    private static int positive(String name, String value) {
        int n = Integer.parseInt(value.replace("_", "").replace(",", ""));
        if (n <= 0) {
            throw new IllegalArgumentException(name + " must be positive");
        }
        return n;
    }

    private static String oneOf(String name, String value, String... allowed) {
        for (String a : allowed) {
            if (a.equals(value)) {
                return value;
            }
        }
        throw new IllegalArgumentException(
                name + " must be one of " + String.join(", ", allowed) + ", not " + value);
    }
}
