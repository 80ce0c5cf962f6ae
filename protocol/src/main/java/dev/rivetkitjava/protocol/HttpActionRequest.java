package dev.rivetkitjava.protocol;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The body of {@code POST /action/{name}}.
 *
 * @param args the action's arguments, a JSON array
 */
public record HttpActionRequest(JsonNode args) {
    public HttpActionRequest {
        Checks.array(args);
    }
}
