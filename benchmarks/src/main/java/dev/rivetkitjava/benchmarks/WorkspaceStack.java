package dev.rivetkitjava.benchmarks;

import java.util.List;

/**
 * A server the workspace relay figures run against: rivetkit-java's {@code serve} ({@link
 * ServeProcess}), the TypeScript original ({@link TypeScriptWorkspaceStack}), or one somebody else
 * started ({@link #given}).
 */
interface WorkspaceStack extends AutoCloseable {

    /** The RivetKit endpoint the viewers and the prompting connections use. */
    String endpoint();

    /** Its Sandbox Agent server, for the baseline; null when unknown (no baseline then). */
    String sandboxAgentUrl();

    /**
     * That server's token (serve gives its managed server a random one); null when it has none or
     * it is unknown.
     */
    String sandboxAgentToken();

    /** What it is, for the figures' headers: e.g. "rivetkit-java serve --agent amp, forked". */
    String description();

    /**
     * The processes whose CPU time {@link #cpuNanos()} reports, in its order; empty when not
     * measured.
     */
    List<String> cpuNames();

    /** CPU time used so far by each of {@link #cpuNames()}, in nanoseconds. */
    long[] cpuNanos();

    @Override
    void close();

    /** A stack started elsewhere: nothing to stop, no CPU figures. */
    static WorkspaceStack given(
            String endpoint, String sandboxAgentUrl, String sandboxAgentToken, String kind) {
        return new WorkspaceStack() {
            @Override
            public String endpoint() {
                return endpoint;
            }

            @Override
            public String sandboxAgentUrl() {
                return sandboxAgentUrl;
            }

            @Override
            public String sandboxAgentToken() {
                return sandboxAgentToken;
            }

            @Override
            public String description() {
                return kind + ", given";
            }

            @Override
            public List<String> cpuNames() {
                return List.of();
            }

            @Override
            public long[] cpuNanos() {
                return new long[0];
            }

            @Override
            public void close() {}
        };
    }
}
