package dev.rivetkitjava.actor.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.store.ActorRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} of a JVM that is writing actor state: the SQLite file is never corrupt, actor ids
 * stay, and no acknowledged increment is lost, since a reply waits for its save (WAL, {@code
 * synchronous=FULL}). With {@code replyBeforeSave}, what is lost is at most the save interval (100
 * ms, asserted with a margin for a loaded machine; the measured window is printed).
 */
@Tag("external")
class KillDurabilityTest {
    private static final long SAVE_INTERVAL_MILLIS = 100;
    private static final long MARGIN_MILLIS = 400;

    record Ack(long count, long atMillis) {}

    @TempDir Path dir;

    @Test
    void killingTheProcessMidWriteLosesNoAcknowledgedWriteAndNeverCorrupts() throws Exception {
        killRepeatedly("durable", 2_000, 0);
    }

    @Test
    void withReplyBeforeSaveAKillLosesAtMostTheSaveInterval() throws Exception {
        killRepeatedly("fast", 20_000, SAVE_INTERVAL_MILLIS + MARGIN_MILLIS);
    }

    /**
     * Kills the child three times, each after it saw {@code acks} increments acknowledged, and
     * checks the file: with {@code allowedLossMillis} 0 every acknowledged increment is stored,
     * otherwise every one acknowledged that long before the kill.
     */
    private void killRepeatedly(String mode, int acks, long allowedLossMillis) throws Exception {
        Path db = dir.resolve("actors-" + mode + ".db");
        Map<String, String> ids = new HashMap<>();
        for (int round = 1; round <= 3; round++) {
            // The child's output goes to a file, read after the kill: reading its pipe while the
            // JDK drains it at
            // the process's exit can end early and lose the last acks.
            Path output = dir.resolve("child-" + mode + "-" + round + ".out");
            Process child =
                    new ProcessBuilder(childCommand(db, mode))
                            .redirectError(ProcessBuilder.Redirect.INHERIT)
                            .redirectOutput(output.toFile())
                            .start();
            // Let it write for a while, then kill it at whatever point it has reached.
            await().atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofMillis(200))
                    .until(
                            () -> {
                                ChildOutput sofar = ChildOutput.read(output);
                                return sofar.ackCount() > acks && sofar.ids().size() == 4;
                            });
            long killedAt = System.currentTimeMillis();
            child.destroyForcibly(); // SIGKILL
            child.waitFor();
            ChildOutput out = ChildOutput.read(output);
            Map<String, List<Ack>> acked = out.acks();
            Map<String, String> roundIds = out.ids();

            assertThat(integrityCheck(db)).isEqualTo("ok");
            if (ids.isEmpty()) {
                ids.putAll(roundIds);
            }
            assertThat(roundIds).isEqualTo(ids);
            try (SqliteActorStore store = SqliteActorStore.open(db)) {
                for (String key : ids.keySet()) {
                    ActorRecord record = store.findByKey("counter", ActorKey.of(key)).orElseThrow();
                    assertThat(record.id()).isEqualTo(ids.get(key));
                    long stored = readCount(record);
                    List<Ack> keyAcks = acked.get(key);
                    long lastAcked = keyAcks.getLast().count();
                    long mustHave =
                            allowedLossMillis == 0
                                    ? lastAcked
                                    : keyAcks.stream()
                                            .filter(
                                                    a ->
                                                            a.atMillis()
                                                                    <= killedAt - allowedLossMillis)
                                            .mapToLong(Ack::count)
                                            .max()
                                            .orElse(0);
                    // The increment in flight at the kill may be saved without its ack printed: +1.
                    assertThat(stored)
                            .as("%s round %d %s", mode, round, key)
                            .isBetween(mustHave, lastAcked + 1);
                    long lostAfter =
                            keyAcks.stream()
                                    .filter(a -> a.count() > stored)
                                    .mapToLong(Ack::atMillis)
                                    .findFirst()
                                    .orElse(killedAt);
                    System.out.printf(
                            "%s round %d %s: stored %d, last acked %d, lost %d acked (window %d ms)%n",
                            mode,
                            round,
                            key,
                            stored,
                            lastAcked,
                            Math.max(0, lastAcked - stored),
                            Math.max(0, killedAt - lostAfter));
                }
            }
        }
    }

    private static long readCount(ActorRecord record) throws Exception {
        return new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(record.state())
                .get("count")
                .asLong();
    }

    private static String integrityCheck(Path db) throws Exception {
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + db);
                ResultSet rows =
                        connection.createStatement().executeQuery("PRAGMA integrity_check")) {
            rows.next();
            return rows.getString(1);
        }
    }

    private static List<String> childCommand(Path db, String mode) {
        String java = ProcessHandle.current().info().command().orElseThrow();
        return List.of(
                java,
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                DurabilityChild.class.getName(),
                db.toString(),
                mode);
    }

    /**
     * What the child printed: its actors' ids and every increment it saw acknowledged, in order.
     */
    record ChildOutput(Map<String, String> ids, Map<String, List<Ack>> acks) {
        static ChildOutput read(Path file) throws java.io.IOException {
            Map<String, String> ids = new HashMap<>();
            Map<String, List<Ack>> acks = new HashMap<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String[] parts = line.split(" ");
                if (parts[0].equals("id") && parts.length == 3) {
                    ids.put(parts[1], parts[2]);
                } else if (parts[0].equals("acked")
                        && parts.length == 4
                        && parts[3].length() == 13) {
                    acks.computeIfAbsent(parts[1], k -> new ArrayList<>())
                            .add(new Ack(Long.parseLong(parts[2]), Long.parseLong(parts[3])));
                }
            }
            return new ChildOutput(ids, acks);
        }

        long ackCount() {
            return acks.values().stream().mapToLong(List::size).sum();
        }
    }
}
