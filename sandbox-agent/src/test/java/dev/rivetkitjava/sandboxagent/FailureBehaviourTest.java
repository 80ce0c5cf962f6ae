package dev.rivetkitjava.sandboxagent;

import static dev.rivetkitjava.sandboxagent.SandboxAgentFixture.FAST_AGENT;
import static dev.rivetkitjava.sandboxagent.SessionEvents.chunks;
import static dev.rivetkitjava.sandboxagent.SessionEvents.kinds;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.rivetkitjava.sandboxagent.persist.InMemorySessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.sandboxagent.persist.SessionPersistDriver;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * "Nothing acknowledged is lost, nothing hangs": the SDK against the real Sandbox Agent server when
 * the server is stopped mid-turn (SIGSTOP, a hang, not a death), when the persist driver fails, and
 * when the driver is slower than the agent.
 */
@Tag("external")
class FailureBehaviourTest {

    /** Sends a signal to a real process ({@code STOP}, {@code CONT}). */
    static void signal(long pid, String signal) {
        try {
            Process kill =
                    new ProcessBuilder("kill", "-" + signal, Long.toString(pid))
                            .inheritIO()
                            .start();
            assertThat(kill.waitFor()).as("kill -%s %d", signal, pid).isZero();
        } catch (IOException e) {
            throw new IllegalStateException("cannot run kill", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String state(long pid) {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"))
                    .split(" ")[2];
        } catch (IOException e) {
            return "?";
        }
    }

    @Test
    void aServerStoppedMidTurnFailsThePromptInBoundedTimeAndTheSessionIsRestoredAfterSigcont() {
        SessionPersistDriver persist = new InMemorySessionPersistDriver();
        SandboxAgentServer own = SandboxAgentFixture.start();
        long pid = own.pid();
        boolean stopped = false;
        try {
            SandboxAgent sdk =
                    SandboxAgent.builder(own.baseUrl())
                            .persist(persist)
                            .serverSilenceTimeout(Duration.ofSeconds(2))
                            .disposeTimeout(Duration.ofSeconds(3))
                            .build();
            Session session = sdk.createSession(SessionCreateRequest.of(FAST_AGENT).withId("hung"));
            List<String> seen = new CopyOnWriteArrayList<>();
            session.onEvent(e -> seen.addAll(chunks(List.of(e))));
            CompletableFuture<PromptResult> turn =
                    CompletableFuture.supplyAsync(() -> session.prompt("chunks=1 HANG"));
            await().until(() -> seen.contains("chunk 1"));

            // a turn that is merely silent on a live server is not failed: the probe finds the
            // server alive
            await().atMost(Duration.ofSeconds(20)).until(() -> sdk.silenceProbes(FAST_AGENT) >= 2);
            assertThat(turn).isNotDone();

            signal(pid, "STOP");
            stopped = true;
            await().until(() -> state(pid).equals("T"));
            long sigstop = System.nanoTime();
            assertThat(turn)
                    .failsWithin(Duration.ofSeconds(20))
                    .withThrowableThat()
                    .havingCause()
                    .isInstanceOf(SandboxAgentTimeoutException.class)
                    .withMessageContaining(
                            "sandbox-agent at " + own.baseUrl() + " stopped answering")
                    .withMessageContaining("GET /v1/health got no answer");
            Duration failedAfter = Duration.ofNanos(System.nanoTime() - sigstop);
            // 2 s of silence, a 2 s probe, and the check's 0.5 s slices
            assertThat(failedAfter).isLessThan(Duration.ofSeconds(8));

            // the next call on the same SDK while the server is still stopped fails in bounded time
            // too
            long retry = System.nanoTime();
            assertThatThrownBy(() -> session.prompt("chunks=1"))
                    .isInstanceOf(SandboxAgentTimeoutException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - retry))
                    .isLessThan(Duration.ofSeconds(8));

            // dispose does not wait for the stopped server beyond its timeout
            long disposing = System.nanoTime();
            sdk.dispose();
            assertThat(Duration.ofNanos(System.nanoTime() - disposing))
                    .isLessThan(Duration.ofSeconds(4));

            signal(pid, "CONT");
            stopped = false;

            // what was persisted before the stop is intact
            List<SessionEvent> before = SessionEvents.all(persist, "hung");
            assertThat(chunks(before)).contains("echo: 1 blocks: chunks=1 HANG", "chunk 1");

            try (SandboxAgent next = SandboxAgent.builder(own.baseUrl()).persist(persist).build()) {
                Session restored =
                        next.resumeOrCreateSession(
                                SessionCreateRequest.of(FAST_AGENT).withId("hung"));
                assertThat(restored.prompt("chunks=1").stopReason()).isEqualTo("end_turn");
                List<SessionEvent> after = SessionEvents.all(persist, "hung");
                assertThat(after.subList(0, before.size())).containsExactlyElementsOf(before);
                assertThat(kinds(after)).contains("client _sdk/session_restored");
                assertThat(chunks(after)).last().isEqualTo("chunk 1");
                assertThat(after)
                        .extracting(SessionEvent::eventIndex)
                        .containsExactlyElementsOf(
                                IntStream.rangeClosed(1, after.size())
                                        .asLongStream()
                                        .boxed()
                                        .toList());
            }
        } finally {
            if (stopped) {
                signal(pid, "CONT");
            }
            own.stop();
        }
    }

    /**
     * The in-memory driver whose event writes fail while {@code down} is set and take {@code
     * writeMillis}.
     */
    private static HookedPersistDriver flakyDriver(AtomicBoolean down, long writeMillis) {
        HookedPersistDriver driver =
                new HookedPersistDriver(new InMemorySessionPersistDriver(16, 100_000));
        driver.beforeInsert =
                events -> {
                    if (down.get()) {
                        throw new IllegalStateException("the store is down");
                    }
                    if (writeMillis > 0) {
                        try {
                            Thread.sleep(writeMillis);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                };
        return driver;
    }

    @Test
    void eventsThatCannotBePersistedFailThePromptAreReportedAndLeaveARecordedGap() {
        AtomicBoolean down = new AtomicBoolean();
        HookedPersistDriver driver = flakyDriver(down, 0);
        try (SandboxAgentServer own = SandboxAgentFixture.start();
                SandboxAgent sdk =
                        SandboxAgent.builder(own.baseUrl())
                                .persist(driver)
                                .persistRetryTimeout(Duration.ofMillis(500))
                                .build()) {
            Session session =
                    sdk.createSession(SessionCreateRequest.of(FAST_AGENT).withId("flaky"));
            List<SessionEvent> delivered = new CopyOnWriteArrayList<>();
            List<SandboxAgentException> errors = new CopyOnWriteArrayList<>();
            session.onEvent(delivered::add);
            session.onError(errors::add);
            assertThat(session.prompt("chunks=2").stopReason()).isEqualTo("end_turn");
            List<SessionEvent> before = SessionEvents.all(driver, "flaky");

            down.set(true);
            long started = System.nanoTime();
            assertThatThrownBy(() -> session.prompt("chunks=3"))
                    .isInstanceOfSatisfying(
                            SessionPersistException.class,
                            e -> {
                                assertThat(e.sessionId()).isEqualTo("flaky");
                                assertThat(e.lostEvents()).isPositive();
                                assertThat(e)
                                        .hasMessageContaining("events not persisted")
                                        .hasMessageContaining("the store is down");
                            });
            assertThat(Duration.ofNanos(System.nanoTime() - started))
                    .isLessThan(Duration.ofSeconds(5));
            await().until(() -> !errors.isEmpty());
            assertThat(errors).singleElement().isInstanceOf(SessionPersistException.class);
            assertThat(delivered)
                    .hasSize(before.size() - 2); // nothing of the failed turn was delivered

            down.set(false);
            assertThat(session.prompt("chunks=1").stopReason()).isEqualTo("end_turn");
            List<SessionEvent> after = SessionEvents.all(driver, "flaky");
            assertThat(after.subList(0, before.size())).containsExactlyElementsOf(before);
            SessionEvent gap = after.get(before.size());
            assertThat(gap.payload().path("method").asText())
                    .isEqualTo("_sdk/events_not_persisted");
            assertThat(gap.payload().path("params").path("count").asInt()).isPositive();
            assertThat(after)
                    .extracting(SessionEvent::eventIndex)
                    .containsExactlyElementsOf(
                            IntStream.rangeClosed(1, after.size()).asLongStream().boxed().toList());
            assertThat(delivered).containsExactlyElementsOf(after.subList(2, after.size()));
            assertThat(errors).hasSize(1);
        }
    }

    @Test
    void aStoreFailingMidTurnFailsThePromptAndCancelsTheTurn() {
        AtomicBoolean down = new AtomicBoolean();
        HookedPersistDriver driver = flakyDriver(down, 0);
        try (SandboxAgentServer own = SandboxAgentFixture.start();
                SandboxAgent sdk =
                        SandboxAgent.builder(own.baseUrl())
                                .persist(driver)
                                .persistRetryTimeout(Duration.ofMillis(500))
                                .build()) {
            Session session =
                    sdk.createSession(SessionCreateRequest.of(FAST_AGENT).withId("mid-turn"));
            List<String> seen = new CopyOnWriteArrayList<>();
            List<SandboxAgentException> errors = new CopyOnWriteArrayList<>();
            session.onEvent(e -> seen.addAll(chunks(List.of(e))));
            session.onError(
                    e -> {
                        errors.add(e);
                        down.set(false); // the store comes back as soon as the SDK gave up on it
                    });
            CompletableFuture<PromptResult> turn =
                    CompletableFuture.supplyAsync(() -> session.prompt("chunks=200 delay=20"));
            await().until(() -> seen.contains("chunk 3"));
            down.set(true);

            assertThat(turn)
                    .failsWithin(Duration.ofSeconds(10))
                    .withThrowableThat()
                    .havingCause()
                    .isInstanceOf(SessionPersistException.class);
            assertThat(errors).hasSize(1);
            // the SDK cancelled the turn it could not record: the agent's answer says so, recorded
            // after the gap
            await().until(
                            () ->
                                    SessionEvents.all(driver, "mid-turn").stream()
                                            .anyMatch(
                                                    e ->
                                                            "cancelled"
                                                                    .equals(
                                                                            e.payload()
                                                                                    .path("result")
                                                                                    .path(
                                                                                            "stopReason")
                                                                                    .asText())));
            List<SessionEvent> events = SessionEvents.all(driver, "mid-turn");
            assertThat(kinds(events))
                    .containsSubsequence(
                            "client _sdk/events_not_persisted",
                            "client session/cancel",
                            "agent response");
            assertThat(chunks(events)).hasSizeLessThan(100);
            assertThat(events)
                    .extracting(SessionEvent::eventIndex)
                    .containsExactlyElementsOf(
                            IntStream.rangeClosed(1, events.size())
                                    .asLongStream()
                                    .boxed()
                                    .toList());
        }
    }

    @Test
    void aSlowDriverBackPressuresTheStreamAndNothingIsLostUnreported() {
        HookedPersistDriver driver = flakyDriver(new AtomicBoolean(), 5);
        int bound = 16;
        try (SandboxAgentServer own = SandboxAgentFixture.start();
                SandboxAgent sdk =
                        SandboxAgent.builder(own.baseUrl())
                                .persist(driver)
                                .maxQueuedEvents(bound)
                                .build()) {
            Session session = sdk.createSession(SessionCreateRequest.of(FAST_AGENT));
            assertThat(session.prompt("chunks=2000").stopReason()).isEqualTo("end_turn");

            // the stream reader waited for room: no write took more than the bound (and the few
            // events of
            // threads that never wait: the caller's request, a response taken from the POST body)
            assertThat(driver.batches)
                    .allSatisfy(size -> assertThat(size).isLessThanOrEqualTo(bound + 4));
            List<SessionEvent> events = SessionEvents.all(driver, session.id());
            List<Integer> numbers = new ArrayList<>();
            for (String chunk : chunks(events)) {
                if (chunk.startsWith("chunk ")) {
                    numbers.add(Integer.parseInt(chunk.substring(6)));
                }
            }
            assertThat(numbers).isSorted().doesNotHaveDuplicates();
            long dropped =
                    events.stream()
                            .filter(e -> SessionEvents.kind(e).equals("client _sdk/events_dropped"))
                            .mapToLong(
                                    e ->
                                            e.payload().path("params").path("firstEventId").asLong()
                                                    - e.payload()
                                                            .path("params")
                                                            .path("afterEventId")
                                                            .asLong()
                                                    - 1)
                            .sum();
            // every chunk is persisted, or counted in what the server reported dropped
            assertThat(numbers.size() + dropped).isEqualTo(2000);
        }
    }
}
