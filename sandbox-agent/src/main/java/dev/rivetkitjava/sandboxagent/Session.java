package dev.rivetkitjava.sandboxagent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.sandboxagent.persist.SessionRecord;
import java.util.List;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A handle on one persisted session; cheap, and every call reads the current record. Calls on a
 * session whose ACP binding is gone (new SDK instance, server restarted, agent exited) restore it
 * first: a new agent session, with the persisted history replayed as the first block of the next
 * prompt.
 */
public final class Session {

    private final SandboxAgent sdk;
    private final String id;
    private final String agent;

    Session(SandboxAgent sdk, String id, String agent) {
        this.sdk = sdk;
        this.id = id;
        this.agent = agent;
    }

    /** The local session id, stable across restores. */
    public String id() {
        return id;
    }

    public String agent() {
        return agent;
    }

    /**
     * The agent's session id of the current binding (changes when the session is restored), or null
     * when the record holds none.
     */
    public @Nullable String agentSessionId() {
        return record().agentSessionId();
    }

    /** The session as persisted now. */
    public SessionRecord record() {
        return sdk.record(id);
    }

    /**
     * Runs one turn and waits for its end (at most {@code promptTimeout}); its events are persisted
     * on return.
     *
     * @throws SessionPersistException when the session's events could not be persisted meanwhile
     *     (the turn is cancelled)
     * @throws SandboxAgentTimeoutException when the turn outlasts {@code promptTimeout}, or the
     *     server stops answering ({@code serverSilenceTimeout})
     */
    public PromptResult prompt(List<ContentBlock> prompt) {
        return sdk.prompt(id, prompt);
    }

    public PromptResult prompt(String text) {
        return prompt(List.of(ContentBlock.text(text)));
    }

    /**
     * Cancels the running turn (ACP {@code session/cancel}); the running {@link #prompt} returns
     * {@code cancelled}.
     */
    public void cancel() {
        sdk.cancel(id);
    }

    /** Selects a mode ({@code session/set_mode}), checked against the agent's modes. */
    public JsonNode setMode(String modeId) {
        return sdk.setMode(id, modeId);
    }

    /**
     * Selects a model (the config option of category {@code model}), checked against the agent's
     * choices.
     */
    public JsonNode setModel(String model) {
        return sdk.setConfigCategory(id, "model", model);
    }

    /** Selects a thought level (the config option of category {@code thought_level}). */
    public JsonNode setThoughtLevel(String level) {
        return sdk.setConfigCategory(id, "thought_level", level);
    }

    /**
     * Sets any config option ({@code session/set_config_option}), checked against the agent's
     * choices.
     */
    public JsonNode setConfigOption(String configId, String value) {
        return sdk.setConfigOption(id, configId, value);
    }

    /**
     * Sends any session method ({@code params.sessionId} set to the agent's) and returns its
     * result.
     */
    public JsonNode rawSend(String method, JsonNode params) {
        return sdk.rawSend(id, method, params);
    }

    public Subscription onEvent(Consumer<SessionEvent> listener) {
        return sdk.onSessionEvent(id, listener);
    }

    /** Errors of this session that no call reports (see {@link SandboxAgent#onSessionError}). */
    public Subscription onError(Consumer<SandboxAgentException> listener) {
        return sdk.onSessionError(id, listener);
    }

    public Subscription onPermissionRequest(Consumer<PermissionRequest> listener) {
        return sdk.onPermissionRequest(id, listener);
    }

    public void respondPermission(String permissionId, PermissionReply reply) {
        sdk.respondPermission(permissionId, reply);
    }

    @Override
    public String toString() {
        return "Session[" + id + ", agent " + agent + "]";
    }
}
