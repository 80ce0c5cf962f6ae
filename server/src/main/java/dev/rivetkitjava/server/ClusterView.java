package dev.rivetkitjava.server;

import java.util.List;
import java.util.Map;

/**
 * What a server on a node of a cluster answers at {@code GET /cluster} and {@code GET
 * /cluster/actors/{actorId}} (with the server token when one is set).
 */
public interface ClusterView {

    /** The members: cluster address, HTTP endpoint, status, awake actors. */
    List<Map<String, Object>> members();

    /** The node that owns the actor. */
    Map<String, Object> owner(String actorId);
}
