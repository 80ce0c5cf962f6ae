package dev.rivetkitjava.actor;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rivetkitjava.actor.spi.LocalPlacement;
import dev.rivetkitjava.actor.spi.Placement;
import dev.rivetkitjava.actor.spi.RuntimeStats;
import dev.rivetkitjava.actor.store.ActorRecord;
import dev.rivetkitjava.actor.store.ActorStore;
import dev.rivetkitjava.actor.store.InMemoryActorStore;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The actor types of an application and the place they run: the Java twin of RivetKit's {@code
 * setup({ use: {...} })}.
 *
 * <pre>{@code
 * try (Registry registry = Registry.builder().use(COUNTER).store(SqliteActorStore.open(path)).build()) {
 *     ActorHandle counter = registry.actor("counter").getOrCreate(ActorKey.of("room-1"));
 *     int count = counter.action("increment", Integer.class, 5);
 * }
 * }</pre>
 *
 * Closing the registry puts every awake actor to sleep (state saved) and closes its store.
 */
public final class Registry implements AutoCloseable {
    private final Placement placement;
    private final Json json;

    private Registry(Placement placement, Json json) {
        this.placement = placement;
        this.json = json;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The actors of one type, by name (as the client writes {@code client.counter}). */
    public ActorAccessor actor(String name) {
        return new ActorAccessor(placement, json, name);
    }

    public ActorAccessor actor(ActorType<?, ?> type) {
        return actor(type.name());
    }

    /** Actors of one type, ordered by key, after {@code afterKey} (null for the first page). */
    public List<ActorRecord> list(String name, ActorKey afterKey, int limit) {
        return placement.list(name, afterKey, limit);
    }

    /**
     * The JSON mapper for state, inputs, arguments and results; a server encodes with the same one.
     */
    public ObjectMapper objectMapper() {
        return json.mapper();
    }

    /** The placement every call goes through; a server routes its requests here. */
    public Placement placement() {
        return placement;
    }

    /** Counters about the runtime (awake actors, state saves and their failures), for metrics. */
    public RuntimeStats stats() {
        return placement.stats();
    }

    /**
     * Whether state saves work: {@link RuntimeHealth#ok()} unless some actor's saves are failing
     * (its state kept in memory and retried) or the last store write failed, with the reason.
     */
    public RuntimeHealth health() {
        return placement.health();
    }

    @Override
    public void close() {
        placement.close();
    }

    /** Registry settings; defaults are RivetKit's where RivetKit has one. */
    public static final class Builder {
        final Map<String, ActorType<?, ?>> types = new HashMap<>();
        @Nullable ActorStore store;
        ActorClock clock = ActorClock.system();
        ObjectMapper mapper = Json.defaultMapper();
        Duration sleepTimeout = Duration.ofSeconds(30);
        Duration actionTimeout = Duration.ofSeconds(60);
        Duration saveInterval = Duration.ofMillis(100);
        Duration stopGracePeriod = Duration.ofSeconds(15);
        Duration saveTimeout = Duration.ofSeconds(30);
        boolean exposeInternalErrors;
        boolean durableIdempotency;
        Function<LocalPlacement, Placement> placement = local -> local;

        private Builder() {}

        public Builder use(ActorType<?, ?> type) {
            if (types.putIfAbsent(type.name(), type) != null) {
                throw new IllegalArgumentException(
                        "two actor types are named `" + type.name() + "`");
            }
            return this;
        }

        /**
         * Where actors are kept while asleep. Default: in memory (nothing survives the process).
         */
        public Builder store(ActorStore store) {
            this.store = Objects.requireNonNull(store, "store");
            return this;
        }

        public Builder clock(ActorClock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The JSON mapper for state, inputs, arguments and results. */
        public Builder objectMapper(ObjectMapper mapper) {
            this.mapper = Objects.requireNonNull(mapper, "mapper");
            return this;
        }

        /** Idle time before an actor without connections or running work sleeps (default 30 s). */
        public Builder sleepTimeout(Duration timeout) {
            this.sleepTimeout = positive(timeout, "sleepTimeout");
            return this;
        }

        /** Default action timeout (default 60 s); {@link ActionOptions#NO_TIMEOUT} disables it. */
        public Builder actionTimeout(Duration timeout) {
            // Checked as an action's own timeout is.
            this.actionTimeout = Objects.requireNonNull(new ActionOptions(timeout).timeout());
            return this;
        }

        /** Longest time between a state change and its durable save (default 100 ms). */
        public Builder saveInterval(Duration interval) {
            this.saveInterval = positive(interval, "saveInterval");
            return this;
        }

        /**
         * The longest wait for a state save (default 30 s): a reply waiting for its save, a save
         * before sleep, and at shutdown the retries of an actor whose saves fail. A wait that
         * passes it is an {@code actor.state_save_failed} error (the state stays in memory and is
         * retried).
         */
        public Builder saveTimeout(Duration timeout) {
            this.saveTimeout = positive(timeout, "saveTimeout");
            return this;
        }

        /** How long stopping waits for running actions before it proceeds (default 15 s). */
        public Builder stopGracePeriod(Duration grace) {
            this.stopGracePeriod = Objects.requireNonNull(grace, "grace");
            return this;
        }

        /**
         * Shows internal errors' detail to callers instead of "An internal error occurred"
         * (development only).
         */
        public Builder exposeInternalErrors(boolean expose) {
            this.exposeInternalErrors = expose;
            return this;
        }

        /**
         * Keeps the outcome of every call with an idempotency key in the actor's key-value store
         * (under {@code ~rivetkit/outcome/}), written in the same transaction as the state the call
         * produced, so a retry with the same key gets the first outcome even after the actor moved
         * to another process. Off by default (the in-memory cache of recent calls covers one
         * activation); a cluster placement turns it on.
         */
        public Builder durableIdempotency(boolean durable) {
            this.durableIdempotency = durable;
            return this;
        }

        /**
         * Where calls go: {@code wrap} gets this process's runtime and returns the placement the
         * registry uses (a cluster placement that forwards to other nodes, say). Default: the local
         * runtime itself.
         */
        public Builder placement(Function<LocalPlacement, Placement> wrap) {
            this.placement = Objects.requireNonNull(wrap, "wrap");
            return this;
        }

        public Registry build() {
            if (store == null) {
                store = new InMemoryActorStore();
            }
            ActorRuntime runtime = new ActorRuntime(this);
            Placement outer = placement.apply(runtime);
            runtime.routeSchedulesThrough(outer);
            return new Registry(outer, runtime.json());
        }

        private static Duration positive(Duration duration, String what) {
            if (duration == null || duration.isNegative() || duration.isZero()) {
                throw new IllegalArgumentException(what + " must be positive");
            }
            return duration;
        }
    }
}
