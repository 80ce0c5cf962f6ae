package dev.rivetkitjava.benchmarks.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rivetkitjava.sandboxagent.SandboxAgentServer;
import dev.rivetkitjava.sandboxagent.persist.InMemorySessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.sqlite.SqliteSessionPersistDriver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The events figures' wiring against the real Sandbox Agent server and the fast agent, small enough
 * to run with the tests: paced and unpaced turns reach the listener whole and in order. No timing
 * is asserted.
 */
@Tag("external")
class SessionEventsFiguresSmokeTest {

    @Test
    void pacedAndUnpacedTurnsArriveWholeAndInOrder(@TempDir Path dir) throws Exception {
        List<SessionEventsFigures.Turn> turns = new ArrayList<>();
        try (SandboxAgentServer server =
                        SessionEventsFigures.startServer(dir.resolve("sandbox-agent"));
                SqliteSessionPersistDriver sqlite =
                        SqliteSessionPersistDriver.open(dir.resolve("sessions.db"))) {
            // 300 chunks: fewer than the server's 1 024-message stream buffer, so it has nothing to
            // drop.
            SessionEventsFigures.Measure measure =
                    new SessionEventsFigures.Measure(server.baseUrl(), 300, 2_000, turns);
            measure.driver("memory", new InMemorySessionPersistDriver());
            measure.driver("SQLite", sqlite);
        }
        assertThat(turns)
                .extracting(SessionEventsFigures.Turn::pace)
                .containsExactly(
                        "paced 2,000/s", "as fast as it can", "paced 2,000/s", "as fast as it can");
        for (SessionEventsFigures.Turn turn : turns) {
            ChunkStream s = turn.stream();
            assertThat(s.received()).as(turn.toString()).isEqualTo(300);
            assertThat(s.lost()).isZero();
            assertThat(s.reordered()).isZero();
            assertThat(s.duplicates()).isZero();
            assertThat(s.serverDropped()).isZero();
            assertThat(s.latency.count()).isEqualTo(300);
            assertThat(s.perSecond()).isPositive();
        }
    }
}
