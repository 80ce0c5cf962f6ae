package dev.rivetkitjava.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.core.util.RecyclerPool;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ValueNode;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;
import com.fasterxml.jackson.dataformat.cbor.CBORParser;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import java.io.IOException;
import java.math.BigInteger;

/**
 * The Jackson mappers every codec shares, set up so that hostile input fails fast with a clear
 * message.
 */
final class Values {
    /**
     * Deeper than any sane actor state, yet shallow enough that the recursive JSON-compat walks
     * over a decoded tree cannot overflow the stack.
     */
    static final int MAX_NESTING = 512;

    /**
     * Buffers from a shared pool: the default keeps them per thread, and frames are encoded on
     * short-lived virtual threads, which would allocate them afresh for every message.
     */
    private static final RecyclerPool<BufferRecycler> POOL =
            JsonRecyclerPools.sharedConcurrentDequePool();

    private static final StreamReadConstraints LIMITS =
            StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).build();

    static final ObjectMapper JSON =
            JsonMapper.builder(
                            JsonFactory.builder()
                                    .streamReadConstraints(LIMITS)
                                    .recyclerPool(POOL)
                                    .build())
                    .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                    .nodeFactory(new JsNumbers())
                    .build();

    static final ObjectMapper CBOR =
            CBORMapper.builder(
                            CBORFactory.builder()
                                    .streamReadConstraints(LIMITS)
                                    .recyclerPool(POOL)
                                    // cbor-x writes negative bignums per RFC 8949 (-1 - n);
                                    // Jackson's default reads them off by one.
                                    .enable(
                                            CBORParser.Feature
                                                    .DECODE_USING_STANDARD_NEGATIVE_BIGINT_ENCODING)
                                    // A lone surrogate is legal in a JS string (so in JSON) but not
                                    // in UTF-8: write U+FFFD, as the
                                    // client's TextEncoder does, instead of failing.
                                    .enable(CBORGenerator.Feature.LENIENT_UTF_ENCODING)
                                    .build())
                    .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                    .build();

    private Values() {}

    /**
     * Parses exactly one JSON or CBOR value; anything else is a ProtocolException that names {@code
     * where}.
     */
    static JsonNode read(ObjectMapper mapper, byte[] data, String where) {
        String format = mapper == JSON ? "JSON" : "CBOR";
        JsonNode node;
        try {
            node = mapper.readTree(data);
        } catch (JsonProcessingException e) {
            throw new ProtocolException(
                    where + ": invalid " + format + ": " + e.getOriginalMessage(), e);
        } catch (IOException | RuntimeException e) {
            // Only byte[] input, so no real I/O; a parser that trips over malformed input is still
            // malformed input.
            throw new ProtocolException(where + ": invalid " + format + ": " + e, e);
        }
        if (node == null || node.isMissingNode()) {
            throw new ProtocolException(
                    where + ": empty input where a " + format + " value was expected");
        }
        return node;
    }

    static byte[] write(ObjectMapper mapper, JsonNode node) {
        try {
            return mapper.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new ProtocolException("cannot encode value: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Arguments as the array the server expects: null (or {@code undefined}) is no arguments and a
     * lone value is one argument, as the reference server reads them.
     */
    static JsonNode argsArray(JsonNode revived) {
        if (revived.isArray()) {
            return revived;
        }
        ArrayNode args = JsonNodeFactory.instance.arrayNode();
        return revived.isNull() ? args : args.add(revived);
    }

    /**
     * JSON has no bigints on this protocol (they travel as {@code ["$BigInt", "…"]}), so an integer
     * too large for a long is a JavaScript number that lost precision: keep it a double, or it
     * would come back as a bigint.
     */
    private static final class JsNumbers extends JsonNodeFactory {
        @Override
        public ValueNode numberNode(BigInteger v) {
            return v == null ? nullNode() : numberNode(v.doubleValue());
        }
    }
}
