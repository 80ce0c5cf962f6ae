package dev.rivetkitjava.app;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The line {@code serve} logs once it is ready, which tests and {@code bin/bench} wait for: {@code
 * rivetkit-java ready: endpoint URL, workspace page URL/ (MODE); store STORE, Sandbox Agent URL},
 * then {@code , admin token required} with {@code --token} and {@code , cluster member ADDRESS} on
 * a cluster.
 *
 * @param text the line from {@code rivetkit-java ready:} on
 * @param endpoint the RivetKit endpoint, e.g. {@code http://127.0.0.1:6420}
 * @param sandboxAgentUrl the Sandbox Agent server's URL
 */
record ReadyLine(String text, String endpoint, String sandboxAgentUrl) {
    private static final Pattern LINE =
            Pattern.compile(
                    "rivetkit-java ready: endpoint (\\S+), [^\\n]*Sandbox Agent ([^,\\s]+)[^\\n]*");

    static String format(
            String endpoint,
            boolean signInRequired,
            String store,
            String sandboxAgentUrl,
            boolean adminTokenRequired,
            @Nullable String clusterAddress) {
        return "rivetkit-java ready: endpoint "
                + endpoint
                + ", workspace page "
                + endpoint
                + "/ ("
                + (signInRequired
                        ? "sign-in tokens required"
                        : "open demo mode: names are self-declared; this machine only")
                + "); store "
                + store
                + ", Sandbox Agent "
                + sandboxAgentUrl
                + (adminTokenRequired ? ", admin token required" : "")
                + (clusterAddress == null ? "" : ", cluster member " + clusterAddress);
    }

    /** The first ready line in {@code output} (a log), if there is one. */
    static Optional<ReadyLine> find(String output) {
        Matcher m = LINE.matcher(output);
        return m.find()
                ? Optional.of(new ReadyLine(m.group(), m.group(1), m.group(2)))
                : Optional.empty();
    }
}
