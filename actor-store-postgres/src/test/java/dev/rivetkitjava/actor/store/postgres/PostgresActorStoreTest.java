package dev.rivetkitjava.actor.store.postgres;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.KvBatch;
import dev.rivetkitjava.actor.KvEntry;
import dev.rivetkitjava.actor.store.ActorRecord;
import dev.rivetkitjava.actor.store.NewActor;
import dev.rivetkitjava.actor.store.StateWrite;
import dev.rivetkitjava.testing.postgres.EmbeddedPostgresFixture;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What PostgreSQL adds to the contract: two store instances on one database play two nodes, each
 * with its own pool. Each test gets a schema of its own on the shared embedded server.
 */
@Tag("external")
class PostgresActorStoreTest {
    private static final AtomicInteger schemas = new AtomicInteger();

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private String schema;

    @BeforeEach
    void newSchema() {
        schema = "nodes_" + schemas.incrementAndGet();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable closeable : toClose.reversed()) {
            closeable.close();
        }
    }

    @Test
    void aStaleOwnerCannotOverwriteTheNewOwnersStateOrKv() {
        PostgresActorStore nodeA = node();
        PostgresActorStore nodeB = node();
        nodeA.insertIfAbsent(new NewActor("a1", "counter", ActorKey.of("k"), 1, null));
        nodeA.insertIfAbsent(new NewActor("other", "counter", ActorKey.of("other"), 1, null));
        long staleGeneration = nodeA.claim("a1").orElseThrow().generation();
        long otherGeneration = nodeA.claim("other").orElseThrow().generation();
        nodeA.saveStates(List.of(new StateWrite("a1", staleGeneration, bytes("A's"), 1)));
        nodeA.kvWrite("a1", staleGeneration, KvBatch.builder().put("owner", bytes("A")).build());

        // Node A stalls (a pause, a partition); node B takes the actor over.
        ActorRecord takenOver = nodeB.claim("a1").orElseThrow();
        assertThat(takenOver.generation()).isEqualTo(staleGeneration + 1);
        assertThat(takenOver.state()).isEqualTo(bytes("A's"));
        assertThat(
                        nodeB.saveStates(
                                List.of(
                                        new StateWrite(
                                                "a1", takenOver.generation(), bytes("B's"), 2))))
                .isEmpty();
        assertThat(
                        nodeB.kvWrite(
                                "a1",
                                takenOver.generation(),
                                KvBatch.builder().put("owner", bytes("B")).build()))
                .isTrue();

        // Node A resumes and flushes what it had: the actor it lost is fenced, the one it still
        // owns is saved.
        assertThat(
                        nodeA.saveStates(
                                List.of(
                                        new StateWrite("a1", staleGeneration, bytes("A's late"), 9),
                                        new StateWrite(
                                                "other", otherGeneration, bytes("still A's"), 1))))
                .containsExactly("a1");
        assertThat(
                        nodeA.kvWrite(
                                "a1",
                                staleGeneration,
                                KvBatch.builder()
                                        .deletePrefix("o")
                                        .put("owner", bytes("A late"))
                                        .put("extra", bytes("x"))
                                        .build()))
                .isFalse();

        for (PostgresActorStore node : List.of(nodeA, nodeB)) {
            ActorRecord stored = node.findById("a1").orElseThrow();
            assertThat(stored.state()).isEqualTo(bytes("B's"));
            assertThat(stored.stateVersion()).isEqualTo(2);
            assertThat(stored.generation()).isEqualTo(takenOver.generation());
            assertThat(node.kvList("a1", "", null, 10))
                    .extracting(KvEntry::key, e -> new String(e.value(), UTF_8))
                    .containsExactly(tuple("owner", "B"));
            assertThat(node.findById("other").orElseThrow().state()).isEqualTo(bytes("still A's"));
        }
    }

    @Test
    void noWriteOfTheOldOwnerLandsOnceTheNewOwnersClaimHasReturned() throws Exception {
        PostgresActorStore nodeA = node();
        PostgresActorStore nodeB = node();
        nodeA.insertIfAbsent(new NewActor("a1", "counter", ActorKey.of("k"), 1, null));
        long old = nodeA.claim("a1").orElseThrow().generation();
        record Attempt(long startedNanos, boolean kvApplied, boolean stateSaved) {}
        List<Attempt> attempts = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch someWritten = new CountDownLatch(20);

        // Node A writes as fast as it can, unaware that node B takes the actor over in the middle.
        CompletableFuture<Void> writer =
                CompletableFuture.runAsync(
                        () -> {
                            for (int i = 0; !stop.get(); i++) {
                                long started = System.nanoTime();
                                boolean kv =
                                        nodeA.kvWrite(
                                                "a1",
                                                old,
                                                KvBatch.builder()
                                                        .put("owner", bytes("A-" + i))
                                                        .build());
                                boolean saved =
                                        nodeA.saveStates(
                                                        List.of(
                                                                new StateWrite(
                                                                        "a1",
                                                                        old,
                                                                        bytes("A-" + i),
                                                                        1)))
                                                .isEmpty();
                                attempts.add(new Attempt(started, kv, saved));
                                someWritten.countDown();
                            }
                        });
        assertThat(someWritten.await(30, TimeUnit.SECONDS)).isTrue();
        long newGeneration = nodeB.claim("a1").orElseThrow().generation();
        long claimed = System.nanoTime();
        assertThat(
                        nodeB.kvWrite(
                                "a1",
                                newGeneration,
                                KvBatch.builder().put("owner", bytes("B")).build()))
                .isTrue();
        assertThat(nodeB.saveStates(List.of(new StateWrite("a1", newGeneration, bytes("B"), 2))))
                .isEmpty();
        int before = attempts.size();
        await().atMost(Duration.ofSeconds(30)).until(() -> attempts.size() >= before + 20);
        stop.set(true);
        writer.get();

        List<Attempt> all = List.copyOf(attempts);
        assertThat(all)
                .filteredOn(a -> a.startedNanos() < claimed)
                .anyMatch(a -> a.kvApplied() && a.stateSaved());
        assertThat(all)
                .filteredOn(a -> a.startedNanos() > claimed)
                .hasSizeGreaterThanOrEqualTo(20)
                .allSatisfy(
                        a -> {
                            assertThat(a.kvApplied()).as("kv write after the claim").isFalse();
                            assertThat(a.stateSaved()).as("state save after the claim").isFalse();
                        });
        assertThat(nodeA.kvGet("a1", "owner")).get().isEqualTo(bytes("B"));
        assertThat(nodeA.findById("a1").orElseThrow().state()).isEqualTo(bytes("B"));
    }

    @Test
    void concurrentInsertsOfOneKeyFromTwoNodesAgreeOnOneActor() throws Exception {
        List<PostgresActorStore> nodes = List.of(node(), node());
        int callers = 60;
        CountDownLatch start = new CountDownLatch(1);
        List<Future<ActorRecord>> results = new ArrayList<>();
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < callers; i++) {
                PostgresActorStore node = nodes.get(i % 2);
                String id = "node" + (i % 2) + "-" + i;
                results.add(
                        executor.submit(
                                () -> {
                                    start.await();
                                    return node.insertIfAbsent(
                                            new NewActor(
                                                    id,
                                                    "room",
                                                    ActorKey.of("lobby"),
                                                    1,
                                                    bytes(id)));
                                }));
            }
            start.countDown();
        }

        List<String> ids = new ArrayList<>();
        for (Future<ActorRecord> result : results) {
            ids.add(result.get().id());
        }
        String winner = ids.getFirst();
        assertThat(ids).hasSize(callers).containsOnly(winner);
        for (PostgresActorStore node : nodes) {
            assertThat(node.list("room", null, 100))
                    .extracting(ActorRecord::id)
                    .containsExactly(winner);
            assertThat(node.findByKey("room", ActorKey.of("lobby")).orElseThrow().input())
                    .isEqualTo(bytes(winner));
        }
    }

    @Test
    void nodesStartingAtOnceCreateTheSchemaOnceAndAllWork() throws Exception {
        int nodes = 6;
        CountDownLatch start = new CountDownLatch(1);
        List<Future<PostgresActorStore>> opened = new ArrayList<>();
        try (ExecutorService executor = Executors.newFixedThreadPool(nodes)) {
            for (int i = 0; i < nodes; i++) {
                opened.add(
                        executor.submit(
                                () -> {
                                    start.await();
                                    return PostgresActorStore.builder()
                                            .jdbcUrl(EmbeddedPostgresFixture.jdbcUrl())
                                            .schema(schema)
                                            .poolSize(1)
                                            .build();
                                }));
            }
            start.countDown();
        }
        for (int i = 0; i < nodes; i++) {
            PostgresActorStore store = opened.get(i).get();
            toClose.add(store);
            store.insertIfAbsent(new NewActor("a" + i, "counter", ActorKey.of("k" + i), 1, null));
        }

        assertThat(opened.getFirst().get().list("counter", null, 100)).hasSize(nodes);
        assertThat(queryInts("SELECT version FROM \"" + schema + "\".actor_store_version"))
                .containsExactly(PostgresActorStore.SCHEMA_VERSION);
    }

    @Test
    void aSchemaWrittenByANewerVersionIsRefused() throws Exception {
        node().close();
        execute("UPDATE \"" + schema + "\".actor_store_version SET version = 99");

        assertThatThrownBy(this::node)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("schema version 99")
                .hasMessageContaining("reads up to version " + PostgresActorStore.SCHEMA_VERSION);
    }

    @Test
    void openOnADataSourceUsesPublicAndLeavesTheDataSourceOpen() throws Exception {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(EmbeddedPostgresFixture.jdbcUrl());
        config.setMaximumPoolSize(2);
        HikariDataSource applicationPool = new HikariDataSource(config);
        toClose.add(applicationPool);

        try (PostgresActorStore store = PostgresActorStore.open(applicationPool)) {
            store.insertIfAbsent(new NewActor("via-ds", "counter", ActorKey.of("via-ds"), 1, null));
            assertThat(store.claim("via-ds"))
                    .get()
                    .extracting(ActorRecord::generation)
                    .isEqualTo(1L);
        }

        assertThat(applicationPool.isClosed()).isFalse();
        try (Connection connection = applicationPool.getConnection();
                Statement statement = connection.createStatement();
                ResultSet rows =
                        statement.executeQuery(
                                "SELECT generation FROM public.actors WHERE id = 'via-ds'")) {
            assertThat(rows.next()).isTrue();
            assertThat(rows.getLong(1)).isEqualTo(1);
        }
    }

    @Test
    void openOnAUrlClosesItsOwnPool() {
        PostgresActorStore store = PostgresActorStore.open(EmbeddedPostgresFixture.jdbcUrl());
        store.insertIfAbsent(new NewActor("via-url", "counter", ActorKey.of("via-url"), 1, null));
        assertThat(store.findById("via-url")).isPresent();

        store.close();
        store.close();

        assertThatThrownBy(() -> store.findById("via-url"))
                .isInstanceOf(PostgresActorStoreException.class)
                .hasMessageContaining("findById");
    }

    @Test
    void aStatementWaitingOnALockFailsAtTheStatementTimeout() throws Exception {
        PostgresActorStore store =
                PostgresActorStore.builder()
                        .jdbcUrl(EmbeddedPostgresFixture.jdbcUrl())
                        .schema(schema)
                        .statementTimeout(Duration.ofMillis(500))
                        .build();
        toClose.add(store);
        store.insertIfAbsent(new NewActor("a1", "counter", ActorKey.of("k"), 1, null));

        try (Connection holder = EmbeddedPostgresFixture.dataSource().getConnection()) {
            holder.setAutoCommit(false);
            try (PreparedStatement lock =
                    holder.prepareStatement(
                            "SELECT 1 FROM \"" + schema + "\".actors WHERE id = 'a1' FOR UPDATE")) {
                lock.executeQuery().close();
            }
            long started = System.nanoTime();
            assertThatThrownBy(() -> store.claim("a1"))
                    .isInstanceOf(PostgresActorStoreException.class)
                    .hasMessageContaining("claim")
                    .cause()
                    .isInstanceOfSatisfying(
                            SQLException.class,
                            e ->
                                    assertThat(e.getSQLState())
                                            .as("query_canceled")
                                            .isEqualTo("57014"));
            assertThat(Duration.ofNanos(System.nanoTime() - started))
                    .isBetween(Duration.ofMillis(400), Duration.ofSeconds(5));
            holder.rollback();
        }

        assertThat(store.claim("a1")).get().extracting(ActorRecord::generation).isEqualTo(1L);
    }

    @Test
    void anUnreachableServerFailsFastAndTheMessageHidesThePassword() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        long started = System.nanoTime();

        assertThatThrownBy(
                        () ->
                                PostgresActorStore.builder()
                                        .jdbcUrl(
                                                "jdbc:postgresql://127.0.0.1:"
                                                        + port
                                                        + "/app?user=rivet&password=hunter2")
                                        .connectTimeout(Duration.ofSeconds(1))
                                        .connectionTimeout(Duration.ofSeconds(1))
                                        .validationTimeout(Duration.ofMillis(500))
                                        .build())
                .isInstanceOf(PostgresActorStoreException.class)
                .hasMessageContaining("127.0.0.1:" + port + "/app")
                .message()
                .doesNotContain("hunter2");
        assertThat(Duration.ofNanos(System.nanoTime() - started))
                .isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void theBuilderRefusesBadSettings() {
        assertThatThrownBy(() -> PostgresActorStore.builder().schema("drop table; --"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid schema name");
        assertThatThrownBy(() -> PostgresActorStore.builder().jdbcUrl("jdbc:sqlite:/tmp/x.db"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a PostgreSQL JDBC URL");
        assertThatThrownBy(() -> PostgresActorStore.builder().socketTimeout(Duration.ofMillis(10)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("socketTimeout");
        assertThatThrownBy(
                        () ->
                                PostgresActorStore.builder()
                                        .jdbcUrl(EmbeddedPostgresFixture.jdbcUrl())
                                        .connectionTimeout(Duration.ofSeconds(1))
                                        .validationTimeout(Duration.ofSeconds(1))
                                        .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("validationTimeout");
        assertThatThrownBy(() -> PostgresActorStore.builder().build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("exactly one");
    }

    private PostgresActorStore node() {
        PostgresActorStore store =
                PostgresActorStore.builder()
                        .jdbcUrl(EmbeddedPostgresFixture.jdbcUrl())
                        .schema(schema)
                        .poolSize(4)
                        .build();
        toClose.add(store);
        return store;
    }

    private static void execute(String sql) throws SQLException {
        try (Connection connection = EmbeddedPostgresFixture.dataSource().getConnection();
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static List<Integer> queryInts(String sql) throws SQLException {
        try (Connection connection = EmbeddedPostgresFixture.dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(sql)) {
            List<Integer> values = new ArrayList<>();
            while (rows.next()) {
                values.add(rows.getInt(1));
            }
            return values;
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(UTF_8);
    }
}
