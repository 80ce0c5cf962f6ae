package dev.rivetkitjava.actor.spi;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;

/**
 * An event on its way to connections: a name and its arguments, as RivetKit's {@code Event{name,
 * args}}. A broadcast is one instance shared by every receiver, so a transport encodes it once per
 * wire format through {@link #encoded}.
 */
public final class ActorEvent {
    private final String name;
    private final List<Object> args;
    private Object[] encodings = new Object[0]; // guarded by this: key, value, key, value…

    public ActorEvent(String name, List<Object> args) {
        this.name = name;
        this.args = Collections.unmodifiableList(Arrays.asList(args.toArray()));
    }

    public String name() {
        return name;
    }

    public List<Object> args() {
        return args;
    }

    /**
     * This event encoded by {@code encoder} for {@code format} (compared by identity), computed
     * once.
     */
    @SuppressWarnings("unchecked")
    public synchronized <T> T encoded(Object format, Function<ActorEvent, T> encoder) {
        for (int i = 0; i < encodings.length; i += 2) {
            if (encodings[i] == format) {
                return (T) encodings[i + 1];
            }
        }
        T value = encoder.apply(this);
        encodings = Arrays.copyOf(encodings, encodings.length + 2);
        encodings[encodings.length - 2] = format;
        encodings[encodings.length - 1] = value;
        return value;
    }

    @Override
    public String toString() {
        return "ActorEvent[" + name + ", " + args + "]";
    }
}
