package dev.rivetkitjava.sandboxagent;

import org.jspecify.annotations.Nullable;

/**
 * One server-sent event.
 *
 * @param type the {@code event:} field, {@code "message"} by default
 * @param id the {@code id:} field of this event, or null when it had none
 * @param data the {@code data:} lines joined with {@code \n}; null when {@code oversized}
 * @param retryMillis the {@code retry:} field, or null
 * @param oversized the event was larger than the parser's limit and its data was dropped
 */
record SseEvent(
        String type,
        @Nullable String id,
        @Nullable String data,
        @Nullable Long retryMillis,
        boolean oversized) {}
