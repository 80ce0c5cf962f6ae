package dev.rivetkitjava.protocol;

import static dev.rivetkitjava.protocol.Captured.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.NullNode;
import org.junit.jupiter.api.Test;

/** Mistakes in the server's own messages fail when the message is built, not later on the wire. */
class MessageRecordsTest {
    @Test
    void argsMustBeAnArray() {
        assertThatThrownBy(() -> new ToServer.ActionRequest(0, "a", json("5")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("args must be a JSON array, was NUMBER");
        assertThatThrownBy(() -> new ToClient.Event("e", null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("args");
        assertThatThrownBy(() -> new HttpActionRequest(json("{}")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void integersMustNotBeNegative() {
        assertThatThrownBy(() -> new ToClient.ActionResponse(-1, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("id must not be negative: -1");
        assertThatThrownBy(() -> new ToClient.Error("g", "c", "m", null, -2L, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("actionId must not be negative: -2");
        assertThatThrownBy(() -> new ActorSpecifier("a", -1, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("generation must not be negative: -1");
    }

    @Test
    void requiredTextMustBePresent() {
        assertThatThrownBy(() -> new ToClient.Error(null, "c", "m", null, null, null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("group");
        assertThatThrownBy(() -> new ToServer.SubscriptionRequest(null, true))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("eventName");
    }

    @Test
    void missingOutputIsJsonNull() {
        assertThat(new ToClient.ActionResponse(0, null).output()).isEqualTo(NullNode.getInstance());
        assertThat(new HttpActionResponse(null).output()).isEqualTo(NullNode.getInstance());
    }
}
