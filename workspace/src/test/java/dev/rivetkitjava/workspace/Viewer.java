package dev.rivetkitjava.workspace;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.actor.ActorConnection;
import dev.rivetkitjava.actor.ActorHandle;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** A participant's connection that records every workspace event it listens to, in order. */
final class Viewer implements AutoCloseable {

    static final List<String> EVENTS =
            List.of(
                    "chat.user",
                    "session.event",
                    "session.error",
                    "presence.join",
                    "presence.leave",
                    "queue.updated",
                    "permission.requested",
                    "permission.resolved");

    final ActorConnection conn;
    final List<Map.Entry<String, JsonNode>> events = new CopyOnWriteArrayList<>();
    private final Map<String, AutoCloseable> listening = new ConcurrentHashMap<>();

    /** Connects with {@code params} (null: none) and listens to {@code eventNames}. */
    Viewer(ActorHandle workspace, Object params, List<String> eventNames) {
        conn = params == null ? workspace.connect() : workspace.connect(params);
        for (String event : eventNames) {
            listening.put(
                    event,
                    conn.on(event, JsonNode.class, data -> events.add(Map.entry(event, data))));
        }
    }

    /** Connects in open mode as {@code userId} and listens to every event. */
    Viewer(ActorHandle workspace, String userId) {
        this(workspace, Map.of("userId", userId), EVENTS);
    }

    List<JsonNode> named(String event) {
        return events.stream()
                .filter(e -> e.getKey().equals(event))
                .map(Map.Entry::getValue)
                .toList();
    }

    /** Stops listening to {@code event} (the connection unsubscribes). */
    void stopListening(String event) throws Exception {
        listening.remove(event).close();
    }

    /** The agent's streamed text, in order. */
    String agentText() {
        StringBuilder text = new StringBuilder();
        for (JsonNode event : named("session.event")) {
            JsonNode update = event.at("/payload/params/update");
            if (update.path("sessionUpdate").asText().equals("agent_message_chunk")) {
                text.append(update.at("/content/text").asText());
            }
        }
        return text.toString();
    }

    <R> R action(String name, Class<R> type, Object... args) {
        return conn.action(name, type, args);
    }

    @Override
    public void close() {
        conn.close();
    }
}
