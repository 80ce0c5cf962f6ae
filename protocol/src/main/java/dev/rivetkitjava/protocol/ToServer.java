package dev.rivetkitjava.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/** A WebSocket {@code /connect} message from the client to the server. */
public sealed interface ToServer {
    /**
     * An action call; the client numbers them from 0 per connection object, across reconnects.
     *
     * @param args the action's arguments, a JSON array
     */
    record ActionRequest(long id, String name, JsonNode args) implements ToServer {
        public ActionRequest {
            Checks.unsigned(id, "id");
            Objects.requireNonNull(name, "name");
            Checks.array(args);
        }
    }

    record SubscriptionRequest(String eventName, boolean subscribe) implements ToServer {
        public SubscriptionRequest {
            Objects.requireNonNull(eventName, "eventName");
        }
    }
}
