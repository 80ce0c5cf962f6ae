package dev.rivetkitjava.actor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ActorKeyTest {

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "room-1|room-1",
                "a/b|a\\/b",
                "back\\slash|back\\\\slash",
            })
    void serializesOneComponentAsRivetKitDoes(String component, String serialized) {
        assertThat(ActorKey.of(component).serialize()).isEqualTo(serialized);
        assertThat(ActorKey.parse(serialized)).isEqualTo(ActorKey.of(component));
    }

    @Test
    void serializesTheSpecialShapes() {
        assertThat(ActorKey.empty().serialize()).isEqualTo("/");
        assertThat(ActorKey.of("").serialize()).isEqualTo("\\0");
        assertThat(ActorKey.of("a", "", "b").serialize()).isEqualTo("a/\\0/b");
        assertThat(ActorKey.of("a/b", "c,d").serialize()).isEqualTo("a\\/b/c,d");
        assertThat(ActorKey.parse("a/\\0/b")).isEqualTo(ActorKey.of("a", "", "b"));
        assertThat(ActorKey.parse("/")).isEqualTo(ActorKey.empty());
    }

    @Test
    void randomKeysSurviveARoundTrip() {
        long seed = Long.getLong("seed", System.nanoTime());
        Random random = new Random(seed);
        String alphabet = "ab/\\0,é🙂 ";
        for (int i = 0; i < 5_000; i++) {
            List<String> components = new ArrayList<>();
            int size = random.nextInt(4);
            for (int c = 0; c < size; c++) {
                StringBuilder component = new StringBuilder();
                int length = random.nextInt(6);
                for (int j = 0; j < length; j++) {
                    component.appendCodePoint(
                            alphabet.codePoints()
                                    .toArray()[
                                    random.nextInt(alphabet.codePointCount(0, alphabet.length()))]);
                }
                components.add(component.toString());
            }
            ActorKey key = new ActorKey(components);
            assertThat(ActorKey.parse(key.serialize()))
                    .as("seed %d, key %s", seed, components)
                    .isEqualTo(key);
        }
    }

    @Test
    void isAJsonArrayOfStrings() throws Exception {
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        assertThat(mapper.writeValueAsString(ActorKey.of("a", "b/c"))).isEqualTo("[\"a\",\"b/c\"]");
        assertThat(mapper.readValue("[\"x\"]", ActorKey.class)).isEqualTo(ActorKey.of("x"));
    }

    @Test
    void rejectsMalformedSerializedKeys() {
        assertThatThrownBy(() -> ActorKey.parse("trailing\\")).isInstanceOf(ActorError.class);
        assertThatThrownBy(() -> ActorKey.parse("bad\\escape")).isInstanceOf(ActorError.class);
    }
}
