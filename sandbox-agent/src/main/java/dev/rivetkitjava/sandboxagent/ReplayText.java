package dev.rivetkitjava.sandboxagent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The text a restored session's next prompt starts with, in npm {@code sandbox-agent@0.4.2}'s
 * format: a fixed preamble, then one line {@code {"createdAt":…,"sender":…,"payload":…}} per
 * persisted event, oldest first; when the next line would pass {@code maxChars}, {@code \n[history
 * truncated]} ends it instead.
 *
 * @param text the block's text
 * @param events how many events it holds
 */
record ReplayText(String text, int events) {

    static final String PREAMBLE =
            "Previous session history is replayed below as JSON-RPC envelopes. "
                    + "Use it as context before responding to the latest user prompt.\n";
    static final String TRUNCATED = "\n[history truncated]";

    /**
     * The replay of these events, or null when there are none (the session is then reset, not
     * restored).
     */
    static @Nullable ReplayText of(List<SessionEvent> events, int maxChars) {
        if (events.isEmpty()) {
            return null;
        }
        StringBuilder text = new StringBuilder(PREAMBLE);
        int count = 0;
        for (SessionEvent event : events) {
            String line = line(event);
            if (text.length() + line.length() + 1 > maxChars) {
                text.append(TRUNCATED);
                break;
            }
            text.append(line).append('\n');
            count++;
        }
        return new ReplayText(text.toString(), count);
    }

    private static String line(SessionEvent event) {
        ObjectNode line =
                Json.MAPPER
                        .createObjectNode()
                        .put("createdAt", event.createdAt())
                        .put("sender", event.sender().wire());
        line.set("payload", event.payload());
        try {
            return Json.MAPPER.writeValueAsString(line);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serialises", e);
        }
    }
}
