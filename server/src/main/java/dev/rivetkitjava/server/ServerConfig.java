package dev.rivetkitjava.server;

import java.util.Set;

/** The settings the routes read; RivetServer.Builder fills it. */
record ServerConfig(
        String token,
        Set<String> corsOrigins,
        Set<String> namespaces,
        int maxIncomingMessageBytes,
        int maxHttpBodyBytes,
        int maxConnParamsBytes,
        int maxQueryInputBytes,
        long maxPendingOutboundBytes) {

    boolean corsAllows(String origin) {
        return corsOrigins.isEmpty() || corsOrigins.contains(origin);
    }
}
