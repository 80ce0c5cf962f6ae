package dev.rivetkitjava.benchmarks.load;

import java.util.List;

/** What one load scenario measured, as the lines the tool prints. */
sealed interface LoadResult permits ActionsLoad.Result, BroadcastLoad.Result, IdleLoad.Result {
    List<String> lines();
}
