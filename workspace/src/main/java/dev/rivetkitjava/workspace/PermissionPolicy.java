package dev.rivetkitjava.workspace;

/**
 * How a workspace answers a permission request that no one can answer: none of its connections
 * listens to {@code permission.requested}, the last listener left, or nobody answered within the
 * permission timeout. Either way the agent's turn goes on (the TypeScript SDK answers {@code
 * cancelled} when no listener is registered).
 */
public enum PermissionPolicy {
    /** Answer {@code reject} (the default). */
    REJECT,
    /** Answer {@code once}: allow this one tool call. */
    APPROVE
}
