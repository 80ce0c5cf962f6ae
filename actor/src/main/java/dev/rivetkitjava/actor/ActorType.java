package dev.rivetkitjava.actor;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An actor type: its name, how its state and vars are made, its actions and lifecycle hooks. The
 * Java twin of RivetKit's {@code actor({...})}.
 *
 * <pre>{@code
 * static final ActorType<Counter, Void> COUNTER = ActorType.builder("counter", Counter.class)
 *     .createState(c -> new Counter(0))
 *     .action("increment", Integer.class, (c, amount) -> {
 *         c.setState(new Counter(c.state().count() + amount));
 *         c.broadcast("newCount", c.state().count());
 *         return c.state().count();
 *     })
 *     .build();
 * }</pre>
 *
 * @param <S> the durable state, serialised as JSON (a record or a mutable class)
 * @param <V> the ephemeral vars, rebuilt on every wake ({@link Void} when there are none)
 */
public final class ActorType<S, V> {

    /**
     * Lifecycle hook: {@code onCreate}-less hooks such as {@code onWake}, {@code onSleep}, {@code
     * onDestroy}.
     */
    @FunctionalInterface
    public interface Hook<S, V> {
        void run(ActorContext<S, V> c) throws Exception;
    }

    @FunctionalInterface
    public interface InputHook<S, V, I> {
        void run(ActorContext<S, V> c, @Nullable I input) throws Exception;
    }

    @FunctionalInterface
    public interface StateFactory<S, V, I> {
        S create(ActorContext<S, V> c, @Nullable I input) throws Exception;
    }

    /** Makes a value from the actor's context: the initial state (without input) or the vars. */
    @FunctionalInterface
    public interface ContextFunction<S, V, R> {
        R apply(ActorContext<S, V> c) throws Exception;
    }

    @FunctionalInterface
    public interface MigrateHook<S, V> {
        void run(ActorContext<S, V> c, Migration migration) throws Exception;
    }

    /** Vetoes a connection by throwing (a {@link UserError} reaches the client as is). */
    @FunctionalInterface
    public interface BeforeConnectHook<S, V> {
        void check(ActorContext<S, V> c, JsonNode params) throws Exception;
    }

    @FunctionalInterface
    public interface ConnStateFactory<S, V> {
        Object create(ActorContext<S, V> c, JsonNode params) throws Exception;
    }

    @FunctionalInterface
    public interface ConnHook<S, V> {
        void run(ActorContext<S, V> c, Conn conn) throws Exception;
    }

    /**
     * Runs when a connection stops listening to {@code event} (it unsubscribed; a disconnect is
     * {@code onDisconnect}).
     */
    @FunctionalInterface
    public interface UnsubscribeHook<S, V> {
        void run(ActorContext<S, V> c, Conn conn, String event) throws Exception;
    }

    @FunctionalInterface
    public interface RequestHandler<S, V> {
        RawResponse handle(ActorContext<S, V> c, RawRequest request) throws Exception;
    }

    @FunctionalInterface
    public interface WebSocketHandler<S, V> {
        void open(ActorContext<S, V> c, RawWebSocket socket) throws Exception;
    }

    @FunctionalInterface
    public interface Action0<S, V, R> {
        @Nullable R call(ActionContext<S, V> c) throws Exception;
    }

    @FunctionalInterface
    public interface Action1<S, V, A, R> {
        @Nullable R call(ActionContext<S, V> c, @Nullable A arg) throws Exception;
    }

    /** An action with any number of arguments, read from {@link ActionArgs}. */
    @FunctionalInterface
    public interface ActionN<S, V, R> {
        @Nullable R call(ActionContext<S, V> c, ActionArgs args) throws Exception;
    }

    /**
     * One action: how to run it with raw arguments, and its options (null: the type's defaults).
     */
    record ActionDef<S, V>(ActionN<S, V, ?> handler, @Nullable ActionOptions options) {}

