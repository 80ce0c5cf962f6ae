package dev.rivetkitjava.sandboxagent;

/**
 * A reply to a permission request, mapped to one of the agent's options by kind: {@code ONCE} →
 * {@code allow_once}; {@code ALWAYS} → {@code allow_always}, else {@code allow_once}; {@code
 * REJECT} → {@code reject_once}, else {@code reject_always}.
 */
public enum PermissionReply {
    ONCE,
    ALWAYS,
    REJECT
}
