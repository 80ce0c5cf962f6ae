package dev.rivetkitjava.actor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rivetkitjava.actor.store.InMemoryActorStore;
import dev.rivetkitjava.actor.store.StateWrite;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** Every bad input gets a typed error; the actor, its neighbours and its saved state carry on. */
class BadInputTest {
    record Count(int count) {}

    record Amount(int amount) {}

    private final InMemoryActorStore store = new InMemoryActorStore();
    private final AtomicBoolean failWake = new AtomicBoolean();

    private ActorType<Count, Void> counter() {
        return ActorType.builder("counter", Count.class)
                .createState(c -> new Count(0))
                .onWake(
                        c -> {
                            if (failWake.get()) {
                                throw new IllegalStateException("wake failed");
                            }
                        })
                .action(
                        "add",
                        Amount.class,
                        (c, in) -> {
                            c.setState(new Count(c.state().count() + in.amount()));
                            return c.state().count();
                        })
                .action("get", c -> c.state().count())
                .action(
                        "crash",
                        c -> {
                            c.setState(new Count(-1));
                            throw new IllegalStateException("secret detail");
                        })
                .action(
                        "refuse",
                        c -> {
                            throw new UserError(
                                    "not allowed", "forbidden_amount", Map.of("limit", 10));
                        })
                .action("recurse", c -> recurse(1))
                .build();
    }

    @SuppressWarnings("InfiniteRecursion") // on purpose: the action overflows the stack
    private static int recurse(int depth) {
        return recurse(depth + 1) + 1;
    }

    private Registry registry() {
        return Registry.builder().use(counter()).store(store).build();
    }

    private static void assertCode(ThrowingCallable call, String qualifiedCode) {
        assertThatThrownBy(call)
                .isInstanceOfSatisfying(
                        ActorError.class,
                        e -> assertThat(e.qualifiedCode()).isEqualTo(qualifiedCode));
    }

    @Test
    void unknownActorTypeAndActionAreNotFound() {
        try (Registry registry = registry()) {
            assertCode(
                    () ->
                            registry.actor("nope")
                                    .getOrCreate(ActorKey.of("a"))
                                    .action("get", Integer.class),
                    "actor.not_found");
            ActorHandle actor = registry.actor("counter").getOrCreate(ActorKey.of("a"));
            assertThatThrownBy(() -> actor.action("nope", Integer.class))
                    .isInstanceOfSatisfying(
                            ActorError.class,
                            e -> {
                                assertThat(e.qualifiedCode()).isEqualTo("actor.action_not_found");
                                assertThat(e.getMessage())
                                        .isEqualTo("Action `nope` was not found.");
                            });
            assertThat(actor.action("add", Integer.class, new Amount(2))).isEqualTo(2);
        }
    }

    @Test
    void invalidKeysAreRejected() {
        try (Registry registry = registry()) {
            assertCode(() -> ActorKey.of("x".repeat(129)), "actor.invalid_key");
            assertCode(() -> ActorKey.of((String) null), "actor.invalid_key");
            ActorKey tooLong = new ActorKey(java.util.Collections.nCopies(20, "y".repeat(100)));
            assertCode(
                    () ->
                            registry.actor("counter")
                                    .getOrCreate(tooLong)
                                    .action("get", Integer.class),
                    "actor.invalid_key");
            assertCode(() -> ActorKey.parse("a\\x"), "actor.invalid_key");
            assertThat(registry.list("counter", null, 10)).isEmpty();
        }
    }

    @Test
    void argumentsOfTheWrongShapeAreInvalidRequests() {
        try (Registry registry = registry()) {
            ActorHandle actor = registry.actor("counter").getOrCreate(ActorKey.of("a"));
            assertCode(
                    () -> actor.action("add", Integer.class, Map.of("amount", "lots")),
                    "actor.invalid_request");
            assertThat(actor.action("add", Integer.class, Map.of("amount", 3))).isEqualTo(3);
        }
    }

    @Test
    void exceptionsInActionsAreInternalErrorsWithoutDetailAndChangeNothing() {
        try (Registry registry = registry()) {
            ActorHandle actor = registry.actor("counter").getOrCreate(ActorKey.of("a"));
            actor.action("add", Integer.class, new Amount(5));

            assertThatThrownBy(() -> actor.action("crash", Integer.class))
                    .isInstanceOfSatisfying(
                            ActorError.class,
                            e -> {
                                assertThat(e.qualifiedCode()).isEqualTo("rivetkit.internal_error");
                                assertThat(e.getMessage()).isEqualTo("An internal error occurred");
                            });
            assertCode(() -> actor.action("recurse", Integer.class), "rivetkit.internal_error");
            assertThatThrownBy(() -> actor.action("refuse", Integer.class))
                    .isInstanceOfSatisfying(
                            ActorError.class,
                            e -> {
                                assertThat(e.qualifiedCode()).isEqualTo("user.forbidden_amount");
                                assertThat(e.getMessage()).isEqualTo("not allowed");
                                assertThat(e.metadata()).containsEntry("limit", 10);
                            });
            // The thrown action's state change stays (as in RivetKit: no rollback), and the actor
            // keeps serving.
            assertThat(actor.action("add", Integer.class, new Amount(1))).isEqualTo(0);
        }
    }

    @Test
    void aFailingWakeHookFailsTheCallAndKeepsTheSavedState() {
        String id;
        try (Registry registry = registry()) {
            ActorHandle actor = registry.actor("counter").getOrCreate(ActorKey.of("a"));
            actor.action("add", Integer.class, new Amount(7));
            id = actor.resolve();
        }
        failWake.set(true);
        try (Registry registry = registry()) {
            assertCode(
                    () -> registry.actor("counter").getForId(id).action("get", Integer.class),
                    "rivetkit.internal_error");
            ActorHandle other = registry.actor("counter").getOrCreate(ActorKey.of("b"));
            assertCode(() -> other.action("get", Integer.class), "rivetkit.internal_error");
            failWake.set(false);
            assertThat(other.action("add", Integer.class, new Amount(1))).isEqualTo(1);
            assertThat(registry.actor("counter").getForId(id).action("get", Integer.class))
                    .isEqualTo(7);
        }
    }

    @Test
    void stateThatCannotBeReadIsReportedAndLeftUntouched() {
        String id;
        try (Registry registry = registry()) {
            ActorHandle actor = registry.actor("counter").getOrCreate(ActorKey.of("a"));
            actor.action("add", Integer.class, new Amount(1));
            id = actor.resolve();
        }
        byte[] garbage = "{\"count\": [not json".getBytes(StandardCharsets.UTF_8);
        long generation = store.findById(id).orElseThrow().generation();
        assertThat(store.saveStates(List.of(new StateWrite(id, generation, garbage, 1)))).isEmpty();

        try (Registry registry = registry()) {
            assertCode(
                    () -> registry.actor("counter").getForId(id).action("get", Integer.class),
                    "actor.state_unreadable");
            assertThat(
                            registry.actor("counter")
                                    .getOrCreate(ActorKey.of("b"))
                                    .action("add", Integer.class, new Amount(2)))
                    .isEqualTo(2);
        }
        assertThat(store.findById(id).orElseThrow().state()).isEqualTo(garbage);
    }
}
