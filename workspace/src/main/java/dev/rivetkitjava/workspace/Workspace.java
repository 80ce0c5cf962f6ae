package dev.rivetkitjava.workspace;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.sandboxagent.persist.actor.PersistedSessions;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The workspace actor's data: its durable state, the arguments and results of its actions and the
 * payloads of its events, as the web page and the official client see them (JSON, field for field).
 */
public final class Workspace {

    private Workspace() {}

    /** Creation input: the agent this workspace runs; null takes the server's default. */
    public record CreateInput(String agent) {}

    /**
     * Durable state.
     *
     * @param sandboxId the opaque id the server gives its Sandbox Agent (set again on every wake)
     * @param baseUrl the Sandbox Agent's URL (set again on every wake; never shown to clients)
     * @param sessions the Sandbox Agent session (the actor-state persist driver's data; its events
     *     are in the key-value store, a bounded tail for session restore)
     * @param notes what the previous version added to the session's events in its timeline; moved
     *     to the key-value timeline on the first wake of this version, then empty (and not written)
     */
    public record State(
            String sandboxId,
            String baseUrl,
            String agent,
            PersistedSessions sessions,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Note> notes) {

        public State {
            notes = notes == null ? List.of() : List.copyOf(notes);
        }

        public State(String sandboxId, String baseUrl, String agent, PersistedSessions sessions) {
            this(sandboxId, baseUrl, agent, sessions, List.of());
        }

        State withServer(String newSandboxId, String newBaseUrl) {
            return new State(newSandboxId, newBaseUrl, agent, sessions, notes);
        }

        State withoutNotes() {
            return new State(sandboxId, baseUrl, agent, sessions, List.of());
        }
    }

    /**
     * The previous version's timeline entry of the workspace's own, placed after the session event
     * with index {@code afterEventIndex} (0: before all of them). Read only to migrate.
     */
    public record Note(long afterEventIndex, String event, JsonNode data) {}

    /**
     * One entry of {@code getHistory()}: its seq, the event's name and its payload, as it was
     * broadcast.
     */
    public record TimelineEntry(long seq, String event, JsonNode data) {}

    /**
     * The argument of {@code getHistory}: the entries before {@code beforeSeq} (null: the latest),
     * at most {@code limit}.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record HistoryQuery(@Nullable Long beforeSeq, @Nullable Integer limit) {}

    /**
     * {@code getSessionInfo()}: {@code sandboxId} is an opaque id, never the Sandbox Agent's URL.
     */
    public record SessionInfo(String workspaceId, String sandboxId) {}

    /**
     * The argument of {@code prompt}. {@code userId} is read only in open mode from a caller that
     * declared no name (the seed's client); otherwise the author is the caller.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record PromptInput(String userId, String text) {}

    public record PromptResult(String stopReason) {}

    /** {@code chat.user}. */
    public record ChatUser(String userId, String name, String text, long createdAt) {}

    /**
     * {@code session.error}: a generic message with a ref that the server log shares, never the
     * detail.
     */
    public record SessionError(String message, long createdAt) {}

    /** {@code presence.join} and the entries of {@code listParticipants()}. */
    public record Participant(String userId, String name, Caller.Role role, long joinedAt) {}

    /** {@code presence.leave}. */
    public record Left(String userId) {}

    /**
     * An entry of the queue.
     *
     * @param text the prompt's first {@value WorkspaceActor#PREVIEW_CHARS} characters
     * @param truncated whether {@code text} was cut
     */
    public record QueuedPrompt(
            String promptId, String userId, String name, String text, boolean truncated) {}

    /** {@code queue.updated} and {@code getQueue()}. */
    public record QueueState(@Nullable QueuedPrompt running, List<QueuedPrompt> waiting) {}

    /** {@code permission.requested}. */
    public record PermissionRequested(
            String id,
            long createdAt,
            @Nullable JsonNode toolCall,
            JsonNode options,
            List<String> availableReplies) {}

    /**
     * The argument of {@code respondPermission}: {@code once}, {@code always} or {@code reject};
     * any other field is ignored.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record PermissionAnswer(@Nullable String id, @Nullable String reply) {}

    /**
     * {@code permission.resolved}.
     *
     * @param reply {@code once}, {@code always}, {@code reject}, or {@code cancelled} (a policy
     *     that found no fitting option)
     * @param userId who answered ({@code by: "user"}), else null
     * @param by {@code user} or {@code policy}
     * @param reason for {@code policy}: {@code no_listener}, {@code listeners_left} or {@code
     *     timeout}; else null
     */
    public record PermissionResolved(
            String id,
            String reply,
            @Nullable String userId,
            @Nullable String name,
            String by,
            @Nullable String reason) {}

    /** Connection parameters in open mode ({@link WorkspaceAccess#open()}). */
    public record Params(String userId) {}
}
