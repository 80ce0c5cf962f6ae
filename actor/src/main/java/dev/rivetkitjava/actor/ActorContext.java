package dev.rivetkitjava.actor;

import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;

/**
 * What actor code sees of its actor: the twin of RivetKit's {@code c}.
 *
 * <h2>Turns</h2>
 *
 * Actions and hooks run one at a time per actor, each holding the actor's <em>turn</em>, so state
 * updates never interleave. An action that waits (an agent turn can take minutes) calls {@link
 * #await(Callable)}: like JavaScript's {@code await}, it hands the turn to other actions,
 * connections and broadcasts while it waits and takes it back before returning. State is reachable
 * only while holding the turn; read it again after an await.
 */
public interface ActorContext<S, V> {

    String actorId();

    /** The actor type's name. */
    String name();

    ActorKey key();

    /**
     * Incremented on every wake; also the epoch that fences stale writers of this actor's state.
     */
    long generation();

    /**
     * The durable state. Mutating it (or {@link #setState replacing} it) is saved within the
     * registry's save interval, on sleep and on shutdown. Only reachable while this code holds the
     * actor's turn.
     */
    S state();

    void setState(S state);

    /** Saves the state now, durably, instead of within the save interval. */
    void saveState();

    /**
     * The ephemeral vars, rebuilt by {@code createVars} on every wake; unreachable once the actor
     * sleeps.
     */
    V vars();

    /**
     * Sends an event to every connection subscribed to {@code event}. Safe from any thread while
     * awake.
     */
    void broadcast(String event, Object... args);

    /** The open connections. */
    Collection<Conn> conns();

    /**
     * The actor's durable key-value store: each write is durable on return, needs no turn, and is
     * fenced like state saves. See {@link ActorKv}.
     */
    ActorKv kv();

    /** Durable scheduled action calls: they fire after a restart too, waking the actor. */
    Schedule schedule();

    /**
     * Runs {@code work} without holding the actor's turn, so other actions may run meanwhile, then
     * takes the turn back. Bounded by the calling action's timeout.
     */
    <T> T await(Callable<T> work) throws Exception;

    /** Waits for {@code stage} without holding the actor's turn; see {@link #await(Callable)}. */
    <T> T await(CompletionStage<T> stage) throws Exception;

    /**
     * Runs {@code work} holding the actor's turn, from any thread: code that runs outside actions
     * (an SDK's callback thread, a persist driver) reads and writes state as an action would, and
     * can make a write durable with {@link #saveState()} before it returns. Waits for the turn as
     * an action does, bounded by the type's action timeout; a thread that already holds the turn
     * just runs {@code work}.
     *
     * @throws ActorError {@code actor.stopped} when this activation is no longer awake (it slept or
     *     was destroyed); {@code actor.action_timed_out} when the turn did not come in time
     */
    <T> T withTurn(Callable<T> work) throws Exception;

    /**
     * Completes when this activation begins to stop (destroy, shutdown), before the stop waits for
     * running actions: RivetKit's {@code c.abortSignal}. A sleep (which begins only when no action
     * runs) completes it once its state is saved: a sleep postponed because the save failed leaves
     * the actor awake and the signal unfired. An action that awaits something long (an agent's
     * turn, which has no timeout) listens to it to end early, instead of holding the stop up for
     * the registry's grace period (15 s) and then losing what it waits for. Listeners run on a
     * thread of their own, not holding the turn.
     */
    CompletionStage<Void> abortSignal();

    /** Keeps the actor awake until {@code work} completes. */
    <T> CompletionStage<T> keepAwake(CompletionStage<T> work);

    /** Puts the actor to sleep once no action is running. */
    void sleep();

    /**
     * Destroys the actor once no action is running: {@code onDestroy}, then its state and schedules
     * are deleted.
     */
    void destroy();

    /** The registry's clock in epoch milliseconds (a test clock in tests). */
    long nowMillis();

    Logger log();

    /** The durable schedule of one actor. */
    interface Schedule {
        /** Calls {@code action} with {@code args} after {@code delay}; returns the event id. */
        String after(Duration delay, String action, Object... args);

        /** Calls {@code action} with {@code args} at {@code epochMillis}; returns the event id. */
        String at(long epochMillis, String action, Object... args);

        /**
         * @return whether the event was still pending
         */
        boolean cancel(String eventId);

        /** The pending events, earliest first. */
        java.util.List<dev.rivetkitjava.actor.ScheduledEvent> list();
    }
}