    private final String name;
    private final Class<S> stateType;
    private final Class<V> varsType;
    private final Class<?> inputType;
    private final StateFactory<S, V, Object> createState;
    private final @Nullable ContextFunction<S, V, V> createVars;
    private final @Nullable MigrateHook<S, V> onMigrate;
    private final @Nullable InputHook<S, V, Object> onCreate;
    private final @Nullable Hook<S, V> onWake;
    private final @Nullable Hook<S, V> onSleep;
    private final @Nullable Hook<S, V> onDestroy;
    private final @Nullable BeforeConnectHook<S, V> onBeforeConnect;
    private final @Nullable ConnStateFactory<S, V> createConnState;
    private final @Nullable ConnHook<S, V> onConnect;
    private final @Nullable ConnHook<S, V> onDisconnect;
    private final @Nullable UnsubscribeHook<S, V> onUnsubscribe;
    private final @Nullable RequestHandler<S, V> onRequest;
    private final @Nullable WebSocketHandler<S, V> onWebSocket;
    private final Map<String, ActionDef<S, V>> actions;
    private final int stateVersion;
    private final @Nullable Duration sleepTimeout;
    private final @Nullable Duration actionTimeout;
    private final boolean repliesBeforeSave;

    private ActorType(Builder<S, V> b) {
        this.name = b.name;
        this.stateType = b.stateType;
        this.varsType = b.varsType;
        this.inputType = b.inputType;
        this.createState =
                Objects.requireNonNull(
                        b.createState, "actor type `" + b.name + "` needs createState");
        this.createVars = b.createVars;
        this.onMigrate = b.onMigrate;
        this.onCreate = b.onCreate;
        this.onWake = b.onWake;
        this.onSleep = b.onSleep;
        this.onDestroy = b.onDestroy;
        this.onBeforeConnect = b.onBeforeConnect;
        this.createConnState = b.createConnState;
        this.onConnect = b.onConnect;
        this.onDisconnect = b.onDisconnect;
        this.onUnsubscribe = b.onUnsubscribe;
        this.onRequest = b.onRequest;
        this.onWebSocket = b.onWebSocket;
        this.actions = Map.copyOf(b.actions);
        this.stateVersion = b.stateVersion;
        this.sleepTimeout = b.sleepTimeout;
        this.actionTimeout = b.actionTimeout;
        this.repliesBeforeSave = b.repliesBeforeSave;
    }

    /** An actor type without vars. */
    public static <S> Builder<S, Void> builder(String name, Class<S> stateType) {
        return new Builder<>(name, stateType, Void.class);
    }

    public static <S, V> Builder<S, V> builder(String name, Class<S> stateType, Class<V> varsType) {
        return new Builder<>(name, stateType, varsType);
    }

    public String name() {
        return name;
    }

    public Class<S> stateType() {
        return stateType;
    }

    public Class<V> varsType() {
        return varsType;
    }

    Class<?> inputType() {
        return inputType;
    }

    StateFactory<S, V, Object> createState() {
        return createState;
    }

    @Nullable ContextFunction<S, V, V> createVars() {
        return createVars;
    }

    @Nullable MigrateHook<S, V> onMigrate() {
        return onMigrate;
    }

    @Nullable InputHook<S, V, Object> onCreate() {
        return onCreate;
    }

    @Nullable Hook<S, V> onWake() {
        return onWake;
    }

    @Nullable Hook<S, V> onSleep() {
        return onSleep;
    }

    @Nullable Hook<S, V> onDestroy() {
        return onDestroy;
    }

    @Nullable BeforeConnectHook<S, V> onBeforeConnect() {
        return onBeforeConnect;
    }

    @Nullable ConnStateFactory<S, V> createConnState() {
        return createConnState;
    }

    @Nullable ConnHook<S, V> onConnect() {
        return onConnect;
    }

    @Nullable ConnHook<S, V> onDisconnect() {
        return onDisconnect;
    }

    @Nullable UnsubscribeHook<S, V> onUnsubscribe() {
        return onUnsubscribe;
    }

    @Nullable RequestHandler<S, V> onRequest() {
        return onRequest;
    }

    @Nullable WebSocketHandler<S, V> onWebSocket() {
        return onWebSocket;
    }

    @Nullable ActionDef<S, V> action(String action) {
        return actions.get(action);
    }

    /** The action names, for diagnostics and metadata. */
    public java.util.Set<String> actionNames() {
        return actions.keySet();
    }

    public int stateVersion() {
        return stateVersion;
    }

