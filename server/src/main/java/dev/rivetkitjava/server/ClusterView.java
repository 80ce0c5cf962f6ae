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

    /** This node's counters, for {@code /metrics}. */
    Counters counters();

    /**
     * @param forwardedCalls calls and connection frames this node sent to an actor's owner
     * @param retriedCalls of those, the ones asked again after no answer (the owner moving)
     * @param handOvers actors this node put to sleep because the cluster moved them elsewhere
     */
    record Counters(
            long forwardedCalls, long retriedCalls, long handOvers, long reattachedConnections) {}
}
