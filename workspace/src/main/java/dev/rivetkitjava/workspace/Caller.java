package dev.rivetkitjava.workspace;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;
import java.util.Objects;

/**
 * Who is behind a connection, as the workspace's {@link WorkspaceAccess} admitted it. Every action
 * takes its caller from here, never from its arguments.
 *
 * @param userId the stable user id (a token's {@code sub}, or the self-declared name in open mode)
 * @param name the display name shown to others
 */
public record Caller(String userId, String name, Role role) {

    public Caller {
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(role, "role");
    }

    /**
     * What a caller may do: members prompt, cancel and answer permissions; viewers read and listen.
     */
    public enum Role {
        MEMBER,
        VIEWER;

        @JsonValue
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** {@code member} or {@code viewer}. */
        public static Role fromWireName(String name) {
            for (Role role : values()) {
                if (role.wireName().equals(name)) {
                    return role;
                }
            }
            throw new IllegalArgumentException("a role is member or viewer, not '" + name + "'");
        }
    }
}
