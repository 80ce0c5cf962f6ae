package dev.rivetkitjava.server;

import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The settings the routes read; RivetServer.Builder fills it.
 *
 * @param token required on every actor route when not null
 * @param adminToken required on the admin routes (listing and destroying actors, metrics) when not
 *     null
 * @param adminRoutesOpen whether the admin routes answer with no token at all configured
 * @param origins the browser origins and {@code Host} names the server answers
 */
record ServerConfig(
        @Nullable String token,
        @Nullable String adminToken,
        boolean adminRoutesOpen,
        OriginPolicy origins,
        Set<String> namespaces,
        int maxIncomingMessageBytes,
        int maxHttpBodyBytes,
        int maxConnParamsBytes,
        int maxQueryInputBytes,
        long maxPendingOutboundBytes,
        int maxSubscriptionsPerConnection) {}
