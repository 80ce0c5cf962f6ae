package dev.rivetkitjava.actor.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rivetkitjava.actor.ActorHandle;
import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.ActorType;
import dev.rivetkitjava.actor.ManualClock;
import dev.rivetkitjava.actor.Registry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runtime over a real SQLite file: state, ids and schedules outlive the registry that wrote
 * them.
 */
class SqliteRestartTest {
    public record Notes(List<String> notes) {}

    static final ActorType<Notes, Void> NOTEBOOK =
            ActorType.builder("notebook", Notes.class)
                    .createState(c -> new Notes(new ArrayList<>()))
                    .action(
                            "write",
                            String.class,
                            (c, note) -> {
                                c.state().notes().add(note);
                                return c.state().notes().size();
                            })
                    .action(
                            "writeLater",
                            String.class,
                            (c, note) -> c.schedule().after(Duration.ofHours(1), "write", note))
                    .action("read", c -> c.state().notes())
                    .build();

    @TempDir Path dir;

    @Test
    void stateAndSchedulesSurviveARestart() {
        Path db = dir.resolve("actors.db");
        ManualClock clock = new ManualClock();
        String id;
        try (Registry registry =
                Registry.builder()
                        .use(NOTEBOOK)
                        .clock(clock)
                        .store(SqliteActorStore.open(db))
                        .build()) {
            ActorHandle notebook = registry.actor("notebook").getOrCreate(ActorKey.of("n"));
            notebook.action("write", Integer.class, "before restart");
            notebook.action("writeLater", String.class, "from the schedule");
            id = notebook.resolve();
        }

        ManualClock later = new ManualClock(clock.nowMillis());
        try (Registry registry =
                Registry.builder()
                        .use(NOTEBOOK)
                        .clock(later)
                        .store(SqliteActorStore.open(db))
                        .build()) {
            ActorHandle notebook = registry.actor("notebook").getOrCreate(ActorKey.of("n"));
            assertThat(notebook.resolve()).isEqualTo(id);
            assertThat(notebook.action("read", List.class)).containsExactly("before restart");
            later.advance(Duration.ofHours(1));
            assertThat(notebook.action("read", List.class))
                    .containsExactly("before restart", "from the schedule");
        }
    }
}
