package dev.rivetkitjava.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.rivetkitjava.actor.Registry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node of a rivetkit cluster: a Pekko actor system that joins (or, as the first seed, forms)
 * the cluster, and the registry whose placement is a {@link ClusterPlacement}. Split-brain resolver
 * keep-majority (run at least 3 nodes: a minority side downs itself), {@code
 * sharding.retry-interval = 200ms}, and coordinated shutdown that hands the node's actors over
 * (each put to sleep, state saved) before the registry stops.
 */
public final class ClusterNode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClusterNode.class);

    /**
     * @param host the address other nodes reach this one at (loopback for one machine)
     * @param port the cluster port (Artery TCP)
     * @param seedNodes {@code host:port} of the seed nodes (may include this node)
     * @param httpEndpoint this node's HTTP endpoint, as listed by {@code GET /cluster}
     */
    public record Settings(
            String host,
            int port,
            List<String> seedNodes,
            String httpEndpoint,
            Duration askTimeout,
            Duration moveTimeout) {
        public Settings {
            Objects.requireNonNull(host, "host");
            seedNodes = List.copyOf(seedNodes);
            Objects.requireNonNull(askTimeout, "askTimeout");
            Objects.requireNonNull(moveTimeout, "moveTimeout");
        }

        /** With the default timeouts: an ask 2 s, a move (an owner silent) 30 s. */
        public Settings(String host, int port, List<String> seedNodes, String httpEndpoint) {
            this(
                    host,
                    port,
                    seedNodes,
                    httpEndpoint,
                    Duration.ofSeconds(2),
                    Duration.ofSeconds(30));
        }
    }

    private final ActorSystem<Void> system;
    private final Registry registry;
    private final ClusterPlacement placement;

    private ClusterNode(ActorSystem<Void> system, Registry registry, ClusterPlacement placement) {
        this.system = system;
        this.registry = registry;
        this.placement = placement;
    }

    static Config config(Settings settings) {
        String seeds =
                settings.seedNodes().stream()
                        .map(s -> "\"pekko://rivetkit@" + s + "\"")
                        .collect(Collectors.joining(", "));
        String endpoint = settings.httpEndpoint() == null ? "" : settings.httpEndpoint();
        return ConfigFactory.parseString(
                        """
                pekko {
                  loggers = ["org.apache.pekko.event.slf4j.Slf4jLogger"]
                  logging-filter = "org.apache.pekko.event.slf4j.Slf4jLoggingFilter"
                  loglevel = INFO
                  log-dead-letters = off
                  actor.provider = cluster
                  actor.serializers.rivetkit = "dev.rivetkitjava.cluster.ClusterSerializer"
                  actor.serialization-bindings { "dev.rivetkitjava.cluster.ClusterMessage" = rivetkit }
                  remote.artery.canonical.hostname = "%s"
                  remote.artery.canonical.port = %d
                  # 5 MiB, not 256 KiB: a workspace's history page or an agent's tool output
                  # crosses nodes whole (ClusterPlacement.MAX_MESSAGE_JSON_BYTES: 4 MiB of JSON,
                  # larger ones fail clearly). Buffers of this size are pooled and made as needed.
                  remote.artery.advanced.maximum-frame-size = 5 MiB
                  cluster {
                    seed-nodes = [%s]
                    roles = ["http=%s"]
                    downing-provider-class = "org.apache.pekko.cluster.sbr.SplitBrainResolverProvider"
                    split-brain-resolver.active-strategy = keep-majority
                    split-brain-resolver.stable-after = 1s
                    failure-detector.acceptable-heartbeat-pause = 2500ms
                    # Heartbeats and gossip twice a second (default: once): a dead node is marked
                    # unreachable ~0.5 s sooner and its removal converges ~0.5 s sooner; a few
                    # small messages per second between 3 nodes.
                    failure-detector.heartbeat-interval = 500ms
                    gossip-interval = 500ms
                    # Fail-over speed (kill -9 to served again, target 10 s): mark unreachable and
                    # remove downed members every 250 ms instead of every second; sharding and the
                    # shard coordinator's singleton wait this margin after a removal before they
                    # re-home (default: the SBR's stable-after). Shorter is safe for state: every
                    # write is fenced by the generation its activation claimed, so a downed node
                    # still running cannot overwrite the new owner's. Measured (ClusterTest): a
                    # plain node's kill 5.8-6.4 s, the coordinator's node 7.1 s (7.7-10.3 s with
                    # stable-after 1.5 s, a 1 s margin and heartbeats and gossip every second).
                    unreachable-nodes-reaper-interval = 250ms
                    leader-actions-interval = 250ms
                    down-removal-margin = 300ms
                    sharding.retry-interval = 200ms
                    sharding.passivation.strategy = none
                    shutdown-after-unsuccessful-join-seed-nodes = 60s
                  }
                  coordinated-shutdown.exit-jvm = off
                  coordinated-shutdown.run-by-jvm-shutdown-hook = off
                }
                """
                                .formatted(settings.host(), settings.port(), seeds, endpoint))
                .withFallback(ConfigFactory.load());
    }

    /**
     * Starts the node: the actor system joins the cluster, then the registry from {@code registry}
     * (its store must be shared by every node, e.g. PostgreSQL) runs with a cluster placement and
     * durable idempotency. Returns once this node is a member ({@code Up}).
     */
    public static ClusterNode start(
            Settings settings, Registry.Builder registry, Duration joinTimeout) {
        ActorSystem<Void> system =
                ActorSystem.create(Behaviors.empty(), "rivetkit", config(settings));
        Cluster cluster = Cluster.get(system);
        CompletableFuture<Void> up = new CompletableFuture<>();
        system.systemActorOf(
                Behaviors.<ClusterEvent.MemberEvent>setup(
                        ctx -> {
                            cluster.subscriptions()
                                    .tell(
                                            Subscribe.create(
                                                    ctx.getSelf(), ClusterEvent.MemberEvent.class));
                            return Behaviors.receiveMessage(
                                    event -> {
                                        Member member = event.member();
                                        log.info(
                                                "cluster: {} is {} ({})",
                                                member.address(),
                                                member.status(),
                                                event.getClass().getSimpleName());
                                        if (member.address().equals(cluster.selfMember().address())
                                                && member.status() == MemberStatus.up()) {
                                            up.complete(null);
                                        }
                                        return Behaviors.same();
                                    });
                        }),
                "membership-log",
                org.apache.pekko.actor.typed.Props.empty());
        ClusterPlacement[] placement = new ClusterPlacement[1];
        Registry built =
                registry.durableIdempotency(true)
                        .placement(
                                local -> {
                                    placement[0] =
                                            new ClusterPlacement(
                                                    system,
                                                    local,
                                                    settings.askTimeout(),
                                                    settings.moveTimeout());
                                    return placement[0];
                                })
                        .build();
        ClusterNode node = new ClusterNode(system, built, placement[0]);
        // A node that learns it was downed (a pause, a partition on the minority side) stops
        // serving at once.
        system.getWhenTerminated()
                .thenRun(() -> log.info("cluster: this node's actor system terminated"));
        try {
            up.get(joinTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            node.close();
            throw new IllegalStateException(
                    "did not join the cluster at "
                            + settings.seedNodes()
                            + " within "
                            + joinTimeout.toSeconds()
                            + " s",
                    e);
        }
        return node;
    }

    public Registry registry() {
        return registry;
    }

    public ClusterPlacement placement() {
        return placement;
    }

    public ActorSystem<Void> system() {
        return system;
    }

    public String address() {
        return Cluster.get(system).selfMember().address().toString();
    }

    /**
     * The members as this node sees them: address, status, HTTP endpoint, reachability, and how
     * many actors are awake there (absent when that member did not answer in time).
     */
    public List<Map<String, Object>> members() {
        Cluster cluster = Cluster.get(system);
        Map<String, Integer> awake = placement.awakeActorsByNode(Duration.ofSeconds(2));
        var unreachable = cluster.state().getUnreachable();
        List<Map<String, Object>> members = new ArrayList<>();
        for (Member m : cluster.state().getMembers()) {
            String http =
                    m.getRoles().stream()
                            .filter(r -> r.startsWith("http="))
                            .map(r -> r.substring(5))
                            .findFirst()
                            .orElse("");
            Map<String, Object> member = new LinkedHashMap<>();
            members.add(member);
            member.putAll(
                    Map.of(
                            "address",
                            m.address().toString(),
                            "status",
                            m.status().toString(),
                            "httpEndpoint",
                            http,
                            "reachable",
                            !unreachable.contains(m),
                            "self",
                            m.address().equals(cluster.selfMember().address())));
            Integer awakeThere = awake.get(m.address().toString());
            if (awakeThere != null) {
                member.put("awakeActors", awakeThere);
            }
        }
        return members;
    }

    /**
     * Leaves the cluster: coordinated shutdown hands this node's shards over (each actor put to
     * sleep, state saved, before another node wakes it). Idempotent.
     */
    public void leave() {
        try {
            org.apache.pekko.actor.CoordinatedShutdown.get(system)
                    .runAll(org.apache.pekko.actor.CoordinatedShutdown.clusterLeavingReason())
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("leaving the cluster did not complete: {}", e.toString());
        }
    }

    /** {@link #leave}, then the registry stops what is left, as for a single node. */
    @Override
    public void close() {
        leave();
        registry.close();
    }
}
