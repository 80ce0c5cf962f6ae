package dev.rivetkitjava.actor;

/**
 * A durable scheduled action call: at {@code fireAtMillis}, call {@code action} with the JSON array
 * {@code args}.
 */
public record ScheduledEvent(
        String id, String actorId, long fireAtMillis, String action, byte[] args) {}
