package dev.rivetkitjava.sandboxagent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.sandboxagent.persist.ListPage;
import dev.rivetkitjava.sandboxagent.persist.PageRequest;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.sandboxagent.persist.SessionPersistDriver;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/** Reading a session's persisted events in tests (of this module and of the drivers'). */
public final class SessionEvents {

    private SessionEvents() {}

    /** All the session's events, through the SDK. */
    public static List<SessionEvent> all(SandboxAgent sdk, String sessionId) {
        return all(sessionId, sdk::getEvents);
    }

    /** All the session's events, read from the driver. */
    public static List<SessionEvent> all(SessionPersistDriver driver, String sessionId) {
        return all(sessionId, driver::listEvents);
    }

    private static List<SessionEvent> all(
            String sessionId, BiFunction<String, PageRequest, ListPage<SessionEvent>> pages) {
        List<SessionEvent> events = new ArrayList<>();
        PageRequest page = PageRequest.first(PageRequest.MAX_LIMIT);
        while (true) {
            ListPage<SessionEvent> result = pages.apply(sessionId, page);
            events.addAll(result.items());
            if (!result.hasMore()) {
                return events;
            }
            page = page.next(result.nextCursor());
        }
    }

    /**
     * A short name for an event: {@code client session/prompt}, {@code agent
     * update:agent_message_chunk}, {@code agent response}, {@code client response}, {@code agent
     * session/request_permission}, ….
     */
    public static String kind(SessionEvent event) {
        JsonNode payload = event.payload();
        String what;
        if ("session/update".equals(payload.path("method").asText())) {
            what = "update:" + payload.path("params").path("update").path("sessionUpdate").asText();
        } else if (payload.has("method")) {
            what = payload.path("method").asText();
        } else {
            what = "response";
        }
        return event.sender().wire() + " " + what;
    }

    public static List<String> kinds(List<SessionEvent> events) {
        return events.stream().map(SessionEvents::kind).toList();
    }

    /** The texts of the agent_message_chunk updates, in order. */
    public static List<String> chunks(List<SessionEvent> events) {
        return events.stream()
                .filter(
                        e ->
                                "agent_message_chunk"
                                        .equals(
                                                e.payload()
                                                        .path("params")
                                                        .path("update")
                                                        .path("sessionUpdate")
                                                        .asText()))
                .map(
                        e ->
                                e.payload()
                                        .path("params")
                                        .path("update")
                                        .path("content")
                                        .path("text")
                                        .asText())
                .toList();
    }
}
