package dev.rivetkitjava.actor.spi;

/**
 * Counters a runtime keeps about itself, for metrics.
 *
 * @param stateSaveBatches store transactions the state saver ran (each writes every changed actor
 *     it has)
 * @param stateWrites actor states written
 * @param stateSaveNanos time spent in those transactions
 * @param stateSaveFailures actor state saves that failed: a store write or a serialisation (each is
 *     retried)
 * @param stateSaveFailingActors actors whose latest state is not saved because their saves fail
 *     (kept awake and retried with back-off)
 * @param fencedWrites state and key-value writes refused because another activation (on another
 *     node, say) had claimed the actor since
 */
public record RuntimeStats(
        int awakeActors,
        int hibernatedConnections,
        long stateSaveBatches,
        long stateWrites,
        long stateSaveNanos,
        long stateSaveFailures,
        int stateSaveFailingActors,
        long fencedWrites) {}
