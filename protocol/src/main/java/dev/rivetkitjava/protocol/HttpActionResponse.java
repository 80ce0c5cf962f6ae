package dev.rivetkitjava.protocol;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The body of a successful {@code POST /action/{name}}.
 *
 * @param output null is sent as JSON null
 */
public record HttpActionResponse(JsonNode output) {
    public HttpActionResponse {
        output = Checks.value(output);
    }
}
