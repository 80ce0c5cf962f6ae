package dev.rivetkitjava.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.protocol.Envelope.Bool;
import dev.rivetkitjava.protocol.Envelope.Field;
import dev.rivetkitjava.protocol.Envelope.Id;
import dev.rivetkitjava.protocol.Envelope.Null;
import dev.rivetkitjava.protocol.Envelope.Num;
import dev.rivetkitjava.protocol.Envelope.Obj;
import dev.rivetkitjava.protocol.Envelope.Text;
import dev.rivetkitjava.protocol.Envelope.User;
import dev.rivetkitjava.protocol.ToClient.ActionResponse;
import dev.rivetkitjava.protocol.ToClient.Error;
import dev.rivetkitjava.protocol.ToClient.Event;
import dev.rivetkitjava.protocol.ToClient.Init;
import dev.rivetkitjava.protocol.ToServer.ActionRequest;
import dev.rivetkitjava.protocol.ToServer.SubscriptionRequest;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The client protocol's JSON and CBOR encodings, which share one shape: {@code {"body": {"tag": …,
 * "val": …}}} for WebSocket messages and plain objects for HTTP bodies, with the field names of the
 * BARE schema.
 *
 * <p>Fields are listed in the order the reference server writes them in CBOR. Optional fields are
 * left out when absent, because the client's schema takes a missing {@code actor} or {@code key}
 * but not a null one; {@code actionId} is the exception: the client requires it, null for
 * connection-level errors.
 */
final class EnvelopeCodec {
    private EnvelopeCodec() {}

    static Envelope of(ToClient message) {
        return switch (message) {
            case Init init ->
                    body(
                            "Init",
                            new Obj(
                                    new Field("actorId", new Text(init.actorId())),
                                    new Field("connectionId", new Text(init.connectionId()))));
            case Error error -> {
                List<Field> fields =
                        new ArrayList<>(
                                List.of(
                                        new Field("group", new Text(error.group())),
                                        new Field("code", new Text(error.code())),
                                        new Field("message", new Text(error.message()))));
                addMetadata(fields, error.metadata());
                if (error.actor() != null) {
                    fields.add(new Field("actor", actor(error.actor(), true)));
                }
                fields.add(
                        new Field(
                                "actionId",
                                error.actionId() == null ? new Null() : new Id(error.actionId())));
                yield body("Error", new Obj(fields));
            }
            case ActionResponse response ->
                    body(
                            "ActionResponse",
                            new Obj(
                                    new Field("id", new Id(response.id())),
                                    new Field("output", new User(response.output()))));
            case Event event ->
                    body(
                            "Event",
                            new Obj(
                                    new Field("name", new Text(event.name())),
                                    new Field("args", new User(event.args()))));
        };
    }

    static ToClient toClient(Located root) {
        Located body = root.field("body");
        String tag = body.field("tag").text();
        Located val = body.field("val");
        return switch (tag) {
            case "Init" -> new Init(val.field("actorId").text(), val.field("connectionId").text());
            case "Error" ->
                    new Error(
                            val.field("group").text(),
                            val.field("code").text(),
                            val.field("message").text(),
                            metadata(val.field("metadata")),
                            val.field("actionId").isNull() ? null : val.field("actionId").uint(),
                            actor(val.field("actor")));
            case "ActionResponse" ->
                    new ActionResponse(val.field("id").uint(), val.field("output").user());
            case "Event" ->
                    new Event(val.field("name").text(), Values.argsArray(val.field("args").user()));
            default -> throw body.field("tag").error("unknown ToClient tag " + Quote.of(tag));
        };
    }

    static Envelope of(ToServer message) {
        return switch (message) {
            case ActionRequest request ->
                    body(
                            "ActionRequest",
                            new Obj(
                                    new Field("id", new Id(request.id())),
                                    new Field("name", new Text(request.name())),
                                    new Field("args", new User(request.args()))));
            case SubscriptionRequest request ->
                    body(
                            "SubscriptionRequest",
                            new Obj(
                                    new Field("eventName", new Text(request.eventName())),
                                    new Field("subscribe", new Bool(request.subscribe()))));
        };
    }

    static ToServer toServer(Located root) {
        Located body = root.field("body");
        String tag = body.field("tag").text();
        Located val = body.field("val");
        return switch (tag) {
            case "ActionRequest" ->
                    new ActionRequest(
                            val.field("id").uint(),
                            val.field("name").text(),
                            Values.argsArray(val.field("args").user()));
            case "SubscriptionRequest" ->
                    new SubscriptionRequest(
                            val.field("eventName").text(), val.field("subscribe").bool());
            default -> throw body.field("tag").error("unknown ToServer tag " + Quote.of(tag));
        };
    }

    static Envelope of(HttpActionRequest message) {
        return new Obj(new Field("args", new User(message.args())));
    }

    static HttpActionRequest toHttpActionRequest(Located root) {
        return new HttpActionRequest(Values.argsArray(root.field("args").user()));
    }

    static Envelope of(HttpActionResponse message) {
        return new Obj(new Field("output", new User(message.output())));
    }

    static HttpActionResponse toHttpActionResponse(Located root) {
        return new HttpActionResponse(root.field("output").user());
    }

    /** The reference server writes this one sorted by name in CBOR too, with a short generation. */
    static Envelope of(HttpResponseError message) {
        List<Field> fields = new ArrayList<>();
        if (message.actor() != null) {
            fields.add(new Field("actor", actor(message.actor(), false)));
        }
        fields.add(new Field("code", new Text(message.code())));
        fields.add(new Field("group", new Text(message.group())));
        fields.add(new Field("message", new Text(message.message())));
        addMetadata(fields, message.metadata());
        return new Obj(fields);
    }

    static HttpResponseError toHttpResponseError(Located root) {
        return new HttpResponseError(
                root.field("group").text(),
                root.field("code").text(),
                root.field("message").text(),
                metadata(root.field("metadata")),
                actor(root.field("actor")));
    }

    private static Envelope body(String tag, Obj val) {
        return new Obj(
                new Field("body", new Obj(new Field("tag", new Text(tag)), new Field("val", val))));
    }

    private static void addMetadata(List<Field> fields, @Nullable JsonNode metadata) {
        if (metadata != null) {
            fields.add(new Field("metadata", new User(metadata)));
        }
    }

    private static Obj actor(ActorSpecifier actor, boolean wideGeneration) {
        List<Field> fields =
                new ArrayList<>(
                        List.of(
                                new Field("actorId", new Text(actor.actorId())),
                                new Field(
                                        "generation",
                                        new Num(actor.generation(), wideGeneration))));
        if (actor.key() != null) {
            fields.add(new Field("key", new Text(actor.key())));
        }
        return new Obj(fields);
    }

    private static @Nullable ActorSpecifier actor(Located actor) {
        if (actor.isNull()) {
            return null;
        }
        return new ActorSpecifier(
                actor.field("actorId").text(),
                actor.field("generation").uint(),
                actor.field("key").isNull() ? null : actor.field("key").text());
    }

    /** Absent is no metadata; an explicit null is kept, as BARE can carry it too. */
    private static @Nullable JsonNode metadata(Located metadata) {
        return metadata.value() == null ? null : metadata.user();
    }
}
