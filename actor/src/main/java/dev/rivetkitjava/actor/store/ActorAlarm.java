package dev.rivetkitjava.actor.store;

/** The earliest scheduled event of one actor: when the runtime must have it awake. */
public record ActorAlarm(String actorId, long fireAtMillis) {}
