package dev.rivetkitjava.sandboxagent;

/**
 * The permission request is not pending: it was answered already (by this SDK, or cancelled), or
 * never existed.
 */
public final class PermissionNotPendingException extends SandboxAgentException {

    private final String permissionId;

    public PermissionNotPendingException(String permissionId, String message) {
        super(message);
        this.permissionId = permissionId;
    }

    public String permissionId() {
        return permissionId;
    }
}
