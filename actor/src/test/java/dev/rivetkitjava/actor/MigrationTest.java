package dev.rivetkitjava.actor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rivetkitjava.actor.store.InMemoryActorStore;
import org.junit.jupiter.api.Test;

class MigrationTest {
    record V1(String name) {}

    record V2(String firstName, String lastName) {}

    private final InMemoryActorStore store = new InMemoryActorStore();

    @Test
    void onMigrateUpgradesStateWrittenByAnOlderVersion() {
        ActorType<V1, Void> v1 =
                ActorType.builder("person", V1.class)
                        .createState(c -> new V1("Ada Lovelace"))
                        .action("get", c -> c.state())
                        .build();
        String id;
        try (Registry registry = Registry.builder().use(v1).store(store).build()) {
            id = registry.actor("person").getOrCreate(ActorKey.of("ada")).resolve();
            registry.actor("person").getForId(id).action("get", V1.class);
        }

        ActorType<V2, Void> v2 =
                ActorType.builder("person", V2.class)
                        .stateVersion(2)
                        .onMigrate(
                                (c, m) -> {
                                    if (!m.isNew() && m.fromVersion() == 1) {
                                        String[] parts = m.state().get("name").asText().split(" ");
                                        ObjectNode upgraded = ((ObjectNode) m.state()).objectNode();
                                        upgraded.put("firstName", parts[0])
                                                .put("lastName", parts[1]);
                                        m.replaceState(upgraded);
                                    }
                                })
                        .createState(c -> new V2("", ""))
                        .action("get", c -> c.state())
                        .build();
        try (Registry registry = Registry.builder().use(v2).store(store).build()) {
            assertThat(registry.actor("person").getForId(id).action("get", V2.class))
                    .isEqualTo(new V2("Ada", "Lovelace"));
        }
        assertThat(store.findById(id).orElseThrow().stateVersion()).isEqualTo(2);

        // Older code meeting newer state refuses it and leaves it as it is.
        try (Registry registry = Registry.builder().use(v1).store(store).build()) {
            assertThatThrownBy(() -> registry.actor("person").getForId(id).action("get", V1.class))
                    .isInstanceOfSatisfying(
                            ActorError.class,
                            e -> assertThat(e.qualifiedCode()).isEqualTo("actor.state_unreadable"));
        }
        assertThat(store.findById(id).orElseThrow().stateVersion()).isEqualTo(2);
    }
}
