package dev.rivetkitjava.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rivetkitjava.actor.ActionOptions;
import dev.rivetkitjava.actor.ActorContext;
import dev.rivetkitjava.actor.ActorType;
import dev.rivetkitjava.actor.Conn;
import dev.rivetkitjava.actor.UserError;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * TEST DOUBLE of the workspace actor, for the page's browser test until the real one (Sandbox Agent SDK) lands:
 * the same contract (actions, events, history, presence, FIFO queue, permissions), but the agent is a script. Each
 * turn streams a few {@code agent_message_chunk}s, starts a tool call that asks permission, finishes or fails it
 * by the answer, streams a last chunk and ends with {@code end_turn} (or {@code cancelled}). A prompt containing
 * {@value #CRASH} makes the agent "exit" after its first chunk: a {@code session.error}, stop reason {@code error}.
 */
final class ScriptedWorkspace {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> REPLIES = Set.of("once", "always", "reject");
    /** The pace of the scripted agent, so a browser sees the reply stream in. */
    private static final long STEP_MILLIS = 120;
    static final String CRASH = "[crash]";

    record TimelineEntry(String event, JsonNode data) {
    }

    static final class State {
        public String sandboxId = "scripted-sandbox";
        public List<TimelineEntry> history = new ArrayList<>();
        public int nextEventIndex;
    }

    /** Only touched while holding the actor's turn. */
    static final class Vars {
        final Deque<QueuedPrompt> waiting = new ArrayDeque<>();
        QueuedPrompt running;
        CompletableFuture<Void> previousTurn = CompletableFuture.completedFuture(null);
        CompletableFuture<Void> cancelled = new CompletableFuture<>();
        final Map<String, CompletableFuture<String>> permissionReplies = new HashMap<>();
    }

    record Prompt(String userId, String text) {
    }

    record QueuedPrompt(String promptId, String userId, String text) {
    }

    record QueueState(QueuedPrompt running, List<QueuedPrompt> waiting) {
    }

    record PermissionReply(String id, String reply, String userId) {
    }

    record Participant(String userId, long joinedAt) {
    }

    static final ActorType<State, Vars> TYPE = ActorType.builder("workspace", State.class, Vars.class)
            .createState(c -> new State())
            .createVars(c -> new Vars())
            .onBeforeConnect((c, params) -> {
                if (params == null || !params.path("userId").isTextual() || params.path("userId").asText().isBlank()) {
                    throw new UserError("Connect with params { userId }.", "user_id_required");
                }
            })
            .createConnState((c, params) -> new Participant(params.get("userId").asText(), c.nowMillis()))
            .onConnect((c, conn) -> {
                Participant me = (Participant) conn.state();
                if (othersOf(c, conn, me.userId()) == 0) {
                    c.broadcast("presence.join", me);
                }
            })
            .onDisconnect((c, conn) -> {
                Participant me = (Participant) conn.state();
                if (othersOf(c, conn, me.userId()) == 0) {
                    c.broadcast("presence.leave", Map.of("userId", me.userId()));
                }
            })
            .action("getSessionInfo", c -> Map.of("workspaceId", c.key().get(0), "sandboxId", c.state().sandboxId))
            .action("getHistory", c -> c.state().history)
            .action("getQueue", ScriptedWorkspace::queue)
            .action("listParticipants", c -> {
                Map<String, Participant> first = new LinkedHashMap<>();
                for (Conn conn : c.conns()) {
                    Participant p = (Participant) conn.state();
                    first.merge(p.userId(), p, (a, b) -> a.joinedAt() <= b.joinedAt() ? a : b);
                }
                return List.copyOf(first.values());
            })
            .action("listPendingPermissions", c -> {
                Set<String> resolved = idsOf(c, "permission.resolved");
                return c.state().history.stream().filter(e -> e.event().equals("permission.requested"))
                        .map(TimelineEntry::data).filter(d -> !resolved.contains(d.get("id").asText())).toList();
            })
            .action("prompt", Prompt.class, ScriptedWorkspace::prompt, ActionOptions.noTimeout())
            .action("cancel", c -> {
                c.vars().cancelled.complete(null);
                return null;
            })
            .action("respondPermission", PermissionReply.class, (c, answer) -> {
                if (answer == null || answer.id() == null || !REPLIES.contains(answer.reply())) {
                    throw new UserError("respondPermission takes { id, reply: once | always | reject, userId }.",
                            "invalid_permission_reply");
                }
                if (!idsOf(c, "permission.requested").contains(answer.id())) {
                    throw new UserError("No permission request `" + answer.id() + "`.", "permission_not_found");
                }
                if (idsOf(c, "permission.resolved").contains(answer.id())) {
                    throw new UserError("Permission request `" + answer.id() + "` was already answered.",
                            "permission_already_resolved");
                }
                record(c, "permission.resolved", answer);
                CompletableFuture<String> waiting = c.vars().permissionReplies.remove(answer.id());
                if (waiting != null) {
                    waiting.complete(answer.reply());
                }
                return null;
            })
            .build();

    private ScriptedWorkspace() {
    }

    private static Map<String, Object> prompt(ActorContext<State, Vars> c, Prompt prompt) throws Exception {
        if (prompt == null || prompt.userId() == null || prompt.text() == null || prompt.text().isBlank()) {
            throw new UserError("prompt takes { userId, text }.", "invalid_prompt");
        }
        record(c, "chat.user", Map.of("userId", prompt.userId(), "text", prompt.text(), "createdAt", c.nowMillis()));
        QueuedPrompt me = new QueuedPrompt(UUID.randomUUID().toString(), prompt.userId(), prompt.text());
        CompletableFuture<Void> previous = c.vars().previousTurn;
        CompletableFuture<Void> mine = new CompletableFuture<>();
        c.vars().previousTurn = mine;
        c.vars().waiting.add(me);
        c.broadcast("queue.updated", queue(c));
        try {
            c.await(previous);
            c.vars().waiting.remove(me);
            c.vars().running = me;
            c.vars().cancelled = new CompletableFuture<>();
            c.broadcast("queue.updated", queue(c));
            return Map.of("stopReason", scriptedTurn(c, me));
        } finally {
            c.vars().waiting.remove(me);
            if (c.vars().running == me) {
                c.vars().running = null;
            }
            c.broadcast("queue.updated", queue(c));
            mine.complete(null);
        }
    }

    /** The scripted agent's turn, as Sandbox Agent session events; returns the stop reason. */
    private static String scriptedTurn(ActorContext<State, Vars> c, QueuedPrompt prompt) throws Exception {
        String sessionId = "scripted-session";
        sessionEvent(c, "client", Map.of("jsonrpc", "2.0", "id", prompt.promptId(), "method", "session/prompt",
                "params", Map.of("sessionId", sessionId, "prompt", List.of(Map.of("type", "text", "text", prompt.text())))));
        for (String chunk : List.of("Reading the request: ", prompt.text(), "\nI will edit one file for it.")) {
            if (!pause(c)) {
                return endTurn(c, prompt, "cancelled");
            }
            update(c, sessionId, Map.of("sessionUpdate", "agent_message_chunk", "content", Map.of("type", "text", "text", chunk)));
            if (prompt.text().contains(CRASH)) {
                record(c, "session.error", Map.of("message", "The agent process exited (scripted crash).",
                        "createdAt", c.nowMillis()));
                return "error";
            }
        }
        String toolCallId = "tool-" + prompt.promptId();
        Map<String, Object> toolCall = Map.of("toolCallId", toolCallId, "title", "Edit src/app.ts", "kind", "edit");
        update(c, sessionId, Map.of("sessionUpdate", "tool_call", "toolCallId", toolCallId, "title", "Edit src/app.ts",
                "kind", "edit", "status", "pending"));
        String permissionId = "permission-" + prompt.promptId();
        List<Map<String, String>> options = List.of(
                Map.of("optionId", "allow", "name", "Allow", "kind", "allow_once"),
                Map.of("optionId", "allow-always", "name", "Always allow", "kind", "allow_always"),
                Map.of("optionId", "reject", "name", "Reject", "kind", "reject_once"));
        sessionEvent(c, "agent", Map.of("jsonrpc", "2.0", "id", permissionId, "method", "session/request_permission",
                "params", Map.of("sessionId", sessionId, "toolCall", toolCall, "options", options)));
        CompletableFuture<String> reply = new CompletableFuture<>();
        c.vars().permissionReplies.put(permissionId, reply);
        record(c, "permission.requested", Map.of("id", permissionId, "createdAt", c.nowMillis(), "toolCall", toolCall,
                "options", options, "availableReplies", List.of("once", "always", "reject")));
        CompletableFuture<Void> cancelled = c.vars().cancelled;
        Object answer = c.await(CompletableFuture.anyOf(reply, cancelled));
        if (answer == null) {
            return endTurn(c, prompt, "cancelled");
        }
        boolean allowed = !answer.equals("reject");
        update(c, sessionId, Map.of("sessionUpdate", "tool_call_update", "toolCallId", toolCallId,
                "status", allowed ? "completed" : "failed"));
        update(c, sessionId, Map.of("sessionUpdate", "agent_message_chunk", "content", Map.of("type", "text",
                "text", allowed ? "\nDone: src/app.ts is edited." : "\nUnderstood: I left src/app.ts as it was.")));
        return endTurn(c, prompt, "end_turn");
    }

    /** Waits one step of the script; false when the turn was cancelled meanwhile. */
    private static boolean pause(ActorContext<State, Vars> c) throws Exception {
        CompletableFuture<Object> step = new CompletableFuture<>();
        CompletableFuture.delayedExecutor(STEP_MILLIS, TimeUnit.MILLISECONDS).execute(() -> step.complete(Boolean.TRUE));
        return c.await(CompletableFuture.anyOf(step, c.vars().cancelled)) != null;
    }

    private static String endTurn(ActorContext<State, Vars> c, QueuedPrompt prompt, String stopReason) {
        sessionEvent(c, "agent", Map.of("jsonrpc", "2.0", "id", prompt.promptId(), "result", Map.of("stopReason", stopReason)));
        return stopReason;
    }

    private static void update(ActorContext<State, Vars> c, String sessionId, Map<String, Object> update) {
        sessionEvent(c, "agent", Map.of("jsonrpc", "2.0", "method", "session/update",
                "params", Map.of("sessionId", sessionId, "update", update)));
    }

    /** A Sandbox Agent SessionEvent around {@code payload}, recorded and broadcast. */
    private static void sessionEvent(ActorContext<State, Vars> c, String sender, Map<String, Object> payload) {
        int index = c.state().nextEventIndex++;
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("id", "event-" + index);
        event.put("eventIndex", index);
        event.put("sessionId", "scripted-session");
        event.put("createdAt", c.nowMillis());
        event.put("connectionId", "scripted-connection");
        event.put("sender", sender);
        event.put("payload", payload);
        record(c, "session.event", event);
    }

    /** Appends to the durable history and tells everyone connected. */
    private static void record(ActorContext<State, Vars> c, String event, Object data) {
        JsonNode tree = JSON.valueToTree(data);
        c.state().history.add(new TimelineEntry(event, tree));
        c.broadcast(event, tree);
    }

    private static QueueState queue(ActorContext<State, Vars> c) {
        return new QueueState(c.vars().running, List.copyOf(c.vars().waiting));
    }

    private static Set<String> idsOf(ActorContext<State, Vars> c, String event) {
        return c.state().history.stream().filter(e -> e.event().equals(event))
                .map(e -> e.data().get("id").asText()).collect(java.util.stream.Collectors.toSet());
    }

    private static long othersOf(ActorContext<State, Vars> c, Conn conn, String userId) {
        return c.conns().stream().filter(other -> !other.id().equals(conn.id()))
                .filter(other -> ((Participant) other.state()).userId().equals(userId)).count();
    }
}
