package dev.rivetkitjava.actor.store;

/** A state save, applied only while the stored generation still equals {@code generation}. */
public record StateWrite(String actorId, long generation, byte[] state, int stateVersion) {}
