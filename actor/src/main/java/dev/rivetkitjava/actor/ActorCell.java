package dev.rivetkitjava.actor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.rivetkitjava.actor.spi.ActorEvent;
import dev.rivetkitjava.actor.spi.ConnectionRestorer;
import dev.rivetkitjava.actor.spi.ConnectionSink;
import dev.rivetkitjava.actor.store.ActorRecord;
import dev.rivetkitjava.actor.store.StateWrite;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One activation of one actor: its turn lock, state, vars, connections and timers, from wake to
 * sleep. Everything marked "turn" is read and written only while holding {@link #turn}.
 */
final class ActorCell<S, V> {
    private static final Logger log = LoggerFactory.getLogger(ActorCell.class);

    /** {@link #serializeIfDirty} could not take the turn in time; try again next round. */
    @SuppressWarnings("NullAway") // a marker compared by identity: its components are never read
    static final StateSaver.PendingWrite BUSY = new StateSaver.PendingWrite(null, null, null, 0, 0);

    /** Marks a call that met a stopped activation and must look the actor up again. */
    static final Object RETRY = new Object();

    private static final int RECENT_CALLS = 256;
    private static final long NO_DEADLINE = Long.MIN_VALUE;

    enum Status {
        STARTING,
        AWAKE,
        STOPPING,
        STOPPED
    }

    enum StopReason {
        SLEEP,
        DESTROY,
        SHUTDOWN,
        FENCED
    }

    final ActorRuntime runtime;
    final ActorType<S, V> type;
    final String id;
    final ActorKey key;
    final ReentrantLock turn = new ReentrantLock();
    private final Condition idle = turn.newCondition();
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();

    /** Completed when the stop begins: {@code c.abortSignal()}. */
    private final CompletableFuture<Void> aborted = new CompletableFuture<>();

    /**
     * Completes when the current stop attempt ends: stopped, or postponed because the state could
     * not be saved.
     */
    private volatile CompletableFuture<Void> stopAttempt = stopped;

    private final ContextImpl hooks = new ContextImpl(null, NO_DEADLINE);
    private final Map<String, ConnImpl> conns = new ConcurrentHashMap<>();
    final AtomicInteger keepAwake = new AtomicInteger();
    private final KvImpl kv = new KvImpl(this);

    /**
     * In the saver's queue of dirty cells: it is queued once, however often it turns dirty
     * meanwhile.
     */
    final AtomicBoolean queuedForSave = new AtomicBoolean();

    private final Logger actorLog;

    private volatile Status status = Status.STARTING;

    /**
     * Set while a start runs; its hooks may release the turn (c.await), so others wait on this.
     * Turn.
     */
    private @Nullable CompletableFuture<Void> starting;

    private volatile @Nullable V vars; // null before createVars, without it, and once stopped
    private volatile long generation; // written once, at start
    private @Nullable S state; // turn; null until started and once stopped
    private int inflight; // turn
    private int wakefulConns; // turn: connections that keep the actor awake (not hibernatable)

    /**
     * Turn; volatile so the saver can skip a clean cell without taking its turn (a reply saved it
     * already).
     */
    private volatile boolean dirty;

    private byte @Nullable [] lastSubmitted; // turn: the newest bytes handed to the saver
    private @Nullable CompletableFuture<Void>
            lastSubmittedDone; // turn: the write of lastSubmitted (null: read from the store)
    private long
            saveSeq; // turn: numbers serialisations, so the saver knows which write covers which

    /**
     * Why this actor's saves fail, while they do (its state is kept in memory and retried); null
     * when saving works.
     */
    volatile @Nullable String saveFailure;

    private long lastActivityMillis; // turn
    private @Nullable Runnable sleepTimer; // turn
    private @Nullable StopReason requestedStop; // turn
    private @Nullable Map<String, CompletableFuture<Object>> recentCalls; // turn, made on first use

    /** The outcomes of keyed calls, with durable idempotency; made on first use (turn). */
    private @Nullable DurableOutcomes outcomes;

    /**
     * The records of connections kept in storage; made (holding the turn) before the first such
     * connection joins.
     */
    private volatile @Nullable ConnRecords connRecords;

    /** The generation this activation claimed at start (its writes are fenced by it). */
    long generation() {
        return generation;
    }

    ActorCell(ActorRuntime runtime, ActorType<S, V> type, ActorRecord record) {
        this.runtime = runtime;
        this.type = type;
        this.id = record.id();
        this.key = record.key();
        this.actorLog = LoggerFactory.getLogger("rivetkit.actor." + type.name());
    }

    // ---------------------------------------------------------------- start

    /** Create or wake: onMigrate, [createState, onCreate, save,] createVars, onWake. Turn held. */
    private void startLocked() throws Exception {
        ActorRecord record = runtime.store().claim(id).orElseThrow(ActorErrors::notFound);
        generation = record.generation();
        byte[] storedBytes = record.state();
        boolean isNew = storedBytes == null; // not initialised yet
        Json json = runtime.json();
        if (!isNew && record.stateVersion() > type.stateVersion()) {
            throw ActorErrors.stateUnreadable(
                    id,
                    new IllegalStateException(
                            "stored state version "
                                    + record.stateVersion()
                                    + " is newer than this code's "
                                    + type.stateVersion()));
        }
        JsonNode stored = storedBytes == null ? null : readTree(storedBytes);
        MigrationImpl migration =
                new MigrationImpl(
                        isNew, isNew ? 0 : record.stateVersion(), type.stateVersion(), stored);
        if (type.onMigrate() != null) {
            type.onMigrate().run(hooks, migration);
        }
        if (isNew) {
            Object input = record.input() == null ? null : readInput(record.input());
            state = type.createState().create(hooks, input);
            if (state == null) {
                throw new IllegalStateException(
                        "createState of `" + type.name() + "` returned null");
            }
            if (type.onCreate() != null) {
                type.onCreate().run(hooks, input);
            }
            saveNowLocked();
        } else {
            try {
                state =
                        json.read(
                                Objects.requireNonNull(
                                        migration.state(), "a stored actor's migrated state"),
                                type.stateType());
            } catch (IOException | IllegalArgumentException e) {
                throw ActorErrors.stateUnreadable(id, e);
            }
            lastSubmitted = record.state();
            if (migration.replaced() || record.stateVersion() != type.stateVersion()) {
                markDirtyLocked();
            }
        }
        rejoinConnectionsLocked();
        if (type.createVars() != null) {
            vars = type.createVars().apply(hooks);
        }
        if (type.onWake() != null) {
            type.onWake().run(hooks);
        }
        status = Status.AWAKE;
        if (connRecordsChanged()) {
            // Changed while starting, which the saver skips.
            queueForSave();
        }
        lastActivityMillis = runtime.clock().nowMillis();
        log.debug(
                "actor {} {} ({} {}) generation {}",
                isNew ? "created" : "woke",
                id,
                type.name(),
                key,
                generation);
    }

    /**
     * Turn, at start: the connections that hibernated here rejoin, and those kept in storage are
     * restored (after a move), before {@code createVars} and {@code onWake}, so what those
     * broadcast reaches them.
     */
    private void rejoinConnectionsLocked() {
        for (ConnImpl conn : runtime.takeHibernated(id)) {
            if (conn.closed) {
                continue;
            }
            if (conn.address != null) {
                connRecordsLocked();
            }
            conn.cell = this;
            conns.put(conn.id, conn);
            if (conn.recordStale) {
                // Changed while it hibernated, with no activation to write its record.
                conn.recordStale = !connChanged(conn);
            }
        }
        ConnectionRestorer restorer = runtime.connectionRestorer();
        if (restorer == null) {
            return;
        }
        for (ConnImpl conn : connRecordsLocked().restore(this, restorer, conns)) {
            conns.put(conn.id, conn);
            restorer.restored(conn, conn.sink);
        }
    }

    /** Turn: the records of kept connections, made on first use. */
    private ConnRecords connRecordsLocked() {
        ConnRecords records = connRecords;
        if (records == null) {
            records = new ConnRecords(runtime, id);
            connRecords = records;
        }
        return records;
    }

    /**
     * A kept connection opened, changed or closed: its record goes with the next state write. Any
     * thread. @return false if this activation stopped (the next one writes it)
     */
    boolean connChanged(ConnImpl conn) {
        ConnRecords records = connRecords;
        if (conn.address == null || records == null || status == Status.STOPPED) {
            return false;
        }
        records.changed(conn.id);
        queueForSave();
        return true;
    }

    /** For the saver's next periodic transaction, once. Any thread. */
    private void queueForSave() {
        if (queuedForSave.compareAndSet(false, true)) {
            runtime.saver().markDirty(this);
        }
    }

    /**
     * A call's result as its durable outcome; a result that cannot be written as JSON is recorded
     * as null.
     */
    private byte[] outcomeBytes(@Nullable Object result) {
        try {
            return runtime.json().write(result);
        } catch (RuntimeException e) {
            log.warn(
                    "actor {}: the result of an idempotent call cannot be written as JSON; a retry gets null",
                    id);
            return runtime.json().write(null);
        }
    }

    private DurableOutcomes outcomes() {
        if (outcomes == null) {
            outcomes = new DurableOutcomes(runtime, id);
        }
        return outcomes;
    }

    private JsonNode readTree(byte[] bytes) {
        try {
            return runtime.json().readTree(bytes);
        } catch (IOException e) {
            throw ActorErrors.stateUnreadable(id, e);
        }
    }

    private Object readInput(byte[] bytes) {
        try {
            return runtime.json().read(runtime.json().readTree(bytes), type.inputType());
        } catch (IOException | IllegalArgumentException e) {
            throw ActorErrors.invalidRequest(
                    "The actor's creation input cannot be read as "
                            + type.inputType().getSimpleName(),
                    e);
        }
    }

    /**
     * Takes the turn and makes sure the activation is awake, starting it if it is new.
     *
     * @return false when this activation is stopping or stopped (the turn is then not held)
     */
    private boolean enter(long deadline, String what) {
        while (true) {
            acquire(deadline, what);
            while (starting != null) {
                // The start awaits something (c.await in createVars or onWake): wait for it to end,
                // as JS callers do.
                CompletableFuture<Void> started = starting;
                turn.unlock();
                try {
                    if (deadline == NO_DEADLINE) {
                        started.get();
                    } else {
                        started.get(
                                Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    }
                } catch (ExecutionException ignored) {
                    // the start failed: the status below says so
                } catch (TimeoutException e) {
                    throw ActorErrors.actionTimedOut(what);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw ActorErrors.actionTimedOut(what);
                }
                acquire(deadline, what);
            }
            if (status == Status.STARTING) {
                CompletableFuture<Void> started = new CompletableFuture<>();
                starting = started;
                try {
                    startLocked();
                    starting = null;
                    started.complete(null);
                } catch (Throwable e) {
                    starting = null;
                    started.completeExceptionally(e);
                    // They rejoined before the failure: they wait for the next activation.
                    conns.values().forEach(conn -> runtime.hibernate(id, conn));
                    conns.clear();
                    status = Status.STOPPED;
                    vars = null;
                    state = null;
                    runtime.forget(this);
                    runtime.saver().stopped(this);
                    stopped.complete(null);
                    turn.unlock();
                    throw runtime.toActorError(e, this, "start");
                }
            }
            if (status == Status.AWAKE) {
                return true;
            }
            CompletableFuture<Void> attempt = stopAttempt;
            turn.unlock();
            awaitStopAttempt(attempt, deadline, what);
            if (stopped.isDone()) {
                return false;
            }
            // The stop was postponed (the state could not be saved before sleep): the actor is
            // awake again.
        }
    }

    /**
     * Waits for a stop under way to end, within the call's deadline (or the longest a stop can
     * take).
     */
    private void awaitStopAttempt(CompletableFuture<Void> attempt, long deadline, String what) {
        long waitNanos =
                deadline != NO_DEADLINE
                        ? Math.max(0, deadline - System.nanoTime())
                        : runtime.stopGracePeriod()
                                .plus(runtime.saveTimeout().multipliedBy(2))
                                .plusSeconds(10)
                                .toNanos();
        try {
            attempt.get(waitNanos, TimeUnit.NANOSECONDS);
        } catch (ExecutionException ignored) {
            // a stop attempt only completes normally
        } catch (TimeoutException e) {
            throw deadline != NO_DEADLINE
                    ? ActorErrors.actionTimedOut(what)
                    : ActorErrors.stopped(id);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ActorErrors.actionTimedOut(what);
        }
    }

    private void acquire(long deadline, String what) {
        if (deadline == NO_DEADLINE) {
            turn.lock();
            return;
        }
        try {
            if (!turn.tryLock(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                throw ActorErrors.actionTimedOut(what);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ActorErrors.actionTimedOut(what);
        }
    }

    // ---------------------------------------------------------------- actions

    /** Runs an action, or returns {@link #RETRY} if this activation stopped first. */
    @Nullable Object invoke(ActionCall call, @Nullable ConnImpl conn, long startNanos) {
        ActorType.ActionDef<S, V> action = type.action(call.name());
        if (action == null) {
            throw ActorErrors.actionNotFound(call.name());
        }
        ActionOptions options = action.options();
        Duration timeout =
                options != null && options.timeout() != null
                        ? options.timeout()
                        : defaultActionTimeout();
        boolean waitsForSave =
                !type.repliesBeforeSave() && (options == null || !options.repliesBeforeSave());
        return runTurn(
                call.name(),
                deadline(startNanos, timeout),
                conn,
                call.idempotencyKey(),
                call.repeatOfLostRun(),
                waitsForSave,
                c -> action.handler().call(c, new ActionArgs(call.args(), runtime.json())));
    }

    /** Answers a raw HTTP request with {@code onRequest}, or returns {@link #RETRY}. */
    @Nullable Object request(RawRequest request, long startNanos) {
        ActorType.RequestHandler<S, V> handler = type.onRequest();
        if (handler == null) {
            throw routeNotFound("/request" + request.path());
        }
        return runTurn(
                "onRequest",
                deadline(startNanos, defaultActionTimeout()),
                null,
                null,
                false,
                !type.repliesBeforeSave(),
                c -> handler.handle(c, request));
    }

    private Duration defaultActionTimeout() {
        return type.actionTimeout() != null ? type.actionTimeout() : runtime.defaultActionTimeout();
    }

    private static long deadline(long startNanos, Duration timeout) {
        return timeout.isZero() ? NO_DEADLINE : startNanos + timeout.toNanos();
    }

    static ActorError routeNotFound(String route) {
        return new ActorError(
                "actor",
                "not_found",
                "Actor route '" + route + "' was not found.",
                Map.of("resource", "route"),
                null);
    }

    /** A unit of actor work, run holding the turn. */
    @FunctionalInterface
    private interface TurnWork<S, V> {
        @Nullable Object run(ActionContext<S, V> c) throws Exception;
    }

    /**
     * Runs {@code work} in a turn of its own, counted as running work; {@link #RETRY} if this
     * activation stopped. With {@code waitsForSave}, the reply waits (the turn released, so other
     * calls run and join the same transaction) until the state as the work left it is durable.
     */
    private @Nullable Object runTurn(
            String what,
            long deadline,
            @Nullable ConnImpl conn,
            @Nullable String idempotencyKey,
            boolean repeatOfLostRun,
            boolean waitsForSave,
            TurnWork<S, V> work) {
        if (!enter(deadline, what)) {
            return RETRY;
        }
        CompletableFuture<Object> outcome = null;
        boolean inCode = false;
        boolean holding = true;
        try {
            if (conn != null && conn.closed) {
                throw ActorErrors.invalidRequest("The connection is closed.", null);
            }
            if (idempotencyKey != null) {
                CompletableFuture<Object> earlier = recentCalls().get(idempotencyKey);
                if (earlier != null) {
                    holding = false;
                    return awaitEarlierCall(earlier, deadline, what);
                }
                if (runtime.durableIdempotency()) {
                    Optional<byte[]> recorded = outcomes().recorded(idempotencyKey);
                    if (recorded.isPresent()) {
                        // An earlier activation (maybe on another node) ran this call and saved
                        // its outcome.
                        return readTree(recorded.get());
                    }
                }
                if (repeatOfLostRun) {
                    throw ActorErrors.callInterrupted(what);
                }
                outcome = new CompletableFuture<>();
                recentCalls().put(idempotencyKey, outcome);
            }
            Object result;
            CompletableFuture<Void> save = null;
            inflight++;
            try {
                inCode = true;
                result = work.run(new ContextImpl(conn, deadline));
                inCode = false;
                if (idempotencyKey != null && runtime.durableIdempotency()) {
                    // The outcome goes in the same transaction as the state it produced: both or
                    // neither.
                    outcomes().record(idempotencyKey, outcomeBytes(result));
                    CompletableFuture<Void> written = submitLocked();
                    if (waitsForSave) {
                        save = written;
                    }
                } else if (waitsForSave) {
                    save = durableSaveLocked();
                }
            } finally {
                inflight--;
                lastActivityMillis = runtime.clock().nowMillis();
                afterWorkLocked();
            }
            if (save != null) {
                // Other calls run meanwhile, and join the same transaction.
                holding = false;
                turn.unlock();
                awaitSave(save);
            }
            if (outcome != null) {
                outcome.complete(result);
            }
            return result;
        } catch (Exception | StackOverflowError e) {
            ActorError error = runtime.toActorError(e, this, what);
            if (inCode && !(e instanceof ActorError)) {
                error = new ActorErrors.CodeFailed(error);
            }
            if (outcome != null) {
                outcome.completeExceptionally(error);
            }
            throw error;
        } finally {
            if (holding) {
                turn.unlock();
            }
        }
    }

    /**
     * Hands a raw WebSocket to {@code onWebSocket}; false if this activation stopped first. The
     * socket keeps the actor awake until it closes, and its listeners run in turns of their own.
     */
    boolean webSocket(RawWebSocket transport) {
        ActorType.WebSocketHandler<S, V> handler = type.onWebSocket();
        if (handler == null) {
            throw routeNotFound("/websocket" + transport.path());
        }
        if (!enter(NO_DEADLINE, "onWebSocket")) {
            return false;
        }
        try {
            keepAwake.incrementAndGet();
            cancelSleepTimerLocked();
            handler.open(hooks, new TurnTakingSocket(this, transport));
            return true;
        } catch (Exception | StackOverflowError e) {
            keepAwake.decrementAndGet();
            throw runtime.toActorError(e, this, "onWebSocket");
        } finally {
            turn.unlock();
        }
    }

    /**
     * Runs a raw-socket listener holding the turn; dropped (with a log line) once the actor
     * stopped.
     */
    void inTurn(String what, Runnable listener) {
        turn.lock();
        try {
            if (status == Status.AWAKE || status == Status.STOPPING) {
                listener.run();
            }
        } catch (RuntimeException e) {
            actorLog.error("{} of actor {} failed", what, id, e);
        } finally {
            lastActivityMillis = runtime.clock().nowMillis();
            afterWorkLocked();
            turn.unlock();
        }
    }

    private Object awaitEarlierCall(CompletableFuture<Object> earlier, long deadline, String action)
            throws Exception {
        turn.unlock();
        try {
            return deadline == NO_DEADLINE
                    ? earlier.get()
                    : earlier.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw (Exception) e.getCause();
        } catch (TimeoutException e) {
            throw ActorErrors.actionTimedOut(action);
        }
    }

    private Map<String, CompletableFuture<Object>> recentCalls() {
        if (recentCalls == null) {
            recentCalls =
                    new LinkedHashMap<>() {
                        @Override
                        protected boolean removeEldestEntry(
                                Map.Entry<String, CompletableFuture<Object>> eldest) {
                            return size() > RECENT_CALLS;
                        }
                    };
        }
        return recentCalls;
    }

    /**
     * Turn held, after an action, hook or connection change: sleep bookkeeping and deferred stops.
     */
    private void afterWorkLocked() {
        if (inflight > 0) {
            return;
        }
        idle.signalAll();
        if (requestedStop != null && status == Status.AWAKE) {
            StopReason reason = requestedStop;
            runtime.executor().execute(() -> stop(reason));
            return;
        }
        armSleepTimerLocked();
    }

    private boolean idleLocked() {
        return inflight == 0 && wakefulConns == 0 && keepAwake.get() == 0;
    }

    private void armSleepTimerLocked() {
        if (sleepTimer == null && status == Status.AWAKE && idleLocked()) {
            sleepTimer =
                    runtime.clock()
                            .schedule(
                                    lastActivityMillis + sleepTimeoutMillis(),
                                    this::sleepTimerFired);
        }
    }

    private long sleepTimeoutMillis() {
        Duration timeout =
                type.sleepTimeout() != null ? type.sleepTimeout() : runtime.defaultSleepTimeout();
        return timeout.toMillis();
    }

    private void sleepTimerFired() {
        turn.lock();
        try {
            sleepTimer = null;
            if (status != Status.AWAKE || !idleLocked()) {
                return;
            }
            long due = lastActivityMillis + sleepTimeoutMillis();
            if (runtime.clock().nowMillis() < due) {
                sleepTimer = runtime.clock().schedule(due, this::sleepTimerFired);
                return;
            }
            stopLocked(StopReason.SLEEP);
        } finally {
            turn.unlock();
        }
    }

    // ---------------------------------------------------------------- connections

    /** Opens a connection, or returns null if this activation stopped first. */
    @Nullable ConnImpl connect(@Nullable Object params, ConnectionSink sink) {
        if (!enter(NO_DEADLINE, "connect")) {
            return null;
        }
        try {
            JsonNode paramsTree =
                    params == null ? NullNode.getInstance() : runtime.json().tree(params);
            if (type.onBeforeConnect() != null) {
                type.onBeforeConnect().check(hooks, paramsTree);
            }
            ConnImpl conn = new ConnImpl(this, UUID.randomUUID().toString(), paramsTree, sink);
            if (type.createConnState() != null) {
                conn.state = type.createConnState().create(hooks, paramsTree);
            }
            if (conn.address != null) {
                connRecordsLocked();
            }
            addConnLocked(conn);
            if (type.onConnect() != null) {
                try {
                    type.onConnect().run(hooks, conn);
                } catch (Exception e) {
                    removeConnLocked(conn);
                    throw e;
                }
            }
            return conn;
        } catch (Exception | StackOverflowError e) {
            throw runtime.toActorError(e, this, "connect");
        } finally {
            lastActivityMillis = runtime.clock().nowMillis();
            afterWorkLocked();
            turn.unlock();
        }
    }

    private void addConnLocked(ConnImpl conn) {
        conns.put(conn.id, conn);
        connChanged(conn);
        if (!conn.hibernatable) {
            wakefulConns++;
            cancelSleepTimerLocked();
        }
    }

    private boolean removeConnLocked(ConnImpl conn) {
        if (conns.remove(conn.id) == null) {
            return false;
        }
        connChanged(conn);
        if (!conn.hibernatable) {
            wakefulConns--;
        }
        return true;
    }

    /**
     * Removes a connection; {@code reason} non-null means the actor closes it and the transport is
     * told.
     */
    void disconnect(ConnImpl conn, @Nullable String reason) {
        turn.lock();
        try {
            if (!removeConnLocked(conn)) {
                return;
            }
            conn.closed = true;
            if (type.onDisconnect() != null && status != Status.STOPPED) {
                try {
                    type.onDisconnect().run(hooks, conn);
                } catch (Exception e) {
                    actorLog.error("onDisconnect of actor {} failed", id, e);
                }
            }
            lastActivityMillis = runtime.clock().nowMillis();
            afterWorkLocked();
        } finally {
            turn.unlock();
        }
        if (reason != null) {
            conn.sink.close(reason, null);
        }
    }

    /** Runs {@code onUnsubscribe} for a connection that is still open on this awake activation. */
    void unsubscribed(ConnImpl conn, String event) {
        turn.lock();
        try {
            if (status != Status.AWAKE
                    || conns.get(conn.id) != conn
                    || conn.subscriptions.contains(event)) {
                return;
            }
            ActorType.UnsubscribeHook<S, V> hook = type.onUnsubscribe();
            if (hook == null) {
                return;
            }
            try {
                hook.run(hooks, conn, event);
            } catch (Exception e) {
                actorLog.error("onUnsubscribe of actor {} failed", id, e);
            }
            lastActivityMillis = runtime.clock().nowMillis();
            afterWorkLocked();
        } finally {
            turn.unlock();
        }
    }

    private void cancelSleepTimerLocked() {
        if (sleepTimer != null) {
            sleepTimer.run();
            sleepTimer = null;
        }
    }

    void broadcast(String event, Object[] args) {
        requireNotStopped();
        if (conns.isEmpty()) {
            return;
        }
        ActorEvent message = new ActorEvent(event, Arrays.asList(args));
        for (ConnImpl conn : conns.values()) {
            if (conn.subscriptions.contains(event)) {
                conn.deliver(message);
            }
        }
    }

    // ---------------------------------------------------------------- saving

    private void markDirtyLocked() {
        if (!dirty) {
            dirty = true;
            queueForSave();
        }
    }

    /** A state that cannot be serialised: serialisation {@code seq} failed for {@code reason}. */
    static final class SerializationFailed extends RuntimeException {
        final long seq;
        final String reason;

        SerializationFailed(long seq, String reason, Throwable cause) {
            super(reason, cause, false, false);
            this.seq = seq;
            this.reason = reason;
        }
    }

    private boolean connRecordsChanged() {
        ConnRecords records = connRecords;
        return records != null && records.changed();
    }

    boolean isStopped() {
        return status == Status.STOPPED;
    }

    /** Saver thread: serialises the state if it changed, or returns null, or {@link #BUSY}. */
    StateSaver.@Nullable PendingWrite serializeIfDirty() {
        if (!dirty && !connRecordsChanged()) {
            // Written by the reply that changed it (or unchanged): no need to wait for the turn.
            // Should it turn dirty
            // now, it was queued again when queuedForSave was cleared before this read.
            return null;
        }
        if (!tryTurn()) {
            return BUSY;
        }
        try {
            if ((!dirty && !connRecordsChanged())
                    || status == Status.STOPPED
                    || status == Status.STARTING) {
                return null;
            }
            return serializeLocked(false);
        } finally {
            turn.unlock();
        }
    }

    /**
     * Saver thread, for a failing actor: its current state, written even if unchanged; null once
     * stopped.
     */
    StateSaver.@Nullable PendingWrite serializeForRetry() {
        if (!tryTurn()) {
            return BUSY;
        }
        try {
            if (status == Status.STOPPED || status == Status.STARTING) {
                return null;
            }
            return serializeLocked(true);
        } finally {
            turn.unlock();
        }
    }

    private boolean tryTurn() {
        try {
            return turn.tryLock(5, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Turn held: the state as a write for the saver, or null when the newest write handed to the
     * saver has exactly these bytes (and has not failed). A state that cannot be serialised throws
     * {@link SerializationFailed} and stays dirty.
     */
    private StateSaver.@Nullable PendingWrite serializeLocked(boolean evenIfUnchanged) {
        long seq = ++saveSeq;
        byte[] bytes;
        try {
            bytes = runtime.json().write(state);
        } catch (RuntimeException | StackOverflowError e) {
            throw new SerializationFailed(seq, ActorErrors.shortReason(e), e);
        }
        dirty = false;
        boolean lastFailed =
                lastSubmittedDone != null && lastSubmittedDone.isCompletedExceptionally();
        boolean newOutcomes = outcomes != null && outcomes.changed();
        if (!evenIfUnchanged
                && !lastFailed
                && !newOutcomes
                && !connRecordsChanged()
                && Arrays.equals(bytes, lastSubmitted)) {
            return null;
        }
        lastSubmitted = bytes;
        DurableOutcomes carried = outcomes;
        KvBatch kv = carried == null ? StateWrite.NO_KV : carried.changes();
        ConnRecords records = connRecords;
        Map<String, Long> carriedRecords = Map.of();
        if (records != null && records.changed()) {
            KvBatch.Builder withRecords = KvBatch.builder();
            kv.deletes().forEach(withRecords::delete);
            kv.puts().forEach(withRecords::put);
            carriedRecords = records.addTo(withRecords, conns);
            kv = withRecords.build();
        }
        // Every wait for it is bounded by the saver's watchdog (cheaper than a timer per write or
        // per waiter).
        StateSaver.PendingWrite pending =
                StateSaver.PendingWrite.of(
                        this, new StateWrite(id, generation, bytes, type.stateVersion(), kv), seq);
        if (carried != null && !kv.isEmpty()) {
            KvBatch written = kv;
            pending.done().thenRun(() -> carried.confirmed(written));
        }
        if (records != null && !carriedRecords.isEmpty()) {
            Map<String, Long> written = carriedRecords;
            pending.done().thenRun(() -> records.confirmed(written));
        }
        lastSubmittedDone = pending.done();
        return pending;
    }

    /**
     * Turn held: serialises and queues the state; the write that makes it durable, or null if it is
     * already.
     */
    private @Nullable CompletableFuture<Void> submitLocked() {
        StateSaver.PendingWrite pending;
        try {
            pending = serializeLocked(false);
        } catch (SerializationFailed e) {
            runtime.saver().serializationFailed(this, e.seq, e.reason);
            throw ActorErrors.stateSaveFailed(id, e.reason, e.getCause());
        }
        if (pending != null) {
            return runtime.saver().submit(pending);
        }
        CompletableFuture<Void> newest = lastSubmittedDone;
        return newest == null || (newest.isDone() && !newest.isCompletedExceptionally())
                ? null
                : newest;
    }

    /**
     * Turn held, after an action: the write a durable reply waits for, or null if the action
     * changed nothing.
     */
    private @Nullable CompletableFuture<Void> durableSaveLocked() {
        return dirty ? submitLocked() : null;
    }

    /**
     * Waits for a write, bounded by the save timeout (the write's future fails when it passes: see
     * {@link #serializeLocked}); its failure becomes {@code actor.state_save_failed}.
     */
    private void awaitSave(CompletableFuture<Void> save) {
        try {
            save.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ActorError error) {
                throw error;
            }
            if (e.getCause() instanceof TimeoutException) {
                throw ActorErrors.stateSaveFailed(
                        id,
                        "it was not saved within " + runtime.saveTimeout().toMillis() + " ms",
                        null);
            }
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw ActorErrors.stateSaveFailed(id, ActorErrors.shortReason(cause), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ActorErrors.stateSaveFailed(id, "interrupted while waiting for the save", e);
        }
    }

    /** Writes the state durably before returning (bounded by the save timeout). Turn held. */
    private void saveNowLocked() {
        CompletableFuture<Void> save = submitLocked();
        if (save != null) {
            awaitSave(save);
        }
    }

    /** Saver thread: the store has a newer generation: another activation owns this actor now. */
    void fenced() {
        runtime.fencedWrite();
        log.error(
                "actor {} ({} {}) was claimed by another activation; stopping this one without saving",
                id,
                type.name(),
                key);
        runtime.executor().execute(() -> stop(StopReason.FENCED));
    }

    // ---------------------------------------------------------------- stopping

    /**
     * Stops this activation for {@code reason} (waits for running actions first, up to the grace
     * period).
     */
    void stop(StopReason reason) {
        turn.lock();
        try {
            stopLocked(reason);
        } finally {
            turn.unlock();
        }
    }

    private void stopLocked(StopReason reason) {
        if (status != Status.AWAKE) {
            return;
        }
        if (reason == StopReason.SLEEP && saveFailure != null) {
            // Its saves fail: sleeping would drop the state that only memory holds.
            postponeSleepLocked(saveFailure);
            return;
        }
        status = Status.STOPPING;
        stopAttempt = new CompletableFuture<>();
        cancelSleepTimerLocked();
        // A sleep fires the abort signal only once it really stops: a failed save postpones it, the
        // actor stays awake
        // and must keep what listeners would close (no action runs, as it sleeps only when idle).
        boolean abortNow = reason != StopReason.SLEEP;
        if (abortNow) {
            fireAbortSignal();
        }
        long graceEnd = System.nanoTime() + runtime.stopGracePeriod().toNanos();
        while (inflight > 0 && reason != StopReason.FENCED) {
            long left = graceEnd - System.nanoTime();
            if (left <= 0) {
                log.warn(
                        "actor {} stops with {} action(s) still running after the grace period",
                        id,
                        inflight);
                break;
            }
            try {
                idle.awaitNanos(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        ActorType.Hook<S, V> hook =
                switch (reason) {
                    case SLEEP, SHUTDOWN -> type.onSleep();
                    case DESTROY -> type.onDestroy();
                    case FENCED -> null;
                };
        if (hook != null) {
            try {
                hook.run(hooks);
            } catch (Exception e) {
                actorLog.error(
                        "{} of actor {} failed",
                        reason == StopReason.DESTROY ? "onDestroy" : "onSleep",
                        id,
                        e);
            }
        }
        boolean postponed = false;
        try {
            switch (reason) {
                case DESTROY -> runtime.store().delete(id);
                case SLEEP -> {
                    try {
                        saveNowLocked();
                    } catch (ActorError e) {
                        if (!isSaveFailure(e)) {
                            throw e;
                        }
                        // Stay awake with the state in memory; onSleep runs again at the next
                        // attempt.
                        status = Status.AWAKE;
                        postponed = true;
                        postponeSleepLocked(e.message());
                    }
                }
                case SHUTDOWN -> saveBeforeShutdownLocked();
                case FENCED -> {}
            }
        } catch (RuntimeException e) {
            log.error("actor {} could not save its state while stopping ({})", id, reason, e);
        } finally {
            CompletableFuture<Void> attempt = stopAttempt;
            if (!postponed) {
                if (!abortNow) {
                    fireAbortSignal();
                }
                finishStopLocked(reason);
            }
            attempt.complete(null);
        }
    }

    /**
     * Completes {@code c.abortSignal()} off the turn: listeners may take it (c.withTurn) while a
     * stop waits.
     */
    private void fireAbortSignal() {
        Thread.ofVirtual().name("actor-abort-" + id).start(() -> aborted.complete(null));
    }

    private static boolean isSaveFailure(ActorError error) {
        return error.group().equals("actor") && error.code().equals("state_save_failed");
    }

    /**
     * Turn held: sleep waits until the state is saved; the actor stays awake and tries again later.
     */
    private void postponeSleepLocked(String why) {
        if (requestedStop == StopReason.SLEEP) {
            requestedStop = null;
        }
        log.debug(
                "actor {} ({} {}) does not sleep yet, its state is not saved: {}",
                id,
                type.name(),
                key,
                why);
        lastActivityMillis = runtime.clock().nowMillis();
        armSleepTimerLocked();
    }

    /**
     * Turn held, at shutdown: saves the state, retrying with back-off while saves fail, for at most
     * the save timeout; then says plainly what is lost.
     */
    private void saveBeforeShutdownLocked() {
        long end = System.nanoTime() + runtime.saveTimeout().toNanos();
        long delay = StateSaver.FIRST_RETRY_NANOS;
        while (true) {
            try {
                saveNowLocked();
                return;
            } catch (ActorError e) {
                if (!isSaveFailure(e) || System.nanoTime() + delay >= end) {
                    String reason = saveFailure != null ? saveFailure : e.getMessage();
                    log.error(
                            "actor {} ({} {}) stops with its latest state NOT saved ({}); the store keeps the state it "
                                    + "saved last, and the changes since are lost",
                            id,
                            type.name(),
                            key,
                            reason);
                    return;
                }
            }
            java.util.concurrent.locks.LockSupport.parkNanos(delay);
            delay = Math.min(delay * 2, StateSaver.MAX_RETRY_NANOS);
        }
    }

    /**
     * Turn held: the activation is over; connections are closed or hibernated and the directory
     * forgets it.
     */
    private void finishStopLocked(StopReason reason) {
        // A lifecycle error, which the official client answers by reconnecting (and so waking the
        // actor).
        ActorError closing =
                reason == StopReason.DESTROY
                        ? new ActorError("actor", "destroyed", "The actor was destroyed.")
                        : ActorErrors.stopped(id);
        for (ConnImpl conn : conns.values()) {
            if (reason == StopReason.SLEEP && conn.hibernatable && !conn.closed) {
                runtime.hibernate(id, conn);
            } else {
                conn.closed = true;
                conn.sink.close(closing.message(), closing);
            }
        }
        conns.clear();
        wakefulConns = 0;
        vars = null;
        state = null;
        status = Status.STOPPED;
        runtime.forget(this);
        runtime.saver().stopped(this);
        stopped.complete(null);
        log.debug("actor {} ({} {}) stopped: {}", id, type.name(), key, reason);
    }

    /** Makes sure this activation has started; false if it stopped first. */
    boolean wake() {
        if (!enter(NO_DEADLINE, "wake")) {
            return false;
        }
        turn.unlock();
        return true;
    }

    /**
     * Destroys this activation now (from outside, e.g. the actors API); false if it stopped first.
     */
    boolean destroyNow() {
        if (!enter(NO_DEADLINE, "destroy")) {
            return false;
        }
        try {
            stopLocked(StopReason.DESTROY);
            return true;
        } finally {
            turn.unlock();
        }
    }

    /**
     * Asks for a stop once no action runs (from {@code c.sleep()} / {@code c.destroy()}). Turn
     * held.
     */
    private void requestStopLocked(StopReason reason) {
        if (requestedStop != StopReason.DESTROY) {
            requestedStop = reason;
        }
        if (inflight == 0 && status == Status.AWAKE) {
            StopReason stop = requestedStop;
            runtime.executor().execute(() -> stop(stop));
        }
    }

    void requireNotStopped() {
        if (status == Status.STOPPED) {
            throw ActorErrors.stopped(id);
        }
    }

    private void requireTurn() {
        if (!turn.isHeldByCurrentThread()) {
            throw new IllegalStateException(
                    "the state of actor "
                            + id
                            + " ("
                            + type.name()
                            + ") is only reachable while holding its turn: read it before or after c.await(...), not inside");
        }
        requireNotStopped();
    }

    // ---------------------------------------------------------------- context

    /** {@code c} for hooks (no connection, no deadline) and for each action call. */
    final class ContextImpl implements ActionContext<S, V> {
        private final @Nullable ConnImpl conn;
        private final long deadline;

        ContextImpl(@Nullable ConnImpl conn, long deadline) {
            this.conn = conn;
            this.deadline = deadline;
        }

        @Override
        public String actorId() {
            return id;
        }

        @Override
        public String name() {
            return type.name();
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
        public S state() {
            requireTurn();
            if (state == null) {
                throw new IllegalStateException(
                        "the state of actor "
                                + id
                                + " does not exist yet (createState runs after onMigrate)");
            }
            markDirtyLocked();
            return state;
        }

        @Override
        public void setState(S newState) {
            requireTurn();
            if (newState == null) {
                throw new IllegalArgumentException("state must not be null");
            }
            state = newState;
            markDirtyLocked();
        }

        @Override
        public void saveState() {
            requireTurn();
            saveNowLocked();
        }

        @Override
        public V vars() {
            V current = vars;
            if (current == null) {
                requireNotStopped();
                if (type.createVars() == null) {
                    throw new IllegalStateException(
                            "actor type `" + type.name() + "` has no createVars");
                }
                throw new IllegalStateException(
                        "the vars of actor type `"
                                + type.name()
                                + "` are made by createVars, after createState and onMigrate");
            }
            return current;
        }

        @Override
        public void broadcast(String event, Object... args) {
            ActorCell.this.broadcast(event, args);
        }

        @Override
        public Collection<Conn> conns() {
            return Collections.unmodifiableCollection(conns.values());
        }

        @Override
        public Schedule schedule() {
            return new ScheduleImpl(ActorCell.this);
        }

        @Override
        public ActorKv kv() {
            return kv;
        }

        @Override
        public <T> T await(Callable<T> work) throws Exception {
            if (deadline == NO_DEADLINE) {
                return released(work);
            }
            Future<T> running = runtime.executor().submit(work);
            return released(
                    () -> {
                        try {
                            return running.get(
                                    Math.max(0, deadline - System.nanoTime()),
                                    TimeUnit.NANOSECONDS);
                        } catch (TimeoutException e) {
                            running.cancel(true);
                            throw ActorErrors.actionTimedOut("await");
                        } catch (ExecutionException e) {
                            throw e.getCause() instanceof Exception cause ? cause : e;
                        }
                    });
        }

        @Override
        public <T> T await(CompletionStage<T> stage) throws Exception {
            CompletableFuture<T> future = stage.toCompletableFuture();
            return await(
                    () -> {
                        try {
                            return future.get();
                        } catch (ExecutionException e) {
                            throw e.getCause() instanceof Exception cause ? cause : e;
                        }
                    });
        }

        @Override
        public <T> T withTurn(Callable<T> work) throws Exception {
            if (turn.isHeldByCurrentThread()) {
                requireNotStopped();
                return work.call();
            }
            acquire(deadline(System.nanoTime(), defaultActionTimeout()), "withTurn");
            try {
                // STOPPING lets work in while the stop waits for running actions: it lands before
                // the final save.
                // STARTING lets in the actor's own callbacks while its start awaits (an SDK
                // persisting events).
                boolean startAwaits = starting != null && state != null;
                if (status != Status.AWAKE && status != Status.STOPPING && !startAwaits) {
                    throw ActorErrors.stopped(id);
                }
                // Counted as running work, so a stop waits for it even if it awaits.
                inflight++;
                try {
                    return work.call();
                } finally {
                    inflight--;
                    lastActivityMillis = runtime.clock().nowMillis();
                    afterWorkLocked();
                }
            } finally {
                turn.unlock();
            }
        }

        /** Runs {@code work} with the turn released, and takes it back whatever happens. */
        private <T> T released(Callable<T> work) throws Exception {
            if (!turn.isHeldByCurrentThread()) {
                return work.call();
            }
            int holds = turn.getHoldCount();
            for (int i = 0; i < holds; i++) {
                turn.unlock();
            }
            try {
                return work.call();
            } finally {
                for (int i = 0; i < holds; i++) {
                    turn.lock();
                }
            }
        }

        @Override
        public CompletionStage<Void> abortSignal() {
            return aborted.minimalCompletionStage();
        }

        @Override
        public <T> CompletionStage<T> keepAwake(CompletionStage<T> work) {
            requireNotStopped();
            keepAwake.incrementAndGet();
            return work.whenComplete(
                    (result, error) -> {
                        keepAwake.decrementAndGet();
                        runtime.executor()
                                .execute(
                                        () -> {
                                            turn.lock();
                                            try {
                                                lastActivityMillis = runtime.clock().nowMillis();
                                                afterWorkLocked();
                                            } finally {
                                                turn.unlock();
                                            }
                                        });
                    });
        }

        @Override
        public void sleep() {
            requireTurn();
            requestStopLocked(StopReason.SLEEP);
        }

        @Override
        public void destroy() {
            requireTurn();
            requestStopLocked(StopReason.DESTROY);
        }

        @Override
        public long nowMillis() {
            return runtime.clock().nowMillis();
        }

        @Override
        public Logger log() {
            return actorLog;
        }

        @Override
        public Optional<Conn> conn() {
            return Optional.ofNullable(conn);
        }
    }
}
