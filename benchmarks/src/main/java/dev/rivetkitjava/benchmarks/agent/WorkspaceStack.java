package dev.rivetkitjava.benchmarks.agent;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A server the workspace relay figures run against: rivetkit-java's {@code serve} ({@link
 * ForkedServe}), the TypeScript original ({@link TypeScriptWorkspaceStack}), or one somebody else
 * started ({@link #given}).
 */
interface WorkspaceStack extends AutoCloseable {

    /** The RivetKit endpoint the viewers and the prompting connections use. */
    String endpoint();

    /** Its Sandbox Agent server, for the baseline; null when unknown (no baseline then). */
    @Nullable String sandboxAgentUrl();

    /**
     * That server's token (serve gives its managed server a random one); null when it has none or
     * it is unknown.
     */
    @Nullable String sandboxAgentToken();

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
            String endpoint,
            @Nullable String sandboxAgentUrl,
            @Nullable String sandboxAgentToken,
            String kind) {
        return new WorkspaceStack() {
            @Override
            public String endpoint() {
                return endpoint;
            }

            @Override
            public @Nullable String sandboxAgentUrl() {
                return sandboxAgentUrl;
            }

            @Override
            public @Nullable String sandboxAgentToken() {
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

    /**
     * The checkout this runs in, whose scripts the forked stacks run: the first folder with {@code
     * bin/rivetkit-java} from the working directory up.
     */
    static Path projectRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isExecutable(dir.resolve("bin/rivetkit-java"))) {
                return dir;
            }
        }
        throw new IllegalStateException(
                "no bin/rivetkit-java above "
                        + Path.of("").toAbsolutePath()
                        + ": run from the checkout, or pass --endpoint and --sandbox-agent-url");
    }
}
