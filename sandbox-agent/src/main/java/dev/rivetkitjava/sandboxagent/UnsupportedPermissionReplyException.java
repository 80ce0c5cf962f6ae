package dev.rivetkitjava.sandboxagent;

import java.util.List;

/** The permission request offers no option for this reply. */
public final class UnsupportedPermissionReplyException extends SandboxAgentException {

    private final String permissionId;
    private final PermissionReply requestedReply;
    private final List<PermissionReply> availableReplies;

    public UnsupportedPermissionReplyException(
            String permissionId,
            PermissionReply requestedReply,
            List<PermissionReply> availableReplies) {
        super(
                "permission '"
                        + permissionId
                        + "' offers no option for reply "
                        + requestedReply
                        + " (available: "
                        + availableReplies
                        + ")");
        this.permissionId = permissionId;
        this.requestedReply = requestedReply;
        this.availableReplies = List.copyOf(availableReplies);
    }

    public String permissionId() {
        return permissionId;
    }

    public PermissionReply requestedReply() {
        return requestedReply;
    }

    public List<PermissionReply> availableReplies() {
        return availableReplies;
    }
}
