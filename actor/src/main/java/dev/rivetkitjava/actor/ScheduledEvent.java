package dev.rivetkitjava.actor;

import org.jspecify.annotations.Nullable;

/**
 * A durable scheduled action call: at {@code fireAtMillis}, call {@code action} with the JSON array
 * {@code args} (null: no arguments).
 */
public record ScheduledEvent(
        String id, String actorId, long fireAtMillis, String action, byte @Nullable [] args) {}
