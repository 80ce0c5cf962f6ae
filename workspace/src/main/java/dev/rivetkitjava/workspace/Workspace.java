package dev.rivetkitjava.workspace;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.sandboxagent.persist.actor.PersistedSessions;
import java.util.List;

/**
 * The workspace actor's data: its durable state, the arguments and results of its actions and the payloads of its
 * events, as the web page and the official client see them (JSON, field for field).
 */
public final class Workspace {

    private Workspace() {
    }

    /** Creation input: the agent this workspace runs; null takes the server's default. */
    public record CreateInput(String agent) {
    }

    /**
     * Durable state.
     *
     * @param sessions the Sandbox Agent session and its events (the actor-state persist driver's data)
     * @param notes what the workspace adds to the session's events in the timeline (chat, errors, permissions)
     */
    public record State(String sandboxId, String baseUrl, String agent, PersistedSessions sessions, List<Note> notes) {

        State withBaseUrl(String url) {
            return new State(sandboxId, url, agent, sessions, notes);
        }
    }

    /**
     * One timeline entry of the workspace's own, placed after the session event with index {@code afterEventIndex}
     * (0: before all of them).
     */
    public record Note(long afterEventIndex, String event, JsonNode data) {
    }

    /** One entry of {@code getHistory()}: the event's name and its payload, as it was broadcast. */
    public record TimelineEntry(String event, Object data) {
    }

    public record SessionInfo(String workspaceId, String sandboxId) {
    }

    public record PromptInput(String userId, String text) {
    }

    public record PromptResult(String stopReason) {
    }

    /** {@code chat.user}. */
    public record ChatUser(String userId, String text, long createdAt) {
    }

    /** {@code session.error}. */
    public record SessionError(String message, long createdAt) {
    }

    public record Participant(String userId, long joinedAt) {
    }

    /** {@code presence.leave}. */
    public record Left(String userId) {
    }

    public record QueuedPrompt(String promptId, String userId, String text) {
    }

    /** {@code queue.updated}. */
    public record QueueState(QueuedPrompt running, List<QueuedPrompt> waiting) {
    }

    /** {@code permission.requested}. */
    public record PermissionRequested(String id, long createdAt, JsonNode toolCall, JsonNode options,
                                      List<String> availableReplies) {
    }

    /** The argument of {@code respondPermission}, and {@code permission.resolved}. */
    public record PermissionAnswer(String id, String reply, String userId) {
    }

    /** Connection parameters. */
    public record Params(String userId) {
    }
}
