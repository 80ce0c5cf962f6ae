package dev.rivetkitjava.cluster;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * {@link ClusterMessage}s as JSON, actor references in Pekko's serialisation format. Only this
 * package's message classes are ever instantiated from the wire.
 */
public final class ClusterSerializer extends SerializerWithStringManifest {
    /** The message records by manifest (looked up for every message received). */
    private static final Map<String, Class<?>> MESSAGES = messagesByManifest();

    private static Map<String, Class<?>> messagesByManifest() {
        Map<String, Class<?>> byName = new HashMap<>();
        for (Class<?> c : ClusterMessage.class.getDeclaredClasses()) {
            if (ClusterMessage.class.isAssignableFrom(c) && c.isRecord()) {
                byName.put(c.getSimpleName(), c);
            }
        }
        return Map.copyOf(byName);
    }

    private final ObjectMapper mapper;

    public ClusterSerializer(ExtendedActorSystem system) {
        ActorRefResolver resolver = ActorRefResolver.get(Adapter.toTyped(system));
        SimpleModule refs = new SimpleModule();
        refs.addSerializer(
                ActorRef.class,
                new JsonSerializer<>() {
                    @Override
                    public void serialize(
                            ActorRef value, JsonGenerator gen, SerializerProvider serializers)
                            throws IOException {
                        gen.writeString(resolver.toSerializationFormat(value));
                    }
                });
        refs.addDeserializer(
                ActorRef.class,
                new JsonDeserializer<>() {
                    @Override
                    public ActorRef<?> deserialize(JsonParser p, DeserializationContext ctxt)
                            throws IOException {
                        return resolver.resolveActorRef(p.getValueAsString());
                    }
                });
        this.mapper =
                new ObjectMapper()
                        .registerModule(refs)
                        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    @Override
    public int identifier() {
        return 742_001;
    }

    @Override
    public String manifest(Object o) {
        return o.getClass().getSimpleName();
    }

    @Override
    public byte[] toBinary(Object o) {
        try {
            return mapper.writeValueAsBytes(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public Object fromBinary(byte[] bytes, String manifest) {
        Class<?> type = MESSAGES.get(manifest);
        if (type == null) {
            throw new IllegalArgumentException("not a cluster message: " + manifest);
        }
        try {
            return mapper.readValue(bytes, type);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
