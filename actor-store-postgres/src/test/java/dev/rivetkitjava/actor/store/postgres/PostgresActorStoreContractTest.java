package dev.rivetkitjava.actor.store.postgres;

import dev.rivetkitjava.actor.store.ActorStore;
import dev.rivetkitjava.actor.store.ActorStoreContract;
import dev.rivetkitjava.testing.postgres.EmbeddedPostgresFixture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;

/**
 * The contract every store passes, against a real PostgreSQL server; each test gets a schema of its
 * own.
 */
@Tag("external")
class PostgresActorStoreContractTest extends ActorStoreContract {
    private static final AtomicInteger schemas = new AtomicInteger();

    private String schema;

    @Override
    protected ActorStore newStore() {
        schema = "contract_" + schemas.incrementAndGet();
        return open();
    }

    @Override
    protected ActorStore reopen(ActorStore closed) {
        return open();
    }

    private PostgresActorStore open() {
        return PostgresActorStore.builder()
                .jdbcUrl(EmbeddedPostgresFixture.jdbcUrl())
                .schema(schema)
                .poolSize(4)
                .build();
    }
}
