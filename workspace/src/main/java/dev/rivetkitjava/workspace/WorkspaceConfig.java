package dev.rivetkitjava.workspace;

import dev.rivetkitjava.sandboxagent.SandboxAgent;
import java.time.Duration;
import java.util.Objects;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * How workspaces run: where they find their Sandbox Agent server, which agent they run by default,
 * who may use them, how unanswered permissions are resolved and what they take from their users.
 *
 * <pre>{@code
 * WorkspaceConfig config = WorkspaceConfig.builder("http://127.0.0.1:2468")
 *     .access(tokens)                                   // default: WorkspaceAccess.open()
 *     .permissionPolicy(PermissionPolicy.REJECT)
 *     .build();
 * }</pre>
 *
 * @param baseUrl the Sandbox Agent server's URL (only the actor's SDK sees it)
 * @param token its bearer token, or null
 * @param sandboxId what {@code getSessionInfo()} reports as the sandbox: an opaque id, never the
 *     URL
 * @param defaultAgent the agent of a workspace created without one (the seed's {@code codex})
 * @param access who may connect, and as whom
 * @param permissionPolicy how a permission nobody can answer is resolved
 * @param permissionTimeout how long a permission request waits for an answer before the policy
 *     resolves it
 * @param sdkOptions more options of the workspaces' SDK (timeouts such as {@link
 *     SandboxAgent.Builder#serverSilenceTimeout}); the actor sets the URL, token and persist driver
 */
public record WorkspaceConfig(
        String baseUrl,
        @Nullable String token,
        String sandboxId,
        String defaultAgent,
        WorkspaceAccess access,
        PermissionPolicy permissionPolicy,
        Duration permissionTimeout,
        WorkspaceLimits limits,
        UnaryOperator<SandboxAgent.Builder> sdkOptions) {

    public WorkspaceConfig {
        Objects.requireNonNull(baseUrl, "baseUrl");
        Objects.requireNonNull(sandboxId, "sandboxId");
        Objects.requireNonNull(defaultAgent, "defaultAgent");
        Objects.requireNonNull(access, "access");
        Objects.requireNonNull(permissionPolicy, "permissionPolicy");
        Objects.requireNonNull(permissionTimeout, "permissionTimeout");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(sdkOptions, "sdkOptions");
        if (permissionTimeout.isNegative() || permissionTimeout.isZero()) {
            throw new IllegalArgumentException("permissionTimeout must be positive");
        }
    }

    public static Builder builder(String baseUrl) {
        return new Builder(baseUrl);
    }

    /** An SDK builder for this server; the actor adds its persist driver. */
    SandboxAgent.Builder sdk(String url) {
        SandboxAgent.Builder builder = sdkOptions.apply(SandboxAgent.builder(url));
        return token == null ? builder : builder.token(token);
    }

    /**
     * Defaults: no token, sandbox id {@code local}, agent {@code codex}, open access, reject after
     * 10 minutes.
     */
    public static final class Builder {
        private final String baseUrl;
        private @Nullable String token;
        private String sandboxId = "local";
        private String defaultAgent = "codex";
        private WorkspaceAccess access = WorkspaceAccess.open();
        private PermissionPolicy permissionPolicy = PermissionPolicy.REJECT;
        private Duration permissionTimeout = Duration.ofMinutes(10);
        private WorkspaceLimits limits = WorkspaceLimits.DEFAULTS;
        private UnaryOperator<SandboxAgent.Builder> sdkOptions = UnaryOperator.identity();

        private Builder(String baseUrl) {
            this.baseUrl = Objects.requireNonNull(baseUrl, "baseUrl");
        }

        public Builder token(@Nullable String token) {
            this.token = token;
            return this;
        }

        public Builder sandboxId(String sandboxId) {
            this.sandboxId = sandboxId;
            return this;
        }

        public Builder defaultAgent(String agent) {
            this.defaultAgent = agent;
            return this;
        }

        public Builder access(WorkspaceAccess access) {
            this.access = access;
            return this;
        }

        public Builder permissionPolicy(PermissionPolicy policy) {
            this.permissionPolicy = policy;
            return this;
        }

        public Builder permissionTimeout(Duration timeout) {
            this.permissionTimeout = timeout;
            return this;
        }

        public Builder limits(WorkspaceLimits limits) {
            this.limits = limits;
            return this;
        }

        /**
         * More options of the workspaces' SDK, e.g. {@code sdk ->
         * sdk.serverSilenceTimeout(Duration.ofSeconds(5))}.
         */
        public Builder sdkOptions(UnaryOperator<SandboxAgent.Builder> options) {
            this.sdkOptions = options;
            return this;
        }

        public WorkspaceConfig build() {
            return new WorkspaceConfig(
                    baseUrl,
                    token,
                    sandboxId,
                    defaultAgent,
                    access,
                    permissionPolicy,
                    permissionTimeout,
                    limits,
                    sdkOptions);
        }
    }
}
