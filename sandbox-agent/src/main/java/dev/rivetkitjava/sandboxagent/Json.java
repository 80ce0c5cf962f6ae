package dev.rivetkitjava.sandboxagent;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** The SDK's one JSON mapper: unknown fields are ignored, as the server adds fields over time. */
final class Json {

    static final ObjectMapper MAPPER =
            JsonMapper.builder(
                            JsonFactory.builder()
                                    // Buffers from a shared pool: the default keeps them per
                                    // thread, and the SDK's are short-lived
                                    // virtual threads, which would allocate them afresh for every
                                    // event.
                                    .recyclerPool(JsonRecyclerPools.sharedConcurrentDequePool())
                                    .build())
                    .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .build();

    private Json() {}
}
