package dev.rivetkitjava.sandboxagent;

import com.fasterxml.jackson.databind.JsonNode;
import org.jspecify.annotations.Nullable;

/**
 * The server answered with an error status. Its body is usually RFC 7807 {@code
 * application/problem+json} ({@code type} = {@code urn:sandbox-agent:error:<code>}); some routes
 * answer {@code text/plain}, kept as {@link #detail()}.
 *
 * @see #problem() the whole parsed body, with extras such as {@code agent}, {@code sessionId},
 *     {@code details}
 */
public class HttpProblemException extends SandboxAgentException {

    private static final String TYPE_PREFIX = "urn:sandbox-agent:error:";

    private final int status;
    private final @Nullable String type;
    private final @Nullable String title;
    private final @Nullable String detail;
    private final @Nullable JsonNode problem;

    public HttpProblemException(
            String message,
            int status,
            @Nullable String type,
            @Nullable String title,
            @Nullable String detail,
            @Nullable JsonNode problem) {
        super(message);
        this.status = status;
        this.type = type;
        this.title = title;
        this.detail = detail;
        this.problem = problem;
    }

    public int status() {
        return status;
    }

    /**
     * The problem type, e.g. {@code urn:sandbox-agent:error:session_not_found}, or null for a
     * non-JSON body.
     */
    public @Nullable String type() {
        return type;
    }

    /** The type's last part, e.g. {@code session_not_found}, or null. */
    public @Nullable String code() {
        return type != null && type.startsWith(TYPE_PREFIX)
                ? type.substring(TYPE_PREFIX.length())
                : type;
    }

    public @Nullable String title() {
        return title;
    }

    /** The problem's detail, or the plain-text body; null when a JSON body has none. */
    public @Nullable String detail() {
        return detail;
    }

    /** The parsed problem+json body, or null when the body was not JSON. */
    public @Nullable JsonNode problem() {
        return problem;
    }
}
