package dev.rivetkitjava.actor.spi;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rivetkitjava.actor.store.ActorStore;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The placement that runs actors in this process, as a multi-node placement drives it: it hosts an
 * activation where the cluster puts it, puts one to sleep when the cluster moves it, and hears when
 * one stops by itself.
 */
public interface LocalPlacement extends Placement {

    /**
     * Puts the actor to sleep if it is awake here (state saved before this returns). @return
     * whether it was awake
     */
    boolean sleep(String actorId);

    /** Wakes the actor here if it is asleep. */
    void wake(String actorId);

    /**
     * Restores the connections actors keep in their storage, with {@code restorer}, whenever one
     * starts here; set before any actor starts. Without one, kept connections are not restored.
     */
    void restoreConnectionsWith(ConnectionRestorer restorer);

    /** Whether the actor has an activation in this process. */
    boolean awake(String actorId);

    /** The actors awake in this process. */
    Set<String> awakeActorIds();

    /**
     * Called with an actor's id whenever one of its activations here stopped (slept, was destroyed
     * or fenced).
     */
    void onActivationStopped(Consumer<String> listener);

    /** The JSON mapper for state, arguments and results. */
    ObjectMapper objectMapper();

    /** The store actors live in while asleep. */
    ActorStore store();
}
