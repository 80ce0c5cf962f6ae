package dev.rivetkitjava.sandboxagent;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * How a turn ended.
 *
 * @param stopReason ACP's stop reason: {@code end_turn}, {@code cancelled}, {@code max_tokens}, …
 * @param raw the whole {@code session/prompt} result
 */
public record PromptResult(String stopReason, JsonNode raw) {}
