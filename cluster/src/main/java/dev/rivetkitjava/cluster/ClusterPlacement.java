package dev.rivetkitjava.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rivetkitjava.actor.ActionCall;
import dev.rivetkitjava.actor.ActorError;
import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.RawRequest;
import dev.rivetkitjava.actor.RawResponse;
import dev.rivetkitjava.actor.RawWebSocket;
import dev.rivetkitjava.actor.RuntimeHealth;
import dev.rivetkitjava.actor.spi.ActorQuery;
import dev.rivetkitjava.actor.spi.ConnectionRestorer;
import dev.rivetkitjava.actor.spi.ConnectionSink;
import dev.rivetkitjava.actor.spi.LocalPlacement;
import dev.rivetkitjava.actor.spi.Placement;
import dev.rivetkitjava.actor.spi.RuntimeStats;
import dev.rivetkitjava.actor.store.ActorRecord;
import dev.rivetkitjava.cluster.ClusterMessage.Attached;
import dev.rivetkitjava.cluster.ClusterMessage.ClientClosed;
import dev.rivetkitjava.cluster.ClusterMessage.Closed;
import dev.rivetkitjava.cluster.ClusterMessage.ConnClose;
import dev.rivetkitjava.cluster.ClusterMessage.ConnInvoke;
import dev.rivetkitjava.cluster.ClusterMessage.ConnOpenedInternal;
import dev.rivetkitjava.cluster.ClusterMessage.ConnSubscribe;
import dev.rivetkitjava.cluster.ClusterMessage.Connect;
import dev.rivetkitjava.cluster.ClusterMessage.Delivered;
import dev.rivetkitjava.cluster.ClusterMessage.Destroy;
import dev.rivetkitjava.cluster.ClusterMessage.EntityCommand;
import dev.rivetkitjava.cluster.ClusterMessage.GatewayCommand;
import dev.rivetkitjava.cluster.ClusterMessage.Invoke;
import dev.rivetkitjava.cluster.ClusterMessage.Locate;
import dev.rivetkitjava.cluster.ClusterMessage.RawClose;
import dev.rivetkitjava.cluster.ClusterMessage.RawClosed;
import dev.rivetkitjava.cluster.ClusterMessage.RawFrame;
import dev.rivetkitjava.cluster.ClusterMessage.RawGatewayCommand;
import dev.rivetkitjava.cluster.ClusterMessage.RawOpen;
import dev.rivetkitjava.cluster.ClusterMessage.RawSend;
import dev.rivetkitjava.cluster.ClusterMessage.Reattach;
import dev.rivetkitjava.cluster.ClusterMessage.Reply;
import dev.rivetkitjava.cluster.ClusterMessage.Request;
import dev.rivetkitjava.cluster.ClusterMessage.WatchOwner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetClusterShardingStats;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Actors on many nodes, one owner each: a {@link Placement} on Pekko Cluster Sharding. Each actor
 * is one sharded entity (entity id: the actor's id, which stands for its name and key) hosting its
 * activation in the owner's local runtime; every other node is a gateway that forwards calls and
 * connection frames to the owner and receives the connection's events back. Every call carries an
 * idempotency key (the caller's, or one made here); an ask that times out while the actor moves is
 * sent again with the same key, and the owner keeps outcomes durably in the actor's key-value
 * store, in the transaction of the state they produced, so a retry never applies twice. Every wake
 * claims the actor (generation + 1) and every save and key-value write is fenced by that
 * generation. A WebSocket connection through another node is kept in its actor's storage and
 * follows the actor when its owner changes ({@link #gatewaySide}): its client's socket stays open.
 */
public final class ClusterPlacement implements Placement {
    private static final Logger log = LoggerFactory.getLogger(ClusterPlacement.class);
    static final EntityTypeKey<EntityCommand> ENTITY =
            EntityTypeKey.create(EntityCommand.class, "rivetkit-actor");

    private final ActorSystem<?> system;
    private final LocalPlacement local;
    private final ObjectMapper mapper;
    private final ClusterSharding sharding;
    private final Duration askTimeout;
    private final Duration moveTimeout;
    private final String selfAddress;

    /** Connections hosted here (this node owns their actor), by connection id. */
    private final Map<String, Placement.ConnectionHandle> hosted = new ConcurrentHashMap<>();

    /** An entity living here, and how to passivate it. */
    private record LiveEntity(ActorRef<EntityCommand> self, Runnable passivate) {}

    /** The entities living here, by actor id. */
    private final Map<String, LiveEntity> entities = new ConcurrentHashMap<>();

    /**
     * Forwarded calls running here, by idempotency key: an ask repeated while the call runs waits
     * for that run instead of starting another.
     */
    private final Map<String, Run> running = new ConcurrentHashMap<>();

    private final FanOut fanOut;

    /** Raw WebSockets hosted here whose clients are connected to some node, by socket id. */
    private final Map<String, RemoteRawSocket> rawSockets = new ConcurrentHashMap<>();

    /** The close code of a raw WebSocket whose actor moved: 1012, "service restart". */
    static final int MOVED_CLOSE_CODE = 1012;

    /** Runs {@link #sweepRuns} while this placement is open. */
    private final Cancellable sweeper;

    /** Connections opened here by connect token, so a retried connect gets the same one. */
    private final Map<String, Object> openedByToken = new ConcurrentHashMap<>();

    Map<String, Object> openedByToken() {
        return openedByToken;
    }

    private final AtomicLong forwardedCalls = new AtomicLong();
    private final AtomicLong retriedCalls = new AtomicLong();
    private final AtomicLong handOvers = new AtomicLong();
    private final AtomicLong reattached = new AtomicLong();

    ClusterPlacement(
            ActorSystem<?> system,
            LocalPlacement local,
            Duration askTimeout,
            Duration moveTimeout) {
        this.system = system;
        this.local = local;
        this.mapper = local.objectMapper();
        this.askTimeout = askTimeout;
        this.moveTimeout = moveTimeout;
        this.selfAddress = Cluster.get(system).selfMember().address().toString();
        this.sharding = ClusterSharding.get(system);
        this.fanOut = new FanOut(system, this::writeJson);
        Duration sweepEvery = askTimeout.dividedBy(4);
        this.sweeper =
                system.scheduler()
                        .scheduleAtFixedRate(
                                sweepEvery, sweepEvery, this::sweepRuns, system.executionContext());
        system.systemActorOf(FanOut.receiver(this::readArgs), FanOut.NAME, Props.empty());
        sharding.init(
                Entity.of(ENTITY, ctx -> ActorEntity.create(this, ctx))
                        .withStopMessage(new ClusterMessage.Sleep()));
        // Sleep is passivation: when an activation here stops by itself, its entity stops too.
        local.onActivationStopped(this::passivateIfIdle);
        local.restoreConnectionsWith(new Restorer());
    }

    // ---------------------------------------------------------------- used by the entity

    LocalPlacement local() {
        return local;
    }

    FanOut fanOut() {
        return fanOut;
    }

    Map<String, Placement.ConnectionHandle> hosted() {
        return hosted;
    }

    String selfAddress() {
        return selfAddress;
    }

    /**
     * The actor's activation here stopped by itself (it slept), or one of its connections closed:
     * its entity stops, unless connections from other nodes remain hibernated under it. Those keep
     * the entity, so that their next call reaches this node and wakes the actor with them.
     */
    void passivateIfIdle(String actorId) {
        LiveEntity entity = entities.get(actorId);
        if (entity != null && !local.awake(actorId) && hostedOf(actorId).isEmpty()) {
            entity.passivate().run();
        }
    }

    /** The connections hosted here to the actor. */
    List<Placement.ConnectionHandle> hostedOf(String actorId) {
        return hosted.values().stream().filter(h -> h.actorId().equals(actorId)).toList();
    }

    void entityStarted(String actorId, ActorRef<EntityCommand> self, Runnable passivate) {
        entities.put(actorId, new LiveEntity(self, passivate));
    }

    void entityStopped(String actorId) {
        entities.remove(actorId);
    }

    /** The actor's entity on this node, or null. */
    @Nullable ActorRef<EntityCommand> entityOf(String actorId) {
        LiveEntity entity = entities.get(actorId);
        return entity == null ? null : entity.self();
    }

    void handedOver() {
        handOvers.incrementAndGet();
    }

    public long forwardedCalls() {
        return forwardedCalls.get();
    }

    public long retriedCalls() {
        return retriedCalls.get();
    }

    public long handOvers() {
        return handOvers.get();
    }

    /** Connections through this node that followed their actor to a new owner. */
    public long reattachedConnections() {
        return reattached.get();
    }

    /**
     * The owner's side of a forwarded call: runs {@code work} once per key, and answers each ask
     * with the outcome, or with {@code actor.in_progress} once the ask has waited half the ask
     * timeout while the call still runs ({@link #sweepRuns}). The gateway then asks again at once
     * (a long poll): a call may run far longer than an ask (an agent's turn), and an owner that
     * answers is alive, so only silence counts towards the move timeout. An ask that finds the call
     * running here (or lately ended) joins that run.
     */
    void runOnce(
            String key,
            ActorRef<Reply> replyTo,
            ActorRef<EntityCommand> entity,
            Supplier<Object> work) {
        Run mine = new Run();
        Run earlier = running.putIfAbsent(key, mine);
        Run run = earlier == null ? mine : earlier;
        if (earlier == null) {
            Thread.startVirtualThread(
                    () -> {
                        mine.outcome.complete(reply(work, entity));
                        if (mine.reportedRunning) {
                            // Its gateway may ask again after a lost answer: kept for as long as
                            // it keeps asking; the sweep removes it after the move timeout.
                            mine.endedNanos = System.nanoTime();
                        } else {
                            // A later repeat runs it again, which an action answers from the
                            // outcome its actor kept.
                            running.remove(key, mine);
                        }
                    });
        }
        Ask ask = new Ask(replyTo, entity, System.nanoTime());
        run.asks.add(ask);
        run.outcome.thenAccept(ask::answer);
    }

    /**
     * Answers the asks that have waited half the ask timeout for a run that goes on, and forgets
     * the ended runs kept past the move timeout. One sweep per quarter of the ask timeout, for all
     * runs, instead of a timer per call: each timer woke a thread.
     */
    private void sweepRuns() {
        long now = System.nanoTime();
        long answerRunningAfter = askTimeout.toNanos() / 2;
        running.forEach(
                (key, run) -> {
                    for (Iterator<Ask> asks = run.asks.iterator(); asks.hasNext(); ) {
                        Ask ask = asks.next();
                        if (ask.answered.get()) {
                            asks.remove();
                        } else if (now - ask.sinceNanos >= answerRunningAfter) {
                            // Before the outcome is read: a run that ends now sees the flag.
                            run.reportedRunning = true;
                            Reply done = run.outcome.getNow(null);
                            ask.answer(done != null ? done : failed(IN_PROGRESS, ask.entity));
                            asks.remove();
                        }
                    }
                    long ended = run.endedNanos;
                    if (ended != 0 && now - ended > moveTimeout.toNanos()) {
                        running.remove(key, run);
                    }
                });
    }

    /** A forwarded call running here (or lately ended, when its gateway was told it ran). */
    private static final class Run {
        final CompletableFuture<Reply> outcome = new CompletableFuture<>();

        /** The asks waiting for it, until answered. */
        final Queue<Ask> asks = new ConcurrentLinkedQueue<>();

        volatile boolean reportedRunning;

        /** When it ended, if it is kept after ending; 0 otherwise. */
        volatile long endedNanos;
    }

    /** An ask for a run's outcome; answered once, with the outcome or with "still running". */
    private static final class Ask {
        final ActorRef<Reply> replyTo;
        final ActorRef<EntityCommand> entity;
        final long sinceNanos;
        final AtomicBoolean answered = new AtomicBoolean();

        Ask(ActorRef<Reply> replyTo, ActorRef<EntityCommand> entity, long sinceNanos) {
            this.replyTo = replyTo;
            this.entity = entity;
            this.sinceNanos = sinceNanos;
        }

        void answer(Reply reply) {
            if (answered.compareAndSet(false, true)) {
                replyTo.tell(reply);
            }
        }
    }

    /** {@code work}'s outcome as a reply; an unexpected failure is not described to the caller. */
    Reply reply(Supplier<Object> work, ActorRef<EntityCommand> entity) {
        try {
            return ok(work.get(), entity);
        } catch (ActorError e) {
            return failed(e, entity);
        } catch (RuntimeException e) {
            log.error("a forwarded call failed outside the actor", e);
            return failed(
                    new ActorError("rivetkit", "internal_error", "An internal error occurred"),
                    entity);
        }
    }

    /**
     * The most JSON one cluster message carries (an action's arguments or result, an event's
     * arguments, a raw request's body): Artery's frame ({@link ClusterNode}) holds 1 MiB more, for
     * the rest of the message. Artery drops a larger message and only logs it, so its caller would
     * wait for an answer that never comes: such a message fails here instead, on every node alike.
     */
    static final int MAX_MESSAGE_JSON_BYTES = 4 << 20;

    /** {@code message.cluster_too_long} for {@code what} of {@code bytes} bytes. */
    static ActorError tooLong(String what, long bytes) {
        return new ActorError(
                "message",
                "cluster_too_long",
                what
                        + " is "
                        + bytes
                        + " bytes of JSON; a message between cluster nodes carries at most "
                        + MAX_MESSAGE_JSON_BYTES
                        + ".");
    }

    /** The UTF-8 size of {@code json} if it is too long for a cluster message, else -1. */
    static long excessLength(String json) {
        if ((long) json.length() * 3 <= MAX_MESSAGE_JSON_BYTES) {
            return -1; // the common case, without counting
        }
        long bytes = 0;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            bytes += c < 0x80 ? 1 : c < 0x800 || Character.isSurrogate(c) ? 2 : 3;
        }
        return bytes > MAX_MESSAGE_JSON_BYTES ? bytes : -1;
    }

    /** The JSON size of {@code bytes}, which cluster messages carry as base64. */
    static long base64Length(byte[] bytes) {
        return (bytes.length + 2L) / 3 * 4;
    }

    /**
     * {@code json} for a cluster message, or {@code message.cluster_too_long} about {@code what}.
     */
    static String fitting(String what, String json) {
        long bytes = excessLength(json);
        if (bytes >= 0) {
            throw tooLong(what, bytes);
        }
        return json;
    }

    Reply ok(Object result, ActorRef<EntityCommand> entity) {
        String json = writeJson(result);
        long bytes = excessLength(json);
        return bytes < 0
                ? new Reply(json, null, null, null, null, entity)
                : failed(tooLong("The result", bytes), entity);
    }

    Reply failed(ActorError e, ActorRef<EntityCommand> entity) {
        return new Reply(null, e.group(), e.code(), e.message(), writeJson(e.metadata()), entity);
    }

    String writeJson(@Nullable Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new ActorError(
                    "rivetkit",
                    "internal_error",
                    "a value cannot be written as JSON: " + e.getOriginalMessage());
        }
    }

    @Nullable Object readValue(@Nullable String json) {
        if (json == null) {
            return null;
        }
        try {
            return mapper.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** A forwarded call as the owner's runtime takes it. */
    ActionCall actionCall(
            String action, String argsJson, String idempotencyKey, boolean repeatOfLostRun) {
        return new ActionCall(action, readArgs(argsJson), idempotencyKey, repeatOfLostRun);
    }

    List<Object> readArgs(@Nullable String json) {
        JsonNode node = (JsonNode) readValue(json);
        if (node == null || !node.isArray()) {
            return List.of();
        }
        List<Object> args = new ArrayList<>(node.size());
        node.forEach(args::add);
        return args;
    }

    /**
     * The owner's answer to an ask of a call that still runs: ask again. Never reaches a client.
     */
    private static final ActorError IN_PROGRESS =
            new ActorError("actor", "in_progress", "The call still runs; ask again.");

    /**
     * A stopping entity's answer to new work (its actor is going to sleep for a hand-over or
     * passivation): ask again, which reaches the next entity. Never reaches a client.
     */
    static final ActorError STOPPING =
            new ActorError("actor", "stopping", "The owner hands the actor over; ask again.");

    /** How long an ask waits before it asks again after a stopping entity's answer. */
    private static final long STOPPING_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    /** Whether a forwarded call with this key runs here (or lately ended), so an ask joins it. */
    boolean runs(String key) {
        return running.containsKey(key);
    }

    static ActorError moving(String message) {
        return new ActorError("actor", "moving", message, Map.of("retryable", true), null);
    }

    // ---------------------------------------------------------------- asking the owner

    private EntityRef<EntityCommand> entity(String actorId) {
        return sharding.entityRefFor(ENTITY, actorId);
    }

    /**
     * What the earlier asks of a question told, for the next.
     *
     * @param repeatOfLostRun an owner answered that the call runs, then fell silent: its node may
     *     have stopped mid-run (see {@link ActionCall#repeatOfLostRun})
     * @param unanswered an earlier ask got no answer: the entity it reached may have run it (asks
     *     that were answered, even with a refusal, tell that it did not)
     */
    private record Attempt(boolean repeatOfLostRun, boolean unanswered) {}

    /** An ask's message, made anew for every attempt. */
    @FunctionalInterface
    private interface Question {
        EntityCommand ask(ActorRef<Reply> replyTo, Attempt attempt);
    }

    /**
     * Asks the actor's owner, again after a timeout (the actor may be moving), until it has been
     * silent for the move timeout; then a retryable {@code actor.moving} error.
     */
    private Reply ask(String actorId, Question question) {
        forwardedCalls.incrementAndGet();
        long deadline = System.nanoTime() + moveTimeout.toNanos();
        boolean running = false;
        boolean lostRun = false;
        boolean unanswered = false;
        while (true) {
            Attempt attempt = new Attempt(lostRun, unanswered);
            CompletionStage<Reply> asked =
                    entity(actorId).ask(replyTo -> question.ask(replyTo, attempt), askTimeout);
            try {
                Reply reply =
                        asked.toCompletableFuture()
                                .get(askTimeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
                if (isInProgress(reply)) {
                    // The owner answered: it is alive and the call runs; only silence moves the
                    // deadline closer.
                    running = true;
                    deadline = System.nanoTime() + moveTimeout.toNanos();
                    continue;
                }
                if (is(STOPPING, reply)) {
                    // Sharding holds the next ask until the actor's next entity runs.
                    if (System.nanoTime() > deadline) {
                        throw moving("The actor is moving to another node. Try again.");
                    }
                    lostRun = running;
                    LockSupport.parkNanos(STOPPING_PAUSE_NANOS);
                    continue;
                }
                return reply;
            } catch (ExecutionException | TimeoutException e) {
                log.info("actor {}: no answer ({}); asking again", actorId, e.toString());
                if (System.nanoTime() > deadline) {
                    throw moving(
                            "The actor did not answer within "
                                    + moveTimeout.toSeconds()
                                    + " s; it may be moving to another node. Try again.");
                }
                lostRun = running;
                unanswered = true;
                retriedCalls.incrementAndGet();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw moving("interrupted while waiting for the actor's node");
            }
        }
    }

    private static boolean isInProgress(Reply reply) {
        return is(IN_PROGRESS, reply);
    }

    private static boolean is(ActorError error, Reply reply) {
        return error.code().equals(reply.errorCode()) && error.group().equals(reply.errorGroup());
    }

    private @Nullable Object outcome(Reply reply) {
        String code = reply.errorCode();
        if (code != null) {
            Map<String, Object> metadata = Map.of();
            if (reply.metadataJson() != null) {
                try {
                    metadata =
                            mapper.readValue(
                                    reply.metadataJson(),
                                    mapper.getTypeFactory()
                                            .constructMapType(
                                                    Map.class, String.class, Object.class));
                } catch (JsonProcessingException | RuntimeException e) {
                    metadata = Map.of();
                }
            }
            // failed() sets all three together.
            throw new ActorError(
                    Objects.requireNonNullElse(reply.errorGroup(), "rivetkit"),
                    code,
                    Objects.requireNonNullElse(reply.errorMessage(), code),
                    metadata,
                    null);
        }
        return readValue(reply.resultJson());
    }

    // ---------------------------------------------------------------- Placement

    @Override
    public String resolve(ActorQuery query) {
        return local.resolve(query);
    }

    @Override
    public ActorRecord describe(ActorQuery query) {
        return local.describe(query);
    }

    @Override
    public void destroy(String actorId) {
        outcome(ask(actorId, (replyTo, attempt) -> new Destroy(actorId, replyTo)));
    }

    @Override
    public @Nullable Object invoke(ActorQuery query, ActionCall call) {
        String actorId = local.resolve(query);
        String key =
                call.idempotencyKey() != null
                        ? call.idempotencyKey()
                        : "cluster:" + UUID.randomUUID();
        String args = fitting("The arguments of " + call.name(), writeJson(call.args()));
        return outcome(
                ask(
                        actorId,
                        (replyTo, attempt) ->
                                new Invoke(
                                        actorId,
                                        call.name(),
                                        args,
                                        key,
                                        attempt.repeatOfLostRun(),
                                        replyTo)));
    }

    /**
     * Which node hosts the actor's entity (starting it there if none does), and whether the actor
     * is awake.
     */
    public Map<String, Object> locate(String actorId) {
        @SuppressWarnings("unchecked")
        Map<String, Object> where =
                mapper.convertValue(
                        outcome(ask(actorId, (replyTo, attempt) -> new Locate(actorId, replyTo))),
                        Map.class);
        return where;
    }

    /**
     * How many actor entities (awake actors) each member's shard region hosts, by member address; a
     * member that did not answer within {@code timeout} is left out.
     */
    public Map<String, Integer> awakeActorsByNode(Duration timeout) {
        ShardRegion.ClusterShardingStats stats;
        try {
            stats =
                    AskPattern.<ClusterShardingQuery, ShardRegion.ClusterShardingStats>ask(
                                    sharding.shardState(),
                                    replyTo ->
                                            new GetClusterShardingStats(ENTITY, timeout, replyTo),
                                    timeout.plusSeconds(1),
                                    system.scheduler())
                            .toCompletableFuture()
                            .get(timeout.toMillis() + 2_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw moving("interrupted while asking the members for their actors");
        } catch (ExecutionException | TimeoutException e) {
            throw moving("the members did not tell their actors in time: " + e);
        }
        Map<String, Integer> byNode = new HashMap<>();
        stats.getRegions()
                .forEach(
                        (address, region) ->
                                byNode.put(
                                        address.toString(),
                                        region.getStats().values().stream()
                                                .mapToInt(n -> ((Number) n).intValue())
                                                .sum()));
        return byNode;
    }

    /**
     * Forwarded to the owner like an action: long-polled, and after a lost owner not sent again
     * once it was reported running ({@code actor.call_interrupted}); a request whose owner died
     * before it reported anything may reach the new owner once more, as a client's own retry would.
     */
    @Override
    public RawResponse request(ActorQuery query, RawRequest request) {
        String actorId = local.resolve(query);
        String key = "request:" + UUID.randomUUID();
        long bodyJson = base64Length(request.body());
        if (bodyJson > MAX_MESSAGE_JSON_BYTES) {
            throw tooLong("The request body", bodyJson);
        }
        Object response =
                outcome(
                        ask(
                                actorId,
                                (replyTo, attempt) ->
                                        new Request(
                                                actorId,
                                                request,
                                                key,
                                                attempt.repeatOfLostRun(),
                                                replyTo)));
        return mapper.convertValue(response, RawResponse.class);
    }

    /** The owner's answer to a request whose run was lost with its node. */
    static ActorError requestInterrupted() {
        return new ActorError(
                "actor",
                "call_interrupted",
                "The actor's node stopped while it answered this request; it was not sent again.");
    }

    /**
     * Opens the socket on the actor's owner, then passes frames both ways: the client's straight to
     * the owner's entity (its server holds those that come before this returns, see {@link
     * Placement#webSocket}), the actor's to this node's gateway side. The owner's loss closes the
     * client's socket with {@code actor.moving}; the client's node's loss closes the actor's side.
     */
    @Override
    public void webSocket(ActorQuery query, RawWebSocket socket) {
        String actorId = local.resolve(query);
        String socketId = UUID.randomUUID().toString();
        ActorRef<RawGatewayCommand> gateway =
                system.systemActorOf(rawGatewaySide(socket), "raw-" + socketId, Props.empty());
        Reply reply;
        try {
            reply =
                    ask(
                            actorId,
                            (replyTo, attempt) ->
                                    new RawOpen(
                                            actorId, socketId, socket.path(), gateway, replyTo));
            outcome(reply);
        } catch (RuntimeException e) {
            gateway.tell(new Closed("open failed", null, null, null));
            throw e;
        }
        ActorRef<EntityCommand> owner = reply.entity();
        gateway.tell(new WatchOwner(owner));
        socket.onText(text -> owner.tell(new RawFrame(actorId, socketId, text, null)));
        socket.onBinary(bytes -> owner.tell(new RawFrame(actorId, socketId, null, bytes)));
        // The owner answers with Closed, which stops the gateway side.
        socket.onClose(
                (code, reason) -> owner.tell(new RawClosed(actorId, socketId, code, reason)));
    }

    /** The owner's side of {@link #webSocket}: hands the socket to the actor, once. */
    void openRaw(String socketId, RemoteRawSocket socket) {
        if (!socket.claimOpen()) {
            return;
        }
        try {
            local.webSocket(new ActorQuery.ById(socket.actorId()), socket);
        } catch (RuntimeException e) {
            rawSockets.remove(socketId, socket);
            throw e;
        }
        socket.start();
    }

    Map<String, RemoteRawSocket> rawSockets() {
        return rawSockets;
    }

    /** A raw WebSocket's side on the node its client is connected to (see {@link #webSocket}). */
    private static Behavior<RawGatewayCommand> rawGatewaySide(RawWebSocket socket) {
        return Behaviors.<RawGatewayCommand>receive(
                (ctx, message) -> {
                    switch (message) {
                        case WatchOwner w -> ctx.watch(w.entity());
                        case RawSend s -> {
                            if (s.text() != null) {
                                socket.send(s.text());
                            } else if (s.bytes() != null) {
                                socket.send(s.bytes());
                            }
                        }
                        case RawClose c -> socket.close(c.code(), c.reason());
                        case Closed c -> {
                            return Behaviors.stopped();
                        }
                    }
                    return Behaviors.same();
                },
                (ctx, signal) -> {
                    if (signal instanceof Terminated) {
                        socket.close(
                                MOVED_CLOSE_CODE,
                                "actor.moving: the actor's node stopped hosting it; reconnect.");
                        return Behaviors.stopped();
                    }
                    return Behaviors.same();
                });
    }

    @Override
    public ConnectionHandle connect(
            ActorQuery query, @Nullable Object params, ConnectionSink sink) {
        String actorId = local.resolve(query);
        String paramsJson = writeJson(params);
        AtomicInteger owner = new AtomicInteger();
        ActorRef<GatewayCommand> gateway =
                system.systemActorOf(
                        gatewaySide(sink, actorId, owner, null),
                        "conn-" + UUID.randomUUID(),
                        Props.empty());
        Reply reply;
        try {
            // Retried with the same token: the owner answers a repeated connect with the connection
            // it opened.
            String token = UUID.randomUUID().toString();
            reply =
                    ask(
                            actorId,
                            (replyTo, attempt) ->
                                    new Connect(
                                            actorId,
                                            token,
                                            paramsJson,
                                            sink.hibernatable(),
                                            gateway,
                                            replyTo));
        } catch (RuntimeException e) {
            gateway.tell(new Closed("connect failed", null, null, null));
            throw e;
        }
        JsonNode opened;
        try {
            opened = (JsonNode) Objects.requireNonNull(outcome(reply), "a connect's outcome");
        } catch (RuntimeException e) {
            gateway.tell(new Closed("connect failed", null, null, null));
            throw e;
        }
        String connectionId = opened.path("connectionId").asText();
        owner.set(reply.entity().path().uid());
        gateway.tell(new Attached(reply.entity(), connectionId));
        long generation = opened.path("generation").asLong();
        ActorKey key = ActorKey.parse(opened.path("key").asText());
        return new RemoteConnection(actorId, connectionId, key, generation, gateway, owner);
    }

    /**
     * The connection's side on this node: events from the owner to the sink, in order. When the
     * owner stops (its node died or handed the actor over), it asks the actor's new owner to take
     * the connection back ({@link Reattach}): the actor keeps it in its storage, so the client's
     * socket stays open. Only a connection the new owner does not know (opened just before the
     * loss, before it was saved) is closed with {@code actor.moving}, and its client reconnects.
     */
    private Behavior<GatewayCommand> gatewaySide(
            ConnectionSink sink,
            String actorId,
            AtomicInteger owner,
            @Nullable String connectionId) {
        return Behaviors.<GatewayCommand>receive(
                (ctx, message) ->
                        switch (message) {
                            case Delivered d -> {
                                sink.send(d.event());
                                yield Behaviors.same();
                            }
                            case Closed closed -> {
                                sink.close(closed.reason(), errorOf(closed));
                                yield Behaviors.stopped();
                            }
                            case Attached a -> {
                                owner.set(a.entity().path().uid());
                                ctx.watch(a.entity());
                                yield gatewaySide(sink, actorId, owner, a.connectionId());
                            }
                            case ClientClosed closed -> Behaviors.stopped();
                        },
                (ctx, signal) -> {
                    if (!(signal instanceof Terminated)) {
                        return Behaviors.same();
                    }
                    if (connectionId == null || !sink.hibernatable()) {
                        // Not kept by the actor (an HTTP action's): nothing to follow it with.
                        sink.close(
                                "the actor's node stopped hosting it",
                                moving("The actor moved to another node; reconnect."));
                        return Behaviors.stopped();
                    }
                    ActorRef<GatewayCommand> self = ctx.getSelf();
                    Thread.startVirtualThread(() -> reattach(actorId, connectionId, self, owner));
                    return Behaviors.same();
                });
    }

    /** Asks the actor's new owner for the connection; the gateway side watches it, or closes. */
    private void reattach(
            String actorId,
            String connectionId,
            ActorRef<GatewayCommand> gateway,
            AtomicInteger owner) {
        try {
            Reply reply =
                    ask(
                            actorId,
                            (replyTo, attempt) -> new Reattach(actorId, connectionId, replyTo));
            outcome(reply);
            // Before anyone learns it is back: calls started from now on are not repeats.
            owner.set(reply.entity().path().uid());
            gateway.tell(new Attached(reply.entity(), connectionId));
            reattached.incrementAndGet();
        } catch (ActorError e) {
            log.info(
                    "actor {}: connection {} could not follow it to its new node ({}); its client reconnects",
                    actorId,
                    connectionId,
                    e.getMessage());
            gateway.tell(
                    new Closed(
                            "the actor's node stopped hosting it",
                            e.group(),
                            e.code(),
                            e.message()));
        }
    }

    private static @Nullable ActorError errorOf(Closed closed) {
        String code = closed.errorCode();
        return code == null
                ? null
                : new ActorError(
                        Objects.requireNonNullElse(closed.errorGroup(), "rivetkit"),
                        code,
                        Objects.requireNonNullElse(closed.errorMessage(), code));
    }

    /**
     * A connection to the actor hosted here, after waking the actor if it is not (which restores
     * the connections it keeps: it may just have moved here); {@code actor.moving} if the actor
     * does not have it.
     */
    Placement.ConnectionHandle hostedConnection(String actorId, String connectionId) {
        Placement.ConnectionHandle handle = hosted.get(connectionId);
        if (handle == null) {
            local.wake(actorId);
            handle = hosted.get(connectionId);
        }
        if (handle == null) {
            throw moving("The connection was lost while its actor moved; reconnect.");
        }
        return handle;
    }

    /**
     * Brings back the connections from clients on other nodes that an actor keeps, when it starts
     * here: their sinks write to the gateway sides at the kept addresses, and this entity watches
     * them (a gateway side that is gone closes its connection, as its client would have).
     */
    private final class Restorer implements ConnectionRestorer {
        @Override
        public ConnectionSink sinkAt(String address) {
            return new ActorEntity.RemoteSink(
                    ClusterPlacement.this,
                    true,
                    ActorRefResolver.get(system).<GatewayCommand>resolveActorRef(address));
        }

        @Override
        public void restored(ConnectionHandle connection, ConnectionSink sink) {
            hosted.put(connection.connectionId(), connection);
            LiveEntity entity = entities.get(connection.actorId());
            if (sink instanceof ActorEntity.RemoteSink remote && entity != null) {
                String id = connection.connectionId();
                entity.self().tell(new ConnOpenedInternal(remote.gateway(), id));
                // Before any event the activation sends it (createVars and onWake run next), so a
                // call its client makes upon one is known to start here.
                remote.gateway().tell(new Attached(entity.self(), id));
            }
        }
    }

    /** Where {@code gateway} can be reached from any node: what a connection keeps. */
    String addressOf(ActorRef<GatewayCommand> gateway) {
        return ActorRefResolver.get(system).toSerializationFormat(gateway);
    }

    private final class RemoteConnection implements ConnectionHandle {
        private final String actorId;
        private final String connectionId;
        private final ActorKey key;
        private final long generation;
        private final ActorRef<GatewayCommand> gateway;

        /** The path uid of the owner entity the connection is attached to. */
        private final AtomicInteger owner;

        RemoteConnection(
                String actorId,
                String connectionId,
                ActorKey key,
                long generation,
                ActorRef<GatewayCommand> gateway,
                AtomicInteger owner) {
            this.actorId = actorId;
            this.connectionId = connectionId;
            this.key = key;
            this.generation = generation;
            this.gateway = gateway;
            this.owner = owner;
        }

        @Override
        public String actorId() {
            return actorId;
        }

        @Override
        public String connectionId() {
            return connectionId;
        }

        @Override
        public ActorKey key() {
            return key;
        }

        @Override
        public long generation() {
            return generation;
        }

        @Override
        public @Nullable Object invoke(ActionCall call) {
            String idempotencyKey =
                    call.idempotencyKey() != null
                            ? call.idempotencyKey()
                            : "cluster:" + UUID.randomUUID();
            String args = fitting("The arguments of " + call.name(), writeJson(call.args()));
            int startedOn = owner.get();
            return outcome(
                    ask(
                            actorId,
                            (replyTo, attempt) ->
                                    new ConnInvoke(
                                            actorId,
                                            connectionId,
                                            call.name(),
                                            args,
                                            idempotencyKey,
                                            attempt.repeatOfLostRun(),
                                            // Only an unanswered ask may have run it elsewhere.
                                            attempt.unanswered()
                                                    ? startedOn
                                                    : ConnInvoke.NOT_SENT_BEFORE,
                                            replyTo)));
        }

        @Override
        public void subscribe(String event) {
            change(event, true);
        }

        @Override
        public void unsubscribe(String event) {
            change(event, false);
        }

        /**
         * Waits for the owner to apply it: told and not answered, a change that reached an entity
         * going to sleep was lost with it.
         */
        private void change(String event, boolean subscribe) {
            outcome(
                    ask(
                            actorId,
                            (replyTo, attempt) ->
                                    new ConnSubscribe(
                                            actorId, connectionId, event, subscribe, replyTo)));
        }

        @Override
        public void close() {
            entity(actorId).tell(new ConnClose(actorId, connectionId));
            gateway.tell(new ClientClosed());
        }
    }

    @Override
    public Set<String> actorNames() {
        return local.actorNames();
    }

    @Override
    public List<ActorRecord> list(String name, @Nullable ActorKey afterKey, int limit) {
        return local.list(name, afterKey, limit);
    }

    @Override
    public RuntimeStats stats() {
        return local.stats();
    }

    @Override
    public RuntimeHealth health() {
        return local.health();
    }

    @Override
    public void close() {
        sweeper.cancel();
        local.close();
    }
}
