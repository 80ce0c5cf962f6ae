package dev.rivetkitjava.app;

import dev.rivetkitjava.actor.ActorType;

/**
 * RivetKit's canonical counter: {@code increment(amount)} returns the new count and broadcasts
 * {@code newCount}.
 */
public final class Counter {
    private Counter() {}

    public record State(int count) {}

    public static final ActorType<State, Void> TYPE =
            ActorType.builder("counter", State.class)
                    .createState(c -> new State(0))
                    .action(
                            "increment",
                            Integer.class,
                            (c, amount) -> {
                                c.setState(
                                        new State(
                                                c.state().count() + (amount == null ? 1 : amount)));
                                c.broadcast("newCount", c.state().count());
                                return c.state().count();
                            })
                    .action("getCount", c -> c.state().count())
                    .build();
}
