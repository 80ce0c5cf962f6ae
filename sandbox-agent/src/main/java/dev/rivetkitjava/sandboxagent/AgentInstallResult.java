package dev.rivetkitjava.sandboxagent;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * What an install did; {@code artifacts} lists {@code {kind, path, source, version}} of what it
 * wrote.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record AgentInstallResult(
        @JsonProperty("already_installed") boolean alreadyInstalled, JsonNode artifacts) {}
