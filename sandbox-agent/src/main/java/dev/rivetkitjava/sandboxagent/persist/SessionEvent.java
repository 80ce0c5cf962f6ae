package dev.rivetkitjava.sandboxagent.persist;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * One JSON-RPC envelope of a session, in the order the SDK observed it; field names and meaning as
 * npm {@code sandbox-agent@0.4.2}'s {@code SessionEvent}.
 *
 * @param id a unique id (a UUID)
 * @param eventIndex 1, 2, 3, … per session, strictly increasing
 * @param sessionId the local session id
 * @param createdAt epoch milliseconds
 * @param connectionId the SDK connection that observed it
 * @param payload the raw JSON-RPC envelope
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record SessionEvent(
        String id,
        long eventIndex,
        String sessionId,
        long createdAt,
        String connectionId,
        Sender sender,
        JsonNode payload) {

    public SessionEvent {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(sender, "sender");
        Objects.requireNonNull(payload, "payload");
        if (eventIndex < 1) {
            throw new IllegalArgumentException("eventIndex starts at 1, got " + eventIndex);
        }
    }

    /** Who sent the envelope. */
    public enum Sender {
        CLIENT("client"),
        AGENT("agent");

        private final String wire;

        Sender(String wire) {
            this.wire = wire;
        }

        @JsonValue
        public String wire() {
            return wire;
        }

        @JsonCreator
        public static Sender fromWire(String wire) {
            for (Sender sender : values()) {
                if (sender.wire.equals(wire)) {
                    return sender;
                }
            }
            throw new IllegalArgumentException("unknown sender: " + wire);
        }
    }
}
