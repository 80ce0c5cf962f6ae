package dev.rivetkitjava.server;

import dev.rivetkitjava.actor.ActorError;

/**
 * RivetKit's HTTP status for each error; anything not listed, user errors included, is a 500 as
 * there.
 */
final class ErrorStatus {
    private ErrorStatus() {}

    static int of(ActorError error) {
        return switch (error.qualifiedCode()) {
            case "auth.forbidden",
                    "guard.origin_not_allowed",
                    "guard.host_not_allowed",
                    "guard.admin_token_required" ->
                    403;
            case "actor.not_found", "actor.action_not_found", "guard.not_found" -> 404;
            case "actor.method_not_allowed" -> 405;
            case "actor.action_timed_out" -> 408;
            case "actor.invalid_request",
                    "actor.invalid_key",
                    "actor.duplicate_key",
                    "guard.query_invalid_params",
                    "guard.query_missing_pool",
                    "namespace.not_found" ->
                    400;
            // Retryable: the actor is moving to another node (a cluster), or a node is stopping.
            case "actor.stopped", "actor.moving", "guard.service_unavailable" -> 503;
            default -> error.group().equals("message") || error.group().equals("queue") ? 400 : 500;
        };
    }
}
