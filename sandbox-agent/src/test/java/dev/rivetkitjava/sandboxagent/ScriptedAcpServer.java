package dev.rivetkitjava.sandboxagent;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny stand-in for the Sandbox Agent server whose event stream the test writes byte for byte, to
 * feed the SDK input the real server never sends. {@code initialize} and {@code session/new} are
 * answered in the POST body (session id {@code scripted-1}); every other POST is answered 202 and
 * recorded, and the test sends its answer on the stream.
 */
final class ScriptedAcpServer implements AutoCloseable {

    static final String SESSION = "scripted-1";
    private static final String END = "\u0000end";

    private final HttpServer server;
    private final BlockingQueue<String> frames = new LinkedBlockingQueue<>();
    private final List<JsonNode> posts = new CopyOnWriteArrayList<>();
    private final List<String> lastEventIds = new CopyOnWriteArrayList<>();
    private final AtomicInteger streamsRequested = new AtomicInteger();
    private volatile int streamStatus = 200;

    ScriptedAcpServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext(
                "/v1/health",
                exchange -> respond(exchange, 200, "application/json", "{\"status\":\"ok\"}"));
        server.createContext(
                "/v1/agents",
                exchange ->
                        respond(
                                exchange,
                                400,
                                "text/plain; charset=utf-8",
                                "Failed to deserialize query string: missing field `mcpName`"));
        server.createContext("/v1/acp/", this::acp);
        server.start();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Writes raw bytes on the current (or next) event stream. */
    void send(String raw) {
        frames.add(raw);
    }

    /** One {@code event: message} frame with this id and JSON. */
    void message(long id, String json) {
        send("event: message\nid: " + id + "\ndata: " + json + "\n\n");
    }

    /** Ends the current event stream (the SDK then reconnects). */
    void endStream() {
        frames.add(END);
    }

    /** Answers later stream requests with this status (404 = the server forgot the ACP server). */
    void streamStatus(int status) {
        streamStatus = status;
    }

    List<JsonNode> posts() {
        return posts;
    }

    List<String> lastEventIds() {
        return lastEventIds;
    }

    int streamsRequested() {
        return streamsRequested.get();
    }

    /** The JSON-RPC id of the last POSTed request with this method, or null. */
    JsonNode lastRequestId(String method) {
        return posts.stream()
                .filter(p -> method.equals(p.path("method").asText()))
                .reduce((a, b) -> b)
                .map(p -> p.get("id"))
                .orElse(null);
    }

    static String chunk(String text) {
        return "{\"jsonrpc\":\"2.0\",\"method\":\"session/update\",\"params\":{\"sessionId\":\""
                + SESSION
                + "\",\"update\":{\"sessionUpdate\":\"agent_message_chunk\",\"content\":{\"type\":\"text\",\"text\":\""
                + text
                + "\"}}}}";
    }

    static String endTurn(JsonNode id) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":{\"stopReason\":\"end_turn\"}}";
    }

    private void acp(HttpExchange exchange) throws IOException {
        if (exchange.getRequestMethod().equals("GET")) {
            stream(exchange);
            return;
        }
        if (exchange.getRequestMethod().equals("DELETE")) {
            respond(exchange, 204, null, "");
            return;
        }
        JsonNode message = Json.MAPPER.readTree(exchange.getRequestBody().readAllBytes());
        posts.add(message);
        switch (message.path("method").asText()) {
            case "initialize" ->
                    respond(
                            exchange,
                            200,
                            "application/json",
                            "{\"jsonrpc\":\"2.0\",\"id\":"
                                    + message.get("id")
                                    + ",\"result\":{\"protocolVersion\":1}}");
            case "session/new" ->
                    respond(
                            exchange,
                            200,
                            "application/json",
                            "{\"jsonrpc\":\"2.0\",\"id\":"
                                    + message.get("id")
                                    + ",\"result\":{\"sessionId\":\""
                                    + SESSION
                                    + "\"}}");
            default -> respond(exchange, 202, null, "");
        }
    }

    private void stream(HttpExchange exchange) throws IOException {
        streamsRequested.incrementAndGet();
        String lastEventId = exchange.getRequestHeaders().getFirst("Last-Event-ID");
        if (lastEventId != null) {
            lastEventIds.add(lastEventId);
        }
        if (streamStatus != 200) {
            respond(
                    exchange,
                    streamStatus,
                    "application/problem+json",
                    "{\"type\":\"urn:sandbox-agent:error:"
                            + "session_not_found\",\"title\":\"Session Not Found\",\"status\":404,\"detail\":\"session not found\"}");
            return;
        }
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(
                    ": open\n\n"
                            .getBytes(
                                    StandardCharsets
                                            .UTF_8)); // puts the headers on the wire, as the real
            // server does
            out.flush();
            while (true) {
                String frame = frames.take();
                if (frame.equals(END)) {
                    return;
                }
                out.write(frame.getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the SDK closed the stream
        }
    }

    private static void respond(HttpExchange exchange, int status, String type, String body)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        if (type != null) {
            exchange.getResponseHeaders().set("Content-Type", type);
        }
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        frames.add(END);
        server.stop(0);
    }
}
