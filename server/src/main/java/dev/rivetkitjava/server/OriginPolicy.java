package dev.rivetkitjava.server;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Which browser origins and which {@code Host} names the server answers, so that it is safe to run
 * where a browser can reach it: a page on another site cannot call it (CORS, WebSocket {@code
 * Origin}), and a page on a hostile name that resolves to this machine (DNS rebinding) is refused
 * by its {@code Host}.
 *
 * <p>Allowed origins: the request's own ({@code Origin} equal to {@code scheme://Host}: the
 * server's own page), the public URL's, and the configured ones; {@code *} among them allows any.
 * Allowed hosts (the port is not checked, so that proxies may map it): {@code localhost}, the bound
 * host, the public URL's host, the configured ones, and IP literals: any of them when the server is
 * bound to a wildcard address, otherwise only the bound address (and the loopback addresses when it
 * is bound to {@code localhost}).
 */
final class OriginPolicy {
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private final boolean anyOrigin;
    private final Set<String> origins = new HashSet<>();
    private final Set<String> hostnames = new HashSet<>();
    private final boolean anyAddress;
    private final boolean loopbackAddresses;
    private final @Nullable InetAddress boundAddress;

    /**
     * @param boundHost the address the server binds (a name or an IP literal; a wildcard allows
     *     every IP literal)
     * @param publicUrl the URL the server is reached at (e.g. behind a proxy), or null
     * @param allowedHosts further host names (or IP literals) the server answers to
     * @param corsOrigins further origins whose pages may call the server; {@code *} for any
     */
    OriginPolicy(
            String boundHost,
            @Nullable String publicUrl,
            Set<String> allowedHosts,
            Set<String> corsOrigins) {
        hostnames.add("localhost");
        for (String origin : corsOrigins) {
            if (origin.trim().equals("*")) {
                continue;
            }
            origins.add(normalizeOrigin(origin.trim()));
        }
        this.anyOrigin = corsOrigins.stream().anyMatch(o -> o.trim().equals("*"));
        if (publicUrl != null) {
            URI url = publicUrl(publicUrl);
            origins.add(normalizeOrigin(url.getScheme() + "://" + url.getRawAuthority()));
            hostnames.add(normalizeHost(url.getHost()));
        }
        for (String host : allowedHosts) {
            hostnames.add(normalizeHost(host));
        }
        String bound = normalizeHost(boundHost);
        InetAddress address = isIpLiteral(bound) ? literal(bound) : null;
        this.anyAddress = bound.isEmpty() || (address != null && address.isAnyLocalAddress());
        this.boundAddress = anyAddress ? null : address;
        this.loopbackAddresses = bound.equals("localhost");
        if (address == null && !bound.isEmpty()) {
            hostnames.add(bound);
        }
        // IP literals among the extra hosts are compared as addresses, not as text.
        hostnames.removeIf(h -> isIpLiteral(h) && literal(h) == null);
    }

    /** Checks a public URL: an absolute http(s) URL with a host. */
    static URI publicUrl(String url) {
        try {
            URI uri = new URI(url.trim());
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
                throw new IllegalArgumentException(
                        "publicUrl: `" + url + "` is not an http(s) URL with a host");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("publicUrl: `" + url + "` is not a URL", e);
        }
    }

    boolean anyOrigin() {
        return anyOrigin;
    }

    /**
     * Whether a page of {@code origin} may call the server, on a request that came with {@code
     * hostHeader} over http ({@code secure} false) or https.
     */
    boolean originAllowed(String origin, boolean secure, String hostHeader) {
        if (anyOrigin) {
            return true;
        }
        String normalized = normalizeOrigin(origin.trim());
        if (origins.contains(normalized)) {
            return true;
        }
        return hostHeader != null
                && normalized.equals(
                        normalizeOrigin((secure ? "https://" : "http://") + hostHeader.trim()));
    }

    /**
     * Whether a request whose {@code Host} header is {@code hostHeader} (null: none) is one the
     * server answers.
     */
    boolean hostAllowed(String hostHeader) {
        if (hostHeader == null) {
            return false;
        }
        String host = hostname(hostHeader);
        if (host == null || host.isEmpty()) {
            return false;
        }
        if (!isIpLiteral(host)) {
            return hostnames.contains(host);
        }
        InetAddress address = literal(host);
        if (address == null) {
            return false;
        }
        if (anyAddress
                || address.equals(boundAddress)
                || (loopbackAddresses && address.isLoopbackAddress())) {
            return true;
        }
        for (String allowed : hostnames) {
            if (isIpLiteral(allowed) && address.equals(literal(allowed))) {
                return true;
            }
        }
        return false;
    }

    /**
     * The host name of a {@code Host} header ({@code name}, {@code name:port}, {@code [v6]}, {@code
     * [v6]:port}).
     */
    static @Nullable String hostname(String hostHeader) {
        String value = hostHeader.trim();
        if (value.startsWith("[")) {
            int end = value.indexOf(']');
            if (end < 0) {
                return null;
            }
            String rest = value.substring(end + 1);
            if (!rest.isEmpty() && !rest.matches(":\\d*")) {
                return null;
            }
            return normalizeHost(value.substring(1, end));
        }
        int colon = value.indexOf(':');
        if (colon >= 0) {
            if (value.indexOf(':', colon + 1) >= 0 || !value.substring(colon + 1).matches("\\d*")) {
                return null; // an unbracketed IPv6 address, or a bad port
            }
            value = value.substring(0, colon);
        }
        return normalizeHost(value);
    }

    /**
     * Lower case, no brackets around IPv6, no trailing dot ({@code example.com.} is {@code
     * example.com}).
     */
    private static String normalizeHost(String host) {
        String h = host.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        while (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        return h;
    }

    private static boolean isIpLiteral(String host) {
        return host.contains(":") || IPV4.matcher(host).matches();
    }

    /**
     * The address of an IP literal (no name lookup: only literals get here), or null if it is not a
     * valid one.
     */
    private static @Nullable InetAddress literal(String host) {
        if (!isIpLiteral(host)) {
            return null;
        }
        try {
            if (host.contains(":")) {
                return InetAddress.getByName(
                        "[" + host + "]"); // bracketed: parsed as IPv6, never looked up
            }
            String[] parts = host.split("\\.");
            byte[] bytes = new byte[4];
            for (int i = 0; i < 4; i++) {
                int octet = Integer.parseInt(parts[i]);
                if (octet > 255) {
                    return null;
                }
                bytes[i] = (byte) octet;
            }
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException | SecurityException e) {
            return null;
        }
    }

    /**
     * An origin as {@code scheme://host[:port]}, lower case, the default port left out, with no
     * trailing slash; a value that is no URL (e.g. {@code null}) stays as it is, lower-cased.
     */
    static String normalizeOrigin(String origin) {
        String trimmed = origin.endsWith("/") ? origin.substring(0, origin.length() - 1) : origin;
        try {
            URI uri = new URI(trimmed);
            if (uri.getScheme() == null || uri.getHost() == null) {
                return trimmed.toLowerCase(Locale.ROOT);
            }
            String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
            int port = uri.getPort();
            boolean defaultPort =
                    port < 0
                            || (scheme.equals("http") && port == 80)
                            || (scheme.equals("https") && port == 443);
            String host = uri.getHost().toLowerCase(Locale.ROOT);
            return scheme + "://" + host + (defaultPort ? "" : ":" + port);
        } catch (URISyntaxException e) {
            return trimmed.toLowerCase(Locale.ROOT);
        }
    }
}
