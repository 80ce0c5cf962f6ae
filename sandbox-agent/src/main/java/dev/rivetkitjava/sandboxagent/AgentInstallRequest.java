package dev.rivetkitjava.sandboxagent;

import com.fasterxml.jackson.annotation.JsonInclude;
import org.jspecify.annotations.Nullable;

/** {@code POST /v1/agents/{agent}/install}; every field is optional. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AgentInstallRequest(
        @Nullable Boolean reinstall,
        @Nullable String agentVersion,
        @Nullable String agentProcessVersion) {

    /** Install if missing, the default versions. */
    public static AgentInstallRequest defaults() {
        return new AgentInstallRequest(null, null, null);
    }

    public static AgentInstallRequest reinstalling() {
        return new AgentInstallRequest(true, null, null);
    }
}
