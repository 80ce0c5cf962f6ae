package dev.rivetkitjava.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The cluster figures' wiring on 2 nodes with tiny durations (about a minute on 2 busy cores, most
 * of it the nodes' start): every step runs without errors or unexpected counts, and the forwarded
 * comparison is made. No timing is asserted; fail-over needs 3 nodes and is left to {@code
 * bin/bench cluster}.
 */
@Tag("external")
class ClusterFiguresSmokeTest {

    @Test
    void actionsBroadcastAndTheForwardedComparisonRunOnTwoNodes() throws Exception {
        List<String> lines = new ArrayList<>();
        ClusterFigures.run(
                2, 0, LoadOptions.parse("--duration", "500ms", "--warmup", "0s"), lines::add);
        String all = String.join("\n", lines);
        assertThat(lines).filteredOn(l -> l.startsWith("actions: ")).as(all).hasSize(8);
        assertThat(lines)
                .filteredOn(l -> l.trim().startsWith("errors "))
                .as(all)
                .hasSize(8)
                .allMatch(l -> l.trim().equals("errors 0, unexpected counts 0"));
        assertThat(lines)
                .filteredOn(l -> l.startsWith("  server CPU per action per node: node 1 "))
                .as(all)
                .hasSize(8);
        assertThat(all).contains("forwarded vs local: p50 ");
        assertThat(lines)
                .filteredOn(l -> l.startsWith("broadcast: 100 viewers"))
                .as(all)
                .hasSize(2)
                .last()
                .asString()
                .contains("viewers spread over 2 nodes");
        assertThat(lines)
                .filteredOn(l -> l.trim().startsWith("lost "))
                .as(all)
                .hasSize(2)
                .allMatch(l -> l.trim().startsWith("lost 0, reordered 0, duplicated 0 "));
    }
}