    /** Idle time before the actor sleeps; null means the registry's default. */
    @Nullable Duration sleepTimeout() {
        return sleepTimeout;
    }

    @Nullable Duration actionTimeout() {
        return actionTimeout;
    }

    /** Whether every action of this type replies before its state change is saved. */
    boolean repliesBeforeSave() {
        return repliesBeforeSave;
    }

    /** Builds an {@link ActorType}; every setting but {@code createState} is optional. */
    public static final class Builder<S, V> {
        private final String name;
        private final Class<S> stateType;
        private final Class<V> varsType;
        private Class<?> inputType = Object.class;
        private @Nullable StateFactory<S, V, Object> createState;
        private @Nullable ContextFunction<S, V, V> createVars;
        private @Nullable MigrateHook<S, V> onMigrate;
        private @Nullable InputHook<S, V, Object> onCreate;
        private @Nullable Hook<S, V> onWake;
        private @Nullable Hook<S, V> onSleep;
        private @Nullable Hook<S, V> onDestroy;
        private @Nullable BeforeConnectHook<S, V> onBeforeConnect;
        private @Nullable ConnStateFactory<S, V> createConnState;
        private @Nullable ConnHook<S, V> onConnect;
        private @Nullable ConnHook<S, V> onDisconnect;
        private @Nullable UnsubscribeHook<S, V> onUnsubscribe;
        private @Nullable RequestHandler<S, V> onRequest;
        private @Nullable WebSocketHandler<S, V> onWebSocket;
        private final Map<String, ActionDef<S, V>> actions = new HashMap<>();
        private int stateVersion = 1;
        private @Nullable Duration sleepTimeout;
        private @Nullable Duration actionTimeout;
        private boolean repliesBeforeSave;

        private Builder(String name, Class<S> stateType, Class<V> varsType) {
            if (name == null || name.isEmpty() || name.length() > 64) {
                throw new IllegalArgumentException(
                        "an actor type name has 1 to 64 characters: " + name);
            }
            this.name = name;
            this.stateType = Objects.requireNonNull(stateType, "stateType");
            this.varsType = Objects.requireNonNull(varsType, "varsType");
        }

        /** Makes the initial state, once, when the actor is created. */
        public Builder<S, V> createState(ContextFunction<S, V, S> factory) {
            Objects.requireNonNull(factory, "factory");
            return createState(Object.class, (c, input) -> factory.apply(c));
        }

        /** Makes the initial state from the creation input, read as {@code inputType}. */
        @SuppressWarnings("unchecked")
        public <I> Builder<S, V> createState(Class<I> inputType, StateFactory<S, V, I> factory) {
            Objects.requireNonNull(factory, "factory");
            this.inputType = Objects.requireNonNull(inputType, "inputType");
            this.createState = (StateFactory<S, V, Object>) factory;
            return this;
        }

        /** Makes the vars on every wake (after {@code onCreate} and before {@code onWake}). */
        public Builder<S, V> createVars(ContextFunction<S, V, V> factory) {
            this.createVars = factory;
            return this;
        }

        /**
         * Runs first on every start, to upgrade stored state written by an older {@link
         * #stateVersion}.
         */
        public Builder<S, V> onMigrate(MigrateHook<S, V> hook) {
            this.onMigrate = hook;
            return this;
        }

        /**
         * Runs once, after {@code createState}, with the creation input read as {@code createState}
         * reads it.
         */
        @SuppressWarnings("unchecked")
        public <I> Builder<S, V> onCreate(InputHook<S, V, I> hook) {
            this.onCreate = (InputHook<S, V, Object>) hook;
            return this;
        }

        public Builder<S, V> onWake(Hook<S, V> hook) {
            this.onWake = hook;
            return this;
        }

        /**
         * Runs before the actor sleeps; its state is saved after this returns and before sleep
         * completes.
         */
        public Builder<S, V> onSleep(Hook<S, V> hook) {
            this.onSleep = hook;
            return this;
        }

        public Builder<S, V> onDestroy(Hook<S, V> hook) {
            this.onDestroy = hook;
            return this;
        }

        public Builder<S, V> onBeforeConnect(BeforeConnectHook<S, V> hook) {
            this.onBeforeConnect = hook;
            return this;
        }

