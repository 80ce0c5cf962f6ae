package dev.rivetkitjava.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The gateway's URLs pinned to the letter, as RivetKit 2.3.19's client writes them. */
class GatewayUrlTest {
    @Test
    void theQueryGatewayInTheClientsOrder() {
        assertThat(
                        GatewayUrl.query("http://h:1", "counter", "/connect")
                                .getOrCreate("default")
                                .key(List.of("a b", "c+d"))
                                .input(new byte[] {(byte) 0xfb, (byte) 0xff})
                                .token("t&k")
                                .build())
                .isEqualTo(
                        "http://h:1/gateway/counter/connect?rvt-namespace=default&rvt-method=getOrCreate"
                                + "&rvt-runner=default&rvt-key=a+b%2Cc%2Bd&rvt-input=-_8&rvt-crash-policy=sleep&rvt-token=t%26k");
        assertThat(
                        GatewayUrl.query("http://h", "my actor", "/action/x")
                                .namespace("n s")
                                .get()
                                .input(new byte[] {1})
                                .build())
                .isEqualTo("http://h/gateway/my%20actor/action/x?rvt-namespace=n+s&rvt-method=get");
        assertThatThrownBy(() -> GatewayUrl.query("http://h", "c", "/").build())
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void theDirectGateway() {
        assertThat(GatewayUrl.direct("http://h", "abc", null, "/connect"))
                .isEqualTo("http://h/gateway/abc/connect");
        assertThat(GatewayUrl.direct("http://h", "abc", "t/k", "/action/a"))
                .isEqualTo("http://h/gateway/abc@t%2Fk/action/a");
    }

    @Test
    void tokensAreRedacted() {
        assertThat(GatewayUrl.redact("http://h/gateway/abc@secret/connect"))
                .isEqualTo("http://h/gateway/abc@***/connect");
        assertThat(GatewayUrl.redact("http://h/gateway/c/connect?rvt-key=k&rvt-token=secret&x=1"))
                .isEqualTo("http://h/gateway/c/connect?rvt-key=k&rvt-token=***&x=1");
    }

    @Test
    void whatIsWrittenReadsBack() {
        String url =
                GatewayUrl.query("", "my actor", "/request/p")
                        .getOrCreate("pool")
                        .key(List.of("a b", "", "ü"))
                        .input(new byte[] {1, 2})
                        .token("tk")
                        .build();
        int q = url.indexOf('?');
        GatewayUrl.Parsed parsed =
                GatewayUrl.parse(url.substring(0, q), url.substring(q + 1) + "&x=1");
        assertThat(parsed)
                .isEqualTo(
                        new GatewayUrl.Parsed(
                                new GatewayUrl.ByQuery(
                                        "my actor",
                                        "getOrCreate",
                                        List.of("a b", "", "ü"),
                                        "pool",
                                        "AQI"),
                                "/request/p",
                                "x=1",
                                "tk",
                                "default"));

        assertThat(GatewayUrl.parse("/gateway/id+1@tok/connect", null))
                .isEqualTo(
                        new GatewayUrl.Parsed(
                                new GatewayUrl.ById("id+1"), "/connect", "", "tok", "default"));
        assertThat(GatewayUrl.parse("/gateway/id", "rvt-token=q&rvt-namespace=ns"))
                .isEqualTo(new GatewayUrl.Parsed(new GatewayUrl.ById("id"), "/", "", "q", "ns"));
        assertThat(GatewayUrl.parse("/gateway/c/connect", "rvt-method=get").target())
                .isEqualTo(new GatewayUrl.ByQuery("c", "get", List.of(), null, null));
    }

    @Test
    void whatTheGuardRefuses() {
        assertInvalid("/gateway//connect", null, "the gateway path names no actor");
        assertInvalid("/gateway/c/connect", "rvt-foo=1", "unknown query parameter `rvt-foo`");
        assertInvalid(
                "/gateway/c/connect",
                "rvt-key=a&rvt-key=b&rvt-method=get",
                "query parameter `rvt-key` is given twice");
        assertInvalid("/gateway/c/connect", "rvt-key=a", "rvt-key and rvt-input need rvt-method");
        assertInvalid(
                "/gateway/c/connect",
                "rvt-method=get&rvt-runner=x",
                "`rvt-runner` is not allowed with rvt-method=get");
        assertInvalid(
                "/gateway/c/connect",
                "rvt-method=create",
                "rvt-method must be get or getOrCreate, not `create`");
        assertInvalid("/gateway/%E/connect", null, "bad percent-encoding in `%E`");
        assertThatThrownBy(() -> GatewayUrl.parse("/actors", null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static void assertInvalid(String path, String query, String why) {
        assertThatThrownBy(() -> GatewayUrl.parse(path, query))
                .isInstanceOf(GatewayUrl.InvalidException.class)
                .hasMessage(why);
    }
}
