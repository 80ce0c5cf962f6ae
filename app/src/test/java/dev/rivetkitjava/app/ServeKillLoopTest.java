package dev.rivetkitjava.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rivetkitjava.client.RivetClient;
import dev.rivetkitjava.server.CompatibilityTest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} of {@code serve} in a loop while official clients ({@code compat/faults.mjs},
 * rivetkit 2.3.19) increment counters and prompt a workspace. Each counter client increments its
 * own key, one call at a time, and prints the count each acknowledged increment returned; a failed
 * call (the server was killed or is starting) is not retried as such: the next call is a new
 * increment.
 *
 * <p>What counts: between two acknowledged counts {@code a < b} of one client with {@code f} failed
 * calls between them, {@code b - a - 1} of those failed calls landed before the kill (committed,
 * reply lost), so {@code 0 <= b - a - 1 <= f}. A count that does not grow ({@code b <= a}) means
 * acknowledged increments were lost; {@code b - a - 1 > f} means increments were applied twice. The
 * same holds between the last acknowledged count and the count stored at the end. After each
 * restart the stored count is at least every count acknowledged before the kill. Also: after each
 * kill the SQLite file passes {@code PRAGMA integrity_check}; after each start no Sandbox Agent
 * process of the data dir runs except the new server's; after the end none.
 *
 * <p>{@code -Dfaults.cycles=N} sets the number of kills (3 by default; {@code bin/bench faults}
 * runs 20); the figures are printed and written to {@code target/faults-figures.txt}.
 */
@Tag("external")
class ServeKillLoopTest {
    private static final int CYCLES = Integer.getInteger("faults.cycles", 3);
    private static final List<String> COUNTERS = List.of("faults-a", "faults-b");
    private static final String WORKSPACE = "faults-room";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path dir;

    @Test
    void killMinus9InALoopLosesNoAcknowledgedIncrementCorruptsNothingAndLeavesNoSandboxAgentBehind()
            throws Exception {
        CompatibilityTest.installNodePackages();
        Path dataDir = dir.resolve("data");
        Path db = dataDir.resolve("actors.db");
        ServeProcess serve = ServeProcess.start(dataDir);
        int port = serve.port();
        Map<String, NodeClient> counters = new LinkedHashMap<>();
        NodeClient prompter = null;
        int integrityOk = 0;
        int orphans = 0;
        long storedBelowAcked = 0;
        try {
            for (String key : COUNTERS) {
                counters.put(key, NodeClient.start(serve.endpoint(), "counter", key, dir));
            }
            prompter = NodeClient.start(serve.endpoint(), "prompt", WORKSPACE, dir);
            for (int cycle = 1; cycle <= CYCLES; cycle++) {
                // Work on this server: new acknowledged increments from every client and a prompt
                // that ended its turn.
                Map<String, Integer> acksAtStart =
                        counters.entrySet().stream()
                                .collect(
                                        Collectors.toMap(
                                                Map.Entry::getKey,
                                                e -> e.getValue().acks().size()));
                int turnsAtStart = prompter.turns();
                NodeClient prompting = prompter;
                long working = System.nanoTime();
                await("cycle " + cycle + ": increments and a prompt on the new server")
                        .atMost(Duration.ofSeconds(180))
                        .pollInterval(Duration.ofMillis(100))
                        .until(
                                () ->
                                        counters.entrySet().stream()
                                                        .allMatch(
                                                                e ->
                                                                        e.getValue().acks().size()
                                                                                >= acksAtStart.get(
                                                                                                e
                                                                                                        .getKey())
                                                                                        + 5)
                                                && prompting.turns() > turnsAtStart);
                // Every client is in a call, or about to make one: the kill lands in the middle of
                // some.
                Map<String, Long> ackedBeforeKill = new LinkedHashMap<>();
                counters.forEach((key, client) -> ackedBeforeKill.put(key, client.lastAck()));

                long worked = System.nanoTime() - working;
                serve.kill();
                long restarting = System.nanoTime();

                String integrity = integrityCheck(db);
                assertThat(integrity)
                        .as("PRAGMA integrity_check after kill %d", cycle)
                        .isEqualTo("ok");
                integrityOk++;

                serve = ServeProcess.start(dataDir, port);
                System.out.printf(
                        "faults: cycle %d: worked %d ms, restarted in %d ms; so far %d increments "
                                + "acknowledged, %d prompts ended their turn%n",
                        cycle,
                        worked / 1_000_000,
                        (System.nanoTime() - restarting) / 1_000_000,
                        counters.values().stream().mapToInt(c -> c.acks().size()).sum(),
                        prompter.turns());
                Set<Long> own =
                        serve.handle()
                                .descendants()
                                .map(ProcessHandle::pid)
                                .collect(Collectors.toSet());
                List<ProcessHandle> strays =
                        ServeProcess.sandboxAgentProcesses(dataDir).stream()
                                .filter(p -> !own.contains(p.pid()))
                                .toList();
                orphans += strays.size();
                assertThat(strays)
                        .as(
                                "Sandbox Agent processes of the data dir not the new serve's, cycle %d",
                                cycle)
                        .isEmpty();

                try (RivetClient client = RivetClient.create(serve.endpoint())) {
                    for (String key : COUNTERS) {
                        long stored =
                                client.actor("counter")
                                        .getOrCreate(key)
                                        .action("getCount", Long.class);
                        storedBelowAcked += Math.max(0, ackedBeforeKill.get(key) - stored);
                        assertThat(stored)
                                .as("%s after kill %d", key, cycle)
                                .isGreaterThanOrEqualTo(ackedBeforeKill.get(key));
                    }
                }
            }
            for (NodeClient client : counters.values()) {
                client.stop();
            }
            prompter.stop();

            Tally tally = new Tally();
            try (RivetClient client = RivetClient.create(serve.endpoint())) {
                for (String key : COUNTERS) {
                    long stored =
                            client.actor("counter").getOrCreate(key).action("getCount", Long.class);
                    tally.add(counters.get(key).outcomes(), stored);
                }
            }
            serve.close();
            ServeFaultsTest.assertNoneLeft(dataDir);
            assertThat(integrityCheck(db)).isEqualTo("ok");

            String figures =
                    String.format(
                            "faults: %d kill -9 cycles; %d increments acknowledged, %d lost, %d duplicated "
                                    + "(%d failed calls, %d of them landed before the kill); %d prompts ended their turn; "
                                    + "integrity_check ok %d/%d; orphaned Sandbox Agent processes %d",
                            CYCLES,
                            tally.acknowledged,
                            tally.lost + storedBelowAcked,
                            tally.duplicated,
                            tally.failed,
                            tally.landed,
                            prompter.turns(),
                            integrityOk,
                            CYCLES,
                            orphans);
            System.out.println(figures);
            Files.createDirectories(Path.of("target"));
            Files.writeString(Path.of("target", "faults-figures.txt"), figures + "\n");

            assertThat(tally.acknowledged).isGreaterThanOrEqualTo(5L * COUNTERS.size() * CYCLES);
            assertThat(tally.lost).as("acknowledged increments lost").isZero();
            assertThat(tally.duplicated).as("increments applied twice").isZero();
            assertThat(tally.landed).isLessThanOrEqualTo(tally.failed);
        } finally {
            counters.values().forEach(NodeClient::kill);
            if (prompter != null) {
                prompter.kill();
            }
            if (serve.handle().isAlive()) {
                serve.close();
            }
        }
        assertThat(ServeProcess.sandboxAgentProcesses(dataDir)).isEmpty();
    }

