package dev.rivetkitjava.sandboxagent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A WHATWG {@code text/event-stream} parser: lines end with CRLF, LF or CR; {@code :} lines are
 * comments (the server's heartbeat); {@code event}, {@code id}, {@code data} (several lines joined
 * with {@code \n}) and {@code retry} fields; other fields are ignored; a blank line dispatches. An
 * event whose data would exceed {@code maxEventBytes} is reported as oversized without its data,
 * and parsing goes on with the next event.
 */
final class SseParser {

    private final InputStream in;
    private final int maxEventBytes;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    private boolean lineTooLong;
    private boolean lastWasCr;

    private @Nullable String type;
    private @Nullable String id;
    private final StringBuilder data = new StringBuilder();
    private boolean hasData;
    private @Nullable Long retry;
    private boolean oversized;

    SseParser(InputStream in, int maxEventBytes) {
        this.in = in;
        this.maxEventBytes = maxEventBytes;
    }

    /**
     * Reads and dispatches events until the stream ends; an unfinished last event is dropped, as
     * WHATWG says.
     */
    void run(Consumer<SseEvent> sink) throws IOException {
        byte[] buffer = new byte[8192];
        int n;
        while ((n = in.read(buffer)) != -1) {
            for (int i = 0; i < n; i++) {
                byte b = buffer[i];
                if (b == '\n' && lastWasCr) {
                    lastWasCr = false;
                    continue;
                }
                lastWasCr = b == '\r';
                if (b == '\n' || b == '\r') {
                    endLine(sink);
                } else if (line.size() <= maxEventBytes) {
                    line.write(b);
                } else {
                    lineTooLong = true;
                }
            }
        }
    }

    private void endLine(Consumer<SseEvent> sink) {
        if (lineTooLong) {
            line.reset();
            lineTooLong = false;
            oversized = true;
            return;
        }
        String text = line.toString(StandardCharsets.UTF_8);
        line.reset();
        if (text.isEmpty()) {
            dispatch(sink);
            return;
        }
        if (text.charAt(0) == ':') {
            return;
        }
        int colon = text.indexOf(':');
        String field = colon < 0 ? text : text.substring(0, colon);
        String value = colon < 0 ? "" : text.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        switch (field) {
            case "event" -> type = value;
            case "id" -> {
                if (value.indexOf('\0') < 0) {
                    id = value;
                }
            }
            case "data" -> {
                if (oversized || data.length() + value.length() + 1 > maxEventBytes) {
                    oversized = true;
                    data.setLength(0);
                } else {
                    data.append(value).append('\n');
                }
                hasData = true;
            }
            case "retry" -> {
                if (!value.isEmpty()
                        && value.chars().allMatch(Character::isDigit)
                        && value.length() < 19) {
                    retry = Long.parseLong(value);
                }
            }
            default -> {
                // unknown fields are ignored (WHATWG)
            }
        }
    }

    private void dispatch(Consumer<SseEvent> sink) {
        if (hasData || oversized) {
            String joined = oversized ? null : data.substring(0, data.length() - 1);
            sink.accept(
                    new SseEvent(
                            type == null || type.isEmpty() ? "message" : type,
                            id,
                            joined,
                            retry,
                            oversized));
        }
        type = null;
        id = null;
        data.setLength(0);
        hasData = false;
        retry = null;
        oversized = false;
    }
}
