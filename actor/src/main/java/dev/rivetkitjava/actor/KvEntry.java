package dev.rivetkitjava.actor;

/** One entry of an actor's key-value store. */
public record KvEntry(String key, byte[] value) {}
