package dev.rivetkitjava.actor;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/** The runtime's own errors, with RivetKit's codes where RivetKit has one. */
final class ActorErrors {
    private ActorErrors() {}

    static ActorError notFound() {
        return new ActorError("actor", "not_found", "The actor does not exist or was destroyed.");
    }

    static ActorError unknownActorType(String name) {
        return new ActorError(
                "actor",
                "not_found",
                "No actor type named `" + name + "` is registered.",
                Map.of("name", name),
                null);
    }

    static ActorError duplicateKey(ActorKey key, String existingId) {
        return new ActorError(
                "actor",
                "duplicate_key",
                "Actor key '" + key.serialize() + "' already in use for actor '" + existingId + "'",
                Map.of("existing_actor_id", existingId, "key", key.serialize()),
                null);
    }

    static ActorError actionNotFound(String action) {
        return new ActorError(
                "actor", "action_not_found", "Action `" + action + "` was not found.");
    }

    static ActorError actionTimedOut(String action) {
        return new ActorError("actor", "action_timed_out", "Action `" + action + "` timed out.");
    }

    /**
     * A repeat of a call whose run was lost with its node (see {@link ActionCall#repeatOfLostRun}).
     */
    static ActorError callInterrupted(String action) {
        return new ActorError(
                "actor",
                "call_interrupted",
                "Action `"
                        + action
                        + "` was running on a node that stopped, and it left no outcome; it was not"
                        + " run again, since part of it may have happened.");
    }

    static ActorError invalidKey(String why) {
        return new ActorError("actor", "invalid_key", "Invalid actor key: " + why + ".");
    }

    static ActorError invalidRequest(String why, @Nullable Throwable cause) {
        return new ActorError("actor", "invalid_request", why, Map.of(), cause);
    }

    static ActorError stateUnreadable(String actorId, Throwable cause) {
        return new ActorError(
                "actor",
                "state_unreadable",
                "The actor's stored state could not be read; it is kept unchanged in the store.",
                Map.of("actorId", actorId),
                cause);
    }

    /** A durable reply could not be given: the state is kept in memory and its save retried. */
    static ActorError stateSaveFailed(String actorId, String reason, @Nullable Throwable cause) {
        return new ActorError(
                "actor",
                "state_save_failed",
                "The actor's state could not be saved: "
                        + reason
                        + "; it is kept in memory and retried.",
                Map.of("actorId", actorId),
                cause);
    }

    /**
     * A short reason for a save failure, for messages and logs: the root cause's message, trimmed.
     */
    static String shortReason(Throwable error) {
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message =
                root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        if (root != error
                && error.getMessage() != null
                && error.getMessage().startsWith("cannot write JSON")) {
            message = "the state cannot be serialised (" + message + ")";
        }
        message = message.replaceAll("\\s+", " ").strip();
        return message.length() > 200 ? message.substring(0, 197) + "..." : message;
    }

    static ActorError stopped(String actorId) {
        return new ActorError(
                "actor",
                "stopped",
                "This actor instance has stopped; call it again to wake it.",
                Map.of("actorId", actorId),
                null);
    }

    static ActorError fenced(String actorId) {
        return new ActorError(
                "actor",
                "fenced",
                "Another activation of this actor took over; this one stopped without saving.",
                Map.of("actorId", actorId),
                null);
    }

    /**
     * What a caller sees when the actor's own code threw (not the runtime): it marks a user-caused
     * failure.
     */
    static final class CodeFailed extends ActorError {
        CodeFailed(ActorError error) {
            super(error.group(), error.code(), error.message(), error.metadata(), error.getCause());
        }
    }

    static ActorError internal(Throwable cause) {
        return new ActorError(
                "rivetkit", "internal_error", "An internal error occurred", Map.of(), cause);
    }
}
