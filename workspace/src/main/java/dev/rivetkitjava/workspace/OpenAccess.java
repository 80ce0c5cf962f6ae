package dev.rivetkitjava.workspace;

import com.fasterxml.jackson.databind.JsonNode;

/** {@link WorkspaceAccess#open()}. */
final class OpenAccess implements WorkspaceAccess {
    static final OpenAccess INSTANCE = new OpenAccess();
    static final String ANONYMOUS = "anonymous";

    private OpenAccess() {}

    @Override
    public Caller admit(String workspaceId, JsonNode params) {
        JsonNode userId = params == null ? null : params.get("userId");
        String name =
                userId == null || !userId.isTextual() || userId.asText().isBlank()
                        ? ANONYMOUS
                        : userId.asText();
        return new Caller(name, name, Caller.Role.MEMBER);
    }

    @Override
    public boolean selfDeclared() {
        return true;
    }
}
