package dev.rivetkitjava.workspace;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Decides who may connect to a workspace and as whom: the workspace's {@code onBeforeConnect} and
 * {@code createConnState}, RivetKit's documented authentication pattern. Stateless HTTP actions
 * carry the same connection parameters, so they are admitted the same way.
 */
public interface WorkspaceAccess {

    /**
     * The caller behind a connection to workspace {@code workspaceId}.
     *
     * @param params the connection parameters as the client sent them (JSON {@code null} when none)
     * @throws dev.rivetkitjava.actor.ActorError {@code auth.*} when the connection is refused
     */
    Caller admit(String workspaceId, JsonNode params);

    /**
     * Whether callers declare their own names (open demo mode). Then, for the seed's client, which
     * connects without parameters and names its user in {@code prompt({ userId, text })}, a caller
     * that declared no name takes the one in the arguments.
     */
    default boolean selfDeclared() {
        return false;
    }

    /**
     * Open demo mode: anyone may connect, as a member, under the name they declare in the {@code
     * userId} connection parameter ({@value OpenAccess#ANONYMOUS} when none). For one trusted
     * machine only.
     */
    static WorkspaceAccess open() {
        return OpenAccess.INSTANCE;
    }
}
