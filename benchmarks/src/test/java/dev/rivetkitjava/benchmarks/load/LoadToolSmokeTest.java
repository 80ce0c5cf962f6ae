package dev.rivetkitjava.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The load tool against an in-process server, small enough to run with the tests; no timing is
 * asserted.
 */
class LoadToolSmokeTest {

    @Test
    void actionsRunAndEveryReplyCountsUp() throws Exception {
        List<LoadResult> results =
                LoadTool.runQuietly(
                        "--scenario",
                        "actions",
                        "--connections",
                        "4",
                        "--actions",
                        "300",
                        "--store",
                        "memory");
        ActionsLoad.Result r = (ActionsLoad.Result) results.getFirst();
        assertThat(r.errors()).isZero();
        assertThat(r.anomalies()).isZero();
        assertThat(r.actions()).isBetween(1L, 300L);
        assertThat(r.perSecond()).isPositive();
        assertThat(r.latency().count()).isEqualTo(r.actions());
    }

    @Test
    void anOpenLoopSendsEveryRequestOnScheduleAndEachCountComesOnce() throws Exception {
        for (boolean sharedKey : new boolean[] {false, true}) {
            List<String> args =
                    new java.util.ArrayList<>(
                            List.of(
                                    "--scenario",
                                    "actions",
                                    "--connections",
                                    "4",
                                    "--rate",
                                    "2000",
                                    "--actions",
                                    "300",
                                    "--store",
                                    "sqlite"));
            if (sharedKey) {
                args.add("--shared-key");
            }
            ActionsLoad.Result r =
                    (ActionsLoad.Result)
                            LoadTool.runQuietly(args.toArray(String[]::new)).getFirst();
            String as = sharedKey ? "one key" : "a key each";
            assertThat(r.title()).as(as).contains("open loop offering 2,000/s");
            assertThat(r.firstError()).as(as).isNull();
            assertThat(r.errors()).as(as).isZero();
            assertThat(r.anomalies()).as(as).isZero();
            // With --actions there is no warm-up: every request is measured, and its send lag too.
            assertThat(r.actions()).as(as).isEqualTo(300);
            assertThat(r.latency().count()).as(as).isEqualTo(300);
            assertThat(r.sendLag()).as(as).isNotNull();
            assertThat(r.sendLag().count()).as(as).isEqualTo(300);
            assertThat(r.lines()).as(as).anyMatch(l -> l.contains("left the tool late by"));
        }
    }

    @Test
    void actionsOnOneSharedKeyInEveryEncoding() throws Exception {
        for (String encoding : new String[] {"bare", "cbor", "json"}) {
            ActionsLoad.Result r =
                    (ActionsLoad.Result)
                            LoadTool.runQuietly(
                                            "--scenario",
                                            "actions",
                                            "--connections",
                                            "3",
                                            "--shared-key",
                                            "--actions",
                                            "150",
                                            "--encoding",
                                            encoding,
                                            "--store",
                                            "memory")
                                    .getFirst();
            assertThat(r.errors()).as(encoding).isZero();
            assertThat(r.anomalies()).as(encoding).isZero();
            assertThat(r.perSecond()).as(encoding).isPositive();
        }
    }

    @Test
    void actionsOnTheDurableAndTheFastCounterOnSqlite() throws Exception {
        for (String actor : new String[] {"counter", "counter-fast"}) {
            ActionsLoad.Result r =
                    (ActionsLoad.Result)
                            LoadTool.runQuietly(
                                            "--scenario",
                                            "actions",
                                            "--connections",
                                            "4",
                                            "--actions",
                                            "200",
                                            "--actor",
                                            actor,
                                            "--store",
                                            "sqlite")
                                    .getFirst();
            assertThat(r.title()).as(actor).contains("on " + actor + " (");
            assertThat(r.errors()).as(actor).isZero();
            assertThat(r.anomalies()).as(actor).isZero();
            assertThat(r.actions()).as(actor).isPositive();
        }
    }

