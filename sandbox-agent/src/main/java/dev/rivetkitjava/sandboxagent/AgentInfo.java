package dev.rivetkitjava.sandboxagent;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * An agent the server knows ({@code GET /v1/agents}).
 *
 * @param capabilities what the agent supports ({@code permissions}, {@code toolCalls}, …)
 * @param version with {@code config}: the installed version, else null
 * @param path with {@code config}: where it is installed, else null
 * @param configOptions with {@code config}: its config options (model, mode, thought level), else
 *     null
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record AgentInfo(
        String id,
        boolean installed,
        boolean credentialsAvailable,
        JsonNode capabilities,
        String version,
        String path,
        JsonNode configOptions) {}
