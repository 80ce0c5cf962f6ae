package dev.rivetkitjava.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.protocol.ToClient.ActionResponse;
import dev.rivetkitjava.protocol.ToClient.Error;
import dev.rivetkitjava.protocol.ToClient.Event;
import dev.rivetkitjava.protocol.ToClient.Init;
import dev.rivetkitjava.protocol.ToServer.ActionRequest;
import dev.rivetkitjava.protocol.ToServer.SubscriptionRequest;
import org.jspecify.annotations.Nullable;

/**
 * The client protocol's BARE encoding: a u16-LE version prefix, then the message per the v4 schema,
 * with user values as nested CBOR ({@code data}). We always write v4, the version both supported
 * clients send.
 */
final class BareCodec {
    static final int VERSION = 4;

    /**
     * Versions 1 to 3 lay out ToServer and the HTTP action bodies exactly as v4; only ToClient and
     * errors changed.
     */
    private static final int OLDEST_SAME_LAYOUT = 1;

    private BareCodec() {}

    static byte[] encode(ToClient message) {
        BareWriter w = new BareWriter(VERSION);
        switch (message) {
            case Init init -> {
                w.uint(0);
                w.str(init.actorId());
                w.str(init.connectionId());
            }
            case Error error -> {
                w.uint(1);
                writeError(w, error.group(), error.code(), error.message(), error.metadata());
                if (w.optional(error.actionId() != null)) {
                    w.uint(error.actionId());
                }
                writeActor(w, error.actor());
            }
            case ActionResponse response -> {
                w.uint(2);
                w.uint(response.id());
                w.data(cbor(response.output()));
            }
            case Event event -> {
                w.uint(3);
                w.str(event.name());
                w.data(cbor(event.args()));
            }
        }
        return w.toByteArray();
    }

    static ToClient decodeToClient(byte[] data) {
        BareReader r = new BareReader(data, "bare ToClient", VERSION);
        ToClient message =
                switch (r.tag("ToClientBody", 4)) {
                    case 0 -> new Init(r.str("actorId"), r.str("connectionId"));
                    case 1 ->
                            new Error(
                                    r.str("group"),
                                    r.str("code"),
                                    r.str("message"),
                                    r.optional("metadata") ? r.value("metadata") : null,
                                    r.optional("actionId") ? r.uint("actionId") : null,
                                    readActor(r));
                    case 2 -> new ActionResponse(r.uint("id"), r.value("output"));
                    default ->
                            new Event(
                                    r.str("name"),
                                    Values.argsArray(r.value("args"))); // 3, the last tag
                };
        r.end();
        return message;
    }

    static byte[] encode(ToServer message) {
        BareWriter w = new BareWriter(VERSION);
        switch (message) {
            case ActionRequest request -> {
                w.uint(0);
                w.uint(request.id());
                w.str(request.name());
                w.data(cbor(request.args()));
            }
            case SubscriptionRequest request -> {
                w.uint(1);
                w.str(request.eventName());
                w.bool(request.subscribe());
            }
        }
        return w.toByteArray();
    }

    static ToServer decodeToServer(byte[] data) {
        BareReader r = new BareReader(data, "bare ToServer", OLDEST_SAME_LAYOUT);
        ToServer message =
                switch (r.tag("ToServerBody", 2)) {
                    case 0 ->
                            new ActionRequest(
                                    r.uint("id"), r.str("name"), Values.argsArray(r.value("args")));
                    default ->
                            new SubscriptionRequest(
                                    r.str("eventName"), r.bool("subscribe")); // 1, the last tag
                };
        r.end();
        return message;
    }

    static byte[] encode(HttpActionRequest message) {
        BareWriter w = new BareWriter(VERSION);
        w.data(cbor(message.args()));
        return w.toByteArray();
    }

    static HttpActionRequest decodeHttpActionRequest(byte[] data) {
        BareReader r = new BareReader(data, "bare HttpActionRequest", OLDEST_SAME_LAYOUT);
        HttpActionRequest message = new HttpActionRequest(Values.argsArray(r.value("args")));
        r.end();
        return message;
    }

    static byte[] encode(HttpActionResponse message) {
        BareWriter w = new BareWriter(VERSION);
        w.data(cbor(message.output()));
        return w.toByteArray();
    }

    static HttpActionResponse decodeHttpActionResponse(byte[] data) {
        BareReader r = new BareReader(data, "bare HttpActionResponse", OLDEST_SAME_LAYOUT);
        HttpActionResponse message = new HttpActionResponse(r.value("output"));
        r.end();
        return message;
    }

    static byte[] encode(HttpResponseError message) {
        BareWriter w = new BareWriter(VERSION);
        writeError(w, message.group(), message.code(), message.message(), message.metadata());
        writeActor(w, message.actor());
        return w.toByteArray();
    }

    static HttpResponseError decodeHttpResponseError(byte[] data) {
        BareReader r = new BareReader(data, "bare HttpResponseError", VERSION);
        HttpResponseError message =
                new HttpResponseError(
                        r.str("group"),
                        r.str("code"),
                        r.str("message"),
                        r.optional("metadata") ? r.value("metadata") : null,
                        readActor(r));
        r.end();
        return message;
    }

    /** The fields that Error and HttpResponseError share, in their schema order. */
    private static void writeError(
            BareWriter w, String group, String code, String message, @Nullable JsonNode metadata) {
        w.str(group);
        w.str(code);
        w.str(message);
        if (w.optional(metadata != null)) {
            w.data(cbor(metadata));
        }
    }

    private static void writeActor(BareWriter w, @Nullable ActorSpecifier actor) {
        if (w.optional(actor != null)) {
            w.str(actor.actorId());
            w.uint(actor.generation());
            if (w.optional(actor.key() != null)) {
                w.str(actor.key());
            }
        }
    }

    private static @Nullable ActorSpecifier readActor(BareReader r) {
        if (!r.optional("actor")) {
            return null;
        }
        return new ActorSpecifier(
                r.str("actor.actorId"),
                r.uint("actor.generation"),
                r.optional("actor.key") ? r.str("actor.key") : null);
    }

    private static byte[] cbor(JsonNode value) {
        return Values.write(Values.CBOR, JsonCompat.toWire(value));
    }
}
