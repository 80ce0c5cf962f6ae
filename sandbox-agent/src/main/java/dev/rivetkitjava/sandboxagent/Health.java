package dev.rivetkitjava.sandboxagent;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** {@code GET /v1/health}: {@code status} is {@code "ok"} when the server serves. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Health(String status) {}
