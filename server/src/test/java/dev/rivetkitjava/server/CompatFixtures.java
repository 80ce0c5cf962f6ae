package dev.rivetkitjava.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rivetkitjava.actor.ActorType;
import dev.rivetkitjava.actor.Conn;
import dev.rivetkitjava.actor.RawResponse;
import dev.rivetkitjava.actor.UserError;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The Java twins of the fixture actors in {@code compat/reference-server.mjs} (the RivetKit server
 * the golden outputs were recorded against): same names, actions, events and errors. Public for the
 * client's tests (server test-jar).
 */
public final class CompatFixtures {
    private static final ObjectMapper JSON = new ObjectMapper();

    private CompatFixtures() {}

    public static final class Counter {
        public int count;
    }

    public record CounterVars(long wokeAt) {}

    public record ConnState(String user) {}

    public static ActorType<Counter, CounterVars> counter(Duration sleepTimeout) {
        return ActorType.builder("counter", Counter.class, CounterVars.class)
                .createState(c -> new Counter())
                .createVars(c -> new CounterVars(c.nowMillis()))
                .onBeforeConnect(
                        (c, params) -> {
                            if (params.path("reject").asBoolean(false)) {
                                throw new UserError("connection rejected", "rejected");
                            }
                        })
                .createConnState(
                        (c, params) ->
                                new ConnState(
                                        params.hasNonNull("user")
                                                ? params.get("user").asText()
                                                : "anon"))
                .action(
                        "increment",
                        Integer.class,
                        (c, amount) -> {
                            c.state().count += amount == null ? 1 : amount;
                            c.broadcast("newCount", c.state().count);
                            return c.state().count;
                        })
                .action("getCount", c -> c.state().count)
                .action(
                        "whoami",
                        c -> {
                            Conn conn = c.conn().orElseThrow();
                            Map<String, Object> me = new LinkedHashMap<>();
                            me.put("connId", conn.id());
                            me.put("connState", conn.state());
                            me.put("params", conn.params());
                            me.put("key", c.key());
                            me.put("actorId", c.actorId());
                            me.put("name", c.name());
                            return me;
                        })
                .action(
                        "fail",
                        c -> {
                            throw new UserError("boom", "custom_code", Map.of("a", 1));
                        })
                .action(
                        "internalFail",
                        c -> {
                            throw new IllegalStateException("secret internal detail");
                        })
                .action(
                        "slow",
                        Integer.class,
                        (c, ms) ->
                                c.await(
                                        () -> {
                                            Thread.sleep(ms);
                                            return ms;
                                        }))
                .action(
                        "kick",
                        c -> {
                            Conn conn = c.conn().orElseThrow();
                            // As the reference does: after the reply has gone out.
                            CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS)
                                    .execute(() -> conn.disconnect("kicked"));
                            return "kicking";
                        })
                .action(
                        "sendToMe",
                        JsonNode.class,
                        (c, message) -> {
                            c.conn().orElseThrow().send("direct", message, 2);
                            return true;
                        })
                .action(
                        "goToSleep",
                        c -> {
                            c.sleep();
                            return "ok";
                        })
                .onRequest(
                        (c, request) -> {
                            Map<String, Object> body = new LinkedHashMap<>();
                            body.put("path", request.path());
                            body.put(
                                    "search",
                                    request.query().isEmpty() ? "" : "?" + request.query());
                            body.put("count", c.state().count);
                            return new RawResponse(
                                    200,
                                    Map.of("content-type", "application/json"),
                                    JSON.writeValueAsBytes(body));
                        })
                .onWebSocket((c, socket) -> socket.onText(text -> socket.send("echo:" + text)))
                .sleepTimeout(sleepTimeout)
                .build();
    }

    public static final class Lifecycle {
        public JsonNode input;
        public List<String> log = new ArrayList<>();
        public int scheduled;
    }

    public static final class LifecycleVars {
        public int n;
    }

    public static ActorType<Lifecycle, LifecycleVars> lifecycle(Duration sleepTimeout) {
        return ActorType.builder("lifecycle", Lifecycle.class, LifecycleVars.class)
                .createState(
                        JsonNode.class,
                        (c, input) -> {
                            Lifecycle state = new Lifecycle();
                            state.input = input;
                            state.log.add("createState");
                            return state;
                        })
                .onCreate((c, input) -> c.state().log.add("onCreate"))
                .createVars(c -> new LifecycleVars())
                .onWake(c -> c.state().log.add("onWake"))
                .onSleep(c -> c.state().log.add("onSleep"))
                .action("getState", c -> c.state())
                .action(
                        "scheduleTick",
                        Integer.class,
                        (c, ms) ->
                                c.schedule().after(Duration.ofMillis(ms), "tick", "from-schedule"))
                .action(
                        "tick",
                        String.class,
                        (c, arg) -> {
                            c.state().scheduled += 1;
                            c.broadcast("ticked", c.state().scheduled, arg);
                            return c.state().scheduled;
                        })
                .action(
                        "destroyMe",
                        c -> {
                            c.destroy();
                            return "destroying";
                        })
                .action("bumpVars", c -> ++c.vars().n)
                .sleepTimeout(sleepTimeout)
                .build();
    }
}
