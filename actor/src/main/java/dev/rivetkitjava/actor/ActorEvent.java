package dev.rivetkitjava.actor;

import java.util.List;

/** An event on its way to connections: a name and its arguments, as RivetKit's {@code Event{name, args}}. */
public record ActorEvent(String name, List<Object> args) {
    public ActorEvent {
        args = java.util.Collections.unmodifiableList(java.util.Arrays.asList(args.toArray()));
    }
}
