package dev.rivetkitjava.actor;

/**
 * Counters a runtime keeps about itself, for metrics.
 *
 * @param stateSaveBatches store transactions the state saver ran (each writes every changed actor it has)
 * @param stateWrites      actor states written
 * @param stateSaveNanos   time spent in those transactions
 * @param stateSaveFailures transactions that failed (their states are written again later)
 */
public record RuntimeStats(
        int awakeActors,
        int hibernatedConnections,
        long stateSaveBatches,
        long stateWrites,
        long stateSaveNanos,
        long stateSaveFailures) {
}
