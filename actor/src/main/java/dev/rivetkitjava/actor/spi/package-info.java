/**
 * What a server or a multi-node placement needs of the runtime, apart from the user-facing API: the
 * {@link dev.rivetkitjava.actor.spi.Placement} every call goes through, how a caller names an actor
 * ({@link dev.rivetkitjava.actor.spi.ActorQuery}), where a connection's events go ({@link
 * dev.rivetkitjava.actor.spi.ConnectionSink}, {@link dev.rivetkitjava.actor.spi.ActorEvent} with
 * its encode cache) and the runtime's counters ({@link dev.rivetkitjava.actor.spi.RuntimeStats}).
 */
package dev.rivetkitjava.actor.spi;
