package dev.rivetkitjava.actor;

import java.util.Optional;

/**
 * The context of one action call: the actor's context plus the connection that made the call, if
 * any.
 */
public interface ActionContext<S, V> extends ActorContext<S, V> {

    /**
     * The calling connection; empty for calls that came through no connection (in-process,
     * scheduled).
     */
    Optional<Conn> conn();
}
