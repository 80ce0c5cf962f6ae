package dev.rivetkitjava.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** A WebSocket {@code /connect} message from the server to the client. */
public sealed interface ToClient {
    /** The first message on a connection; the client counts as connected only once it has it. */
    record Init(String actorId, String connectionId) implements ToClient {
        public Init {
            Objects.requireNonNull(actorId, "actorId");
            Objects.requireNonNull(connectionId, "connectionId");
        }
    }

    /**
     * A failed action ({@code actionId} set) or a failed connection ({@code actionId} null, then
     * the socket closes).
     *
     * @param metadata null for none
     * @param actionId null for a connection-level error
     * @param actor null for none
     */
    record Error(
            String group,
            String code,
            String message,
            @Nullable JsonNode metadata,
            @Nullable Long actionId,
            @Nullable ActorSpecifier actor)
            implements ToClient {
        public Error {
            Objects.requireNonNull(group, "group");
            Objects.requireNonNull(code, "code");
            Objects.requireNonNull(message, "message");
            if (actionId != null) {
                Checks.unsigned(actionId, "actionId");
            }
        }
    }

    /**
     * @param output null is sent as JSON null
     */
    record ActionResponse(long id, JsonNode output) implements ToClient {
        public ActionResponse {
            Checks.unsigned(id, "id");
            output = Checks.value(output);
        }
    }

    /**
     * @param args the event's arguments, a JSON array
     */
    record Event(String name, JsonNode args) implements ToClient {
        public Event {
            Objects.requireNonNull(name, "name");
            Checks.array(args);
        }
    }
}