    /**
     * Lost and duplicated increments over one client's outcomes (acknowledged counts, failed
     * calls).
     */
    static final class Tally {
        long acknowledged;
        long failed;
        long landed;
        long lost;
        long duplicated;

        void add(List<JsonNode> outcomes, long stored) {
            long previous = 0;
            long failedSince = 0;
            for (JsonNode outcome : outcomes) {
                if (outcome.has("ack")) {
                    acknowledged++;
                    check(previous, outcome.get("ack").asLong(), failedSince);
                    previous = outcome.get("ack").asLong();
                    failedSince = 0;
                } else {
                    failed++;
                    failedSince++;
                }
            }
            // The end: what is stored against the last acknowledged count (b - a, not b - a - 1: no
            // new increment).
            check(previous, stored + 1, failedSince);
        }

        private void check(long previous, long count, long failedSince) {
            if (count <= previous) {
                lost += previous - count + 1;
                return;
            }
            long extra = count - previous - 1;
            if (extra > failedSince) {
                duplicated += extra - failedSince;
                landed += failedSince;
            } else {
                landed += extra;
            }
        }
    }

    static String integrityCheck(Path db) throws Exception {
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + db);
                ResultSet rows =
                        connection.createStatement().executeQuery("PRAGMA integrity_check")) {
            rows.next();
            return rows.getString(1);
        }
    }

    /** {@code node compat/faults.mjs}: its outcomes, one JSON line each, read as they come. */
    record NodeClient(Process process, List<JsonNode> outcomes, Thread reader) {

        static NodeClient start(String endpoint, String role, String key, Path dir)
                throws IOException {
            ProcessBuilder spawn =
                    new ProcessBuilder(
                                    "node",
                                    CompatibilityTest.COMPAT.resolve("faults.mjs").toString(),
                                    endpoint,
                                    role,
                                    key)
                            .redirectError(dir.resolve("node-" + key + ".err").toFile());
            spawn.environment().put("RIVET_LOG_LEVEL", "silent");
            Process process = spawn.start();
            List<JsonNode> outcomes = new CopyOnWriteArrayList<>();
            Thread reader =
                    Thread.ofVirtual()
                            .name("faults-" + key)
                            .start(
                                    () -> {
                                        try (BufferedReader out =
                                                new BufferedReader(
                                                        new InputStreamReader(
                                                                process.getInputStream(),
                                                                StandardCharsets.UTF_8))) {
                                            for (String line; (line = out.readLine()) != null; ) {
                                                outcomes.add(JSON.readTree(line));
                                            }
                                        } catch (IOException e) {
                                            // the client was killed
                                        }
                                    });
            return new NodeClient(process, outcomes, reader);
        }

        List<Long> acks() {
            List<Long> acks = new ArrayList<>();
            outcomes.stream()
                    .filter(o -> o.has("ack"))
                    .forEach(o -> acks.add(o.get("ack").asLong()));
            return acks;
        }

        long lastAck() {
            List<Long> acks = acks();
            return acks.isEmpty() ? 0 : acks.getLast();
        }

        int turns() {
            return (int)
                    outcomes.stream()
                            .filter(o -> o.path("stopReason").asText().equals("end_turn"))
                            .count();
        }

        /** Closes its stdin: it finishes the call it is in, then exits. */
        void stop() throws Exception {
            process.getOutputStream().close();
            assertThat(process.waitFor(150, TimeUnit.SECONDS)).as("faults.mjs exits").isTrue();
            assertThat(process.exitValue()).isZero();
            assertThat(reader.join(Duration.ofSeconds(10)))
                    .as("its output read to the end")
                    .isTrue();
        }

        void kill() {
            process.destroyForcibly();
        }
    }
}
