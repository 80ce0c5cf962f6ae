package dev.rivetkitjava.client;

import dev.rivetkitjava.protocol.Encoding;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The client against the REAL RivetKit 2.3.19 stack (Rivet Engine + Node registry, {@code
 * compat/}), in each encoding: every scenario of {@link ClientScenarios}. The engine is slow to
 * place an actor the first time (about 12 s for a fresh client process), so waits are generous.
 */
@Tag("external")
class RealStackClientTest extends ClientScenarios {
    private static final Duration SLOW = Duration.ofSeconds(120);

    @RegisterExtension static final ReferenceStack STACK = new ReferenceStack();

    @Override
    RivetClient client(Encoding encoding) {
        return RivetClient.builder()
                .endpoint(STACK.endpoint())
                .encoding(encoding)
                .actionTimeout(SLOW)
                .connectTimeout(Duration.ofSeconds(30))
                .build();
    }

    @Override
    Duration patience() {
        return SLOW;
    }

    /** Rivet Engine 2.3.19 cannot parse {@code no-such-id} as an actor id. */
    @Override
    String malformedActorIdError() {
        return "core.internal_error";
    }

    /**
     * Rivet Engine 2.3.19 created the actor but could not start it: "runtime startup preamble:
     * Unexpected end of buffer reading string" in its log, and {@code
     * guard.actor_wake_retries_exceeded} to the client.
     */
    @Override
    boolean startsActorsWithLargeInputs() {
        return false;
    }
}
