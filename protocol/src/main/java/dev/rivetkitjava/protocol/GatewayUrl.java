package dev.rivetkitjava.protocol;

import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The gateway's URLs, as RivetKit 2.3.19's client writes them and the engine's guard reads them:
 * the query gateway {@code
 * /gateway/{name}{actorPath}?rvt-namespace=…&rvt-method=get|getOrCreate&rvt-key=a,b…} and the
 * direct one {@code /gateway/{actorId}[@token]{actorPath}}. {@link #query} and {@link #direct}
 * write them; {@link #parse} reads the path and query string of one back.
 */
public final class GatewayUrl {
    public static final String PATH_PREFIX = "/gateway/";
    public static final String NAMESPACE = "rvt-namespace";
    public static final String METHOD = "rvt-method";
    public static final String RUNNER = "rvt-runner";
    public static final String KEY = "rvt-key";
    public static final String INPUT = "rvt-input";
    public static final String REGION = "rvt-region";
    public static final String CRASH_POLICY = "rvt-crash-policy";
    public static final String TOKEN = "rvt-token";
    public static final String SKIP_READY_WAIT = "rvt-skip-ready-wait";

    /** What a query parameter meant for the gateway starts with; the others are the actor's. */
    public static final String PARAM_PREFIX = "rvt-";

    public static final String GET = "get";
    public static final String GET_OR_CREATE = "getOrCreate";

    /** The namespace when {@code rvt-namespace} is absent. */
    public static final String DEFAULT_NAMESPACE = "default";

    private static final Set<String> PARAMS =
            Set.of(
                    NAMESPACE,
                    METHOD,
                    RUNNER,
                    KEY,
                    INPUT,
                    REGION,
                    CRASH_POLICY,
                    TOKEN,
                    SKIP_READY_WAIT);
    private static final List<String> GET_FORBIDS = List.of(RUNNER, INPUT, REGION, CRASH_POLICY);
    private static final Pattern TOKEN_IN_QUERY = Pattern.compile("(" + TOKEN + "=)[^&]*");
    private static final Pattern TOKEN_IN_PATH =
            Pattern.compile("(" + PATH_PREFIX + "[^/@?]*@)[^/?]*");

    private GatewayUrl() {}

    // ---------------------------------------------------------------- writing

    /** {@code {endpoint}/gateway/{actorId}[@token]{actorPath}}; {@code token} may be null. */
    public static String direct(
            String endpoint, String actorId, @Nullable String token, String actorPath) {
        return endpoint
                + PATH_PREFIX
                + UrlText.component(actorId)
                + (token == null ? "" : "@" + UrlText.component(token))
                + actorPath;
    }

    /**
     * A query-gateway URL to {@code actorPath} of the actor type {@code name}; give it a method and
     * build it.
     */
    public static Query query(String endpoint, String name, String actorPath) {
        return new Query(endpoint, name, actorPath);
    }

    /**
     * Builds a query-gateway URL with its parameters in the order RivetKit's client writes them.
     */
    public static final class Query {
        private final String endpoint;
        private final String name;
        private final String actorPath;
        private String namespace = DEFAULT_NAMESPACE;
        private @Nullable String method;
        private @Nullable String runner;
        private List<String> key = List.of();
        private byte @Nullable [] input;
        private @Nullable String crashPolicy;
        private @Nullable String token;

        private Query(String endpoint, String name, String actorPath) {
            this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
            this.name = Objects.requireNonNull(name, "name");
            this.actorPath = Objects.requireNonNull(actorPath, "actorPath");
        }

        public Query namespace(String namespace) {
            this.namespace = Objects.requireNonNull(namespace, "namespace");
            return this;
        }

        /** {@code rvt-method=get}: an existing actor only. */
        public Query get() {
            this.method = GET;
            this.runner = null;
            this.crashPolicy = null;
            return this;
        }

        /**
         * {@code rvt-method=getOrCreate} on the runner pool {@code runner}, with {@code
         * rvt-crash-policy=sleep}.
         */
        public Query getOrCreate(String runner) {
            this.method = GET_OR_CREATE;
            this.runner = Objects.requireNonNull(runner, "runner");
            this.crashPolicy = "sleep";
            return this;
        }

        /** The key's components, joined with commas (so none may hold one); empty for none. */
        public Query key(List<String> key) {
            this.key = List.copyOf(key);
            return this;
        }

        /**
         * The input as {@link ClientProtocol#encodeCborValue} wrote it (getOrCreate only); null for
         * none.
         */
        public Query input(byte @Nullable [] cbor) {
            this.input = cbor;
            return this;
        }

        /** {@code rvt-token}; null for none. */
        public Query token(@Nullable String token) {
            this.token = token;
            return this;
        }

        public String build() {
            if (method == null) {
                throw new IllegalStateException(
                        "a query-gateway URL needs get() or getOrCreate(runner)");
            }
            StringBuilder query =
                    new StringBuilder(NAMESPACE)
                            .append('=')
                            .append(UrlText.form(namespace))
                            .append('&')
                            .append(METHOD)
                            .append('=')
                            .append(method);
            if (runner != null) {
                query.append('&').append(RUNNER).append('=').append(UrlText.form(runner));
            }
            if (!key.isEmpty()) {
                query.append('&')
                        .append(KEY)
                        .append('=')
                        .append(UrlText.form(String.join(",", key)));
            }
            if (input != null && method.equals(GET_OR_CREATE)) {
                query.append('&')
                        .append(INPUT)
                        .append('=')
                        .append(Base64.getUrlEncoder().withoutPadding().encodeToString(input));
            }
            if (crashPolicy != null) {
                query.append('&').append(CRASH_POLICY).append('=').append(crashPolicy);
            }
            if (token != null) {
                query.append('&').append(TOKEN).append('=').append(UrlText.form(token));
            }
            return endpoint + PATH_PREFIX + UrlText.component(name) + actorPath + "?" + query;
        }
    }

    /**
     * A URL fit for a log or an error message: the tokens in it ({@code rvt-token=},
     * {@code @token}) as {@code ***}.
     */
    public static String redact(String url) {
        return TOKEN_IN_PATH
                .matcher(TOKEN_IN_QUERY.matcher(url).replaceAll("$1***"))
                .replaceAll("$1***");
    }

    // ---------------------------------------------------------------- reading

    /** Which actor a gateway URL names. */
    public sealed interface Target permits ById, ByQuery {}

    /** The direct gateway: {@code /gateway/{actorId}[@token]/…}. */
    public record ById(String actorId) implements Target {}

    /**
     * The query gateway.
     *
     * @param method {@link #GET} or {@link #GET_OR_CREATE}
     * @param key the {@code rvt-key} components (empty when absent)
     * @param runner {@code rvt-runner}, or null (getOrCreate needs one: the caller says how it
     *     refuses)
     * @param input {@code rvt-input} as given (base64url CBOR), or null
     */
    public record ByQuery(
            String name,
            String method,
            List<String> key,
            @Nullable String runner,
            @Nullable String input)
            implements Target {}

    /**
     * A parsed gateway request.
     *
     * @param actorPath the path inside the actor ({@code /action/x}, {@code /connect}, {@code
     *     /request/…}), {@code /} when none
     * @param actorQuery the query string meant for the actor (the non-{@code rvt-} parameters), or
     *     ""
     * @param token a token carried by the path or {@code rvt-token}, or null
     * @param namespace {@code rvt-namespace}, {@value #DEFAULT_NAMESPACE} when absent
     */
    public record Parsed(
            Target target,
            String actorPath,
            String actorQuery,
            @Nullable String token,
            String namespace) {}

    /**
     * A gateway URL the guard refuses as {@code guard.query_invalid_params}; the message says why.
     */
    public static final class InvalidException extends RuntimeException {
        public InvalidException(String why) {
            super(why);
        }
    }

    /**
     * Parses {@code path} (starting with {@value #PATH_PREFIX}) and its raw query string (may be
     * null).
     *
     * @throws InvalidException what the guard refuses: no actor named, unknown or repeated {@code
     *     rvt-} parameters, bad percent-encoding, {@code rvt-key}/{@code rvt-input} without a
     *     method, an unknown method, and parameters {@code get} does not allow
     */
    public static Parsed parse(String path, @Nullable String rawQuery) {
        if (!path.startsWith(PATH_PREFIX)) {
            throw new IllegalArgumentException("not a gateway path: " + path);
        }
        String rest = path.substring(PATH_PREFIX.length());
        int slash = rest.indexOf('/');
        String segment = decode(slash < 0 ? rest : rest.substring(0, slash), true);
        String actorPath = slash < 0 ? "/" : rest.substring(slash);
        if (segment.isEmpty()) {
            throw new InvalidException("the gateway path names no actor");
        }
        Map<String, String> rivet = new LinkedHashMap<>();
        List<String> forActor = new ArrayList<>();
        if (rawQuery != null && !rawQuery.isEmpty()) {
            for (String pair : rawQuery.split("&")) {
                int eq = pair.indexOf('=');
                String name = decode(eq < 0 ? pair : pair.substring(0, eq), false);
                if (!name.startsWith(PARAM_PREFIX)) {
                    forActor.add(pair);
                    continue;
                }
                if (!PARAMS.contains(name)) {
                    throw new InvalidException("unknown query parameter `" + name + "`");
                }
                if (rivet.put(name, eq < 0 ? "" : decode(pair.substring(eq + 1), false)) != null) {
                    throw new InvalidException("query parameter `" + name + "` is given twice");
                }
            }
        }
        String actorQuery = String.join("&", forActor);
        String namespace = rivet.getOrDefault(NAMESPACE, DEFAULT_NAMESPACE);
        String method = rivet.get(METHOD);
        if (method == null) {
            if (rivet.containsKey(KEY) || rivet.containsKey(INPUT)) {
                throw new InvalidException(KEY + " and " + INPUT + " need " + METHOD);
            }
            int at = segment.indexOf('@');
            String id = at < 0 ? segment : segment.substring(0, at);
            String token = at < 0 ? rivet.get(TOKEN) : segment.substring(at + 1);
            return new Parsed(new ById(id), actorPath, actorQuery, token, namespace);
        }
        switch (method) {
            case GET -> {
                for (String forbidden : GET_FORBIDS) {
                    if (rivet.containsKey(forbidden)) {
                        throw new InvalidException(
                                "`" + forbidden + "` is not allowed with " + METHOD + "=" + GET);
                    }
                }
            }
            case GET_OR_CREATE -> {}
            default ->
                    throw new InvalidException(
                            METHOD
                                    + " must be "
                                    + GET
                                    + " or "
                                    + GET_OR_CREATE
                                    + ", not `"
                                    + method
                                    + "`");
        }
        List<String> key =
                rivet.containsKey(KEY) ? List.of(rivet.get(KEY).split(",", -1)) : List.of();
        return new Parsed(
                new ByQuery(segment, method, key, rivet.get(RUNNER), rivet.get(INPUT)),
                actorPath,
                actorQuery,
                rivet.get(TOKEN),
                namespace);
    }

    private static String decode(String value, boolean pathSegment) {
        try {
            return pathSegment ? UrlText.decodePath(value) : UrlText.decode(value);
        } catch (IllegalArgumentException e) {
            throw new InvalidException("bad percent-encoding in `" + value + "`");
        }
    }
}
