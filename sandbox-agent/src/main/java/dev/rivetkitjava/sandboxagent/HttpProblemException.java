package dev.rivetkitjava.sandboxagent;

import com.fasterxml.jackson.databind.JsonNode;

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
    private final String type;
    private final String title;
    private final String detail;
    private final JsonNode problem;

    public HttpProblemException(
            String message,
            int status,
            String type,
            String title,
            String detail,
            JsonNode problem) {
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
    public String type() {
        return type;
    }

    /** The type's last part, e.g. {@code session_not_found}, or null. */
    public String code() {
        return type != null && type.startsWith(TYPE_PREFIX)
                ? type.substring(TYPE_PREFIX.length())
                : type;
    }

    public String title() {
        return title;
    }

    /** The problem's detail, or the plain-text body. */
    public String detail() {
        return detail;
    }

    /** The parsed problem+json body, or null when the body was not JSON. */
    public JsonNode problem() {
        return problem;
    }
}
