package dev.rivetkitjava.client;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Which failures are worth another try, and how long to wait before it (RivetKit's rules, with
 * Java's additions).
 */
final class Retry {
    /**
     * Signals that the actor or the engine is between lives: the same request will work shortly.
     */
    private static final Set<String> LIFECYCLE =
            Set.of(
                    "actor.restarting",
                    "guard.service_unavailable",
                    "guard.actor_wake_retries_exceeded",
                    "guard.actor_stopped_while_waiting",
                    "guard.tunnel_request_aborted",
                    "guard.tunnel_message_timeout",
                    "guard.tunnel_response_closed",
                    "guard.gateway_response_start_timeout",
                    "guard.actor_ready_timeout",
                    "guard.actor_runner_failed");

    /** Closes after which a connection opens again (on top of {@link #LIFECYCLE}). */
    private static final Set<String> RECONNECT = Set.of("actor.stopped", "ws.going_away");

    /**
     * An actor found by key that is starting, stopping or gone: finding it by key again may reach
     * its next life.
     */
    private static final Set<String> STALE =
            Set.of(
                    "actor.starting",
                    "actor.stopping",
                    "actor.not_configured",
                    "actor.dropped_reply",
                    "actor.destroying");

    static final Duration MIN_DELAY = Duration.ofMillis(250);
    static final Duration MAX_DELAY = Duration.ofSeconds(30);

    private Retry() {}

    /**
     * For a stateless request: retried on lifecycle signals, and on stale-actor codes when found by
     * key.
     */
    static boolean request(RivetError e, boolean byKey) {
        String code = e.qualifiedCode();
        return LIFECYCLE.contains(code) || (byKey && isStale(code));
    }

    /**
     * For a connection that failed to open: a transport failure (server restarting, connection
     * refused) keeps retrying, unlike RivetKit's JS client, which gives up; so do lifecycle signals
     * and, when found by key, stale-actor codes. Any other structured error (a refused connection,
     * a missing actor) is final.
     */
    static boolean connect(ClientError e, boolean byKey, boolean create) {
        if (!(e instanceof RivetError rivet)) {
            return !(e instanceof HandshakeRefused);
        }
        String code = rivet.qualifiedCode();
        return LIFECYCLE.contains(code)
                || RECONNECT.contains(code)
                || (byKey && (isStale(code) || (create && code.equals("actor.not_found"))));
    }

    private static boolean isStale(String code) {
        return STALE.contains(code) || code.startsWith("actor.destroyed_");
    }

    /**
     * Exponential from 250 ms to 30 s, jittered between half and all of it so clients do not return
     * in step.
     */
    static Duration reconnectDelay(int failures) {
        long max =
                Math.min(
                        MAX_DELAY.toMillis(),
                        MIN_DELAY.toMillis() << Math.min(Math.max(failures - 1, 0), 20));
        return Duration.ofMillis(max / 2 + ThreadLocalRandom.current().nextLong(max / 2 + 1));
    }

    /**
     * A WebSocket upgrade answered with a 4xx status: the request itself is wrong, and will stay
     * wrong.
     */
    static final class HandshakeRefused extends ClientError {
        private static final long serialVersionUID = 1L;

        HandshakeRefused(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