        public Builder<S, V> createConnState(ConnStateFactory<S, V> factory) {
            this.createConnState = factory;
            return this;
        }

        public Builder<S, V> onConnect(ConnHook<S, V> hook) {
            this.onConnect = hook;
            return this;
        }

        public Builder<S, V> onDisconnect(ConnHook<S, V> hook) {
            this.onDisconnect = hook;
            return this;
        }

        /**
         * Runs, holding the turn, after a connection unsubscribed from an event (not when it
         * disconnects: that is {@code onDisconnect}). With {@link Conn#isSubscribed}, lets an actor
         * act when nobody listens any more.
         */
        public Builder<S, V> onUnsubscribe(UnsubscribeHook<S, V> hook) {
            this.onUnsubscribe = hook;
            return this;
        }

        /**
         * Answers raw HTTP requests under the actor's {@code /request/…} route; bounded by the
         * action timeout.
         */
        public Builder<S, V> onRequest(RequestHandler<S, V> handler) {
            this.onRequest = handler;
            return this;
        }

        /** Accepts raw WebSockets under the actor's {@code /websocket/…} route. */
        public Builder<S, V> onWebSocket(WebSocketHandler<S, V> handler) {
            this.onWebSocket = handler;
            return this;
        }

        public <R> Builder<S, V> action(String action, Action0<S, V, R> handler) {
            return action(action, handler, null);
        }

        public <R> Builder<S, V> action(
                String action, Action0<S, V, R> handler, @Nullable ActionOptions options) {
            Objects.requireNonNull(handler, "handler");
            return actionWithArgs(action, (c, args) -> handler.call(c), options);
        }

        /** An action with one argument, read as {@code argType}. */
        public <A, R> Builder<S, V> action(
                String action, Class<A> argType, Action1<S, V, A, R> handler) {
            return action(action, argType, handler, null);
        }

        public <A, R> Builder<S, V> action(
                String action,
                Class<A> argType,
                Action1<S, V, A, R> handler,
                @Nullable ActionOptions options) {
            Objects.requireNonNull(argType, "argType");
            Objects.requireNonNull(handler, "handler");
            return actionWithArgs(
                    action, (c, args) -> handler.call(c, args.get(0, argType)), options);
        }

        public <R> Builder<S, V> actionWithArgs(String action, ActionN<S, V, R> handler) {
            return actionWithArgs(action, handler, null);
        }

        public <R> Builder<S, V> actionWithArgs(
                String action, ActionN<S, V, R> handler, @Nullable ActionOptions options) {
            Objects.requireNonNull(action, "action");
            Objects.requireNonNull(handler, "handler");
            if (actions.putIfAbsent(action, new ActionDef<>(handler, options)) != null) {
                throw new IllegalArgumentException(
                        "action `" + action + "` is defined twice on `" + name + "`");
            }
            return this;
        }

        /**
         * The version of the state's shape; stored with the state and handed to {@code onMigrate}.
         * Default 1.
         */
        public Builder<S, V> stateVersion(int version) {
            if (version < 1) {
                throw new IllegalArgumentException("state versions start at 1");
            }
            this.stateVersion = version;
            return this;
        }

        /**
         * Idle time before this type's actors sleep (default: the registry's, 30 s as in RivetKit).
         */
        public Builder<S, V> sleepTimeout(Duration timeout) {
            this.sleepTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * Default timeout of this type's actions (default: the registry's, 60 s as in RivetKit).
         */
        public Builder<S, V> actionTimeout(Duration timeout) {
            this.actionTimeout = new ActionOptions(timeout).timeout();
            return this;
        }

        /**
         * Every action of this type replies as soon as it returns, before what it changed is saved
         * (within the save interval, 100 ms by default), as {@link ActionOptions#replyBeforeSave()}
         * does for one action. Faster; a crash in that window loses changes their callers saw
         * acknowledged. By default a reply waits until what the action changed is durable.
         */
        public Builder<S, V> replyBeforeSave() {
            this.repliesBeforeSave = true;
            return this;
        }

        public ActorType<S, V> build() {
            return new ActorType<>(this);
        }
    }
}