    @Test
    void broadcastReachesEveryViewerInOrderWithNothingLost() throws Exception {
        BroadcastLoad.Result r =
                (BroadcastLoad.Result)
                        LoadTool.runQuietly(
                                        "--scenario",
                                        "broadcast",
                                        "--viewers",
                                        "20",
                                        "--events",
                                        "100",
                                        "--rate",
                                        "500",
                                        "--store",
                                        "sqlite")
                                .getFirst();
        assertThat(r.driverErrors()).isZero();
        assertThat(r.firstError()).isNull();
        assertThat(r.produced()).isEqualTo(100);
        assertThat(r.deliveries()).isEqualTo(20L * 100);
        assertThat(r.lost()).isZero();
        assertThat(r.reordered()).isZero();
        assertThat(r.duplicates()).isZero();
        assertThat(r.perSecond()).isPositive();
        assertThat(r.latency().count()).isEqualTo(r.deliveries());
    }

    @Test
    void idleConnectionsStayOpenAndAnswer() throws Exception {
        IdleLoad.Result r =
                (IdleLoad.Result)
                        LoadTool.runQuietly(
                                        "--scenario",
                                        "idle",
                                        "--connections",
                                        "60",
                                        "--actors",
                                        "7",
                                        "--hold",
                                        "200ms",
                                        "--store",
                                        "memory")
                                .getFirst();
        assertThat(r.failed()).isZero();
        assertThat(r.opened()).isEqualTo(60);
        assertThat(r.stillOpen()).isEqualTo(60);
        assertThat(r.serverConnections()).isEqualTo(60);
        assertThat(r.answered()).isEqualTo(60);
        assertThat(r.firstError()).isNull();
    }

    @Test
    void optionsParse() {
        LoadOptions o =
                LoadOptions.parse(
                        "--endpoint",
                        "http://127.0.0.1:6420/",
                        "--encoding",
                        "cbor",
                        "--scenario",
                        "broadcast",
                        "--viewers",
                        "1000",
                        "--duration",
                        "1.5s",
                        "--warmup",
                        "500ms");
        assertThat(o.endpoint()).isEqualTo("http://127.0.0.1:6420");
        assertThat(o.viewers()).isEqualTo(1000);
        assertThat(o.broadcastRate()).isEqualTo(200.0);
        assertThat(o.duration().toMillis()).isEqualTo(1500);
        assertThat(o.warmup().toMillis()).isEqualTo(500);
        assertThat(LoadOptions.parse("--scenario", "idle").connections()).isEqualTo(10_000);
        assertThat(o.actor()).isEqualTo("counter");
        // Actions are a closed loop unless --rate offers a rate; withRate(0) makes one closed
        // again.
        assertThat(LoadOptions.parse().rate()).isZero();
        LoadOptions open = LoadOptions.parse("--rate", "20000", "--connections", "8");
        assertThat(open.rate()).isEqualTo(20_000);
        assertThat(open.withRate(0).rate()).isZero();
        assertThat(open.withRate(0).connections()).isEqualTo(8);
        assertThat(LoadOptions.parse("--rate", "20_000").rate()).isEqualTo(20_000);
        for (String bad : new String[] {"0", "-5", "NaN", "Infinity", "fast"}) {
            org.assertj.core.api.Assertions.assertThatThrownBy(
                            () -> LoadOptions.parse("--rate", bad))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("--rate must be");
        }
        assertThat(LoadOptions.parse("--actor", "counter-fast").actor()).isEqualTo("counter-fast");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> LoadOptions.parse("--actor", "other"))
                .isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> LoadOptions.parse("--endpoint", "http://example.com"))
                .isInstanceOf(IllegalArgumentException.class);
        // serve as shipped has only the durable counter: the suite leaves counter-fast out there.
        assertThat(LoadOptions.parse("--server", "fork").hasFastCounter()).isTrue();
        assertThat(LoadOptions.parse("--server", "serve").hasFastCounter()).isFalse();
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> LoadOptions.parse("--server", "serve", "--actor", "counter-fast"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no counter-fast");
    }
}
