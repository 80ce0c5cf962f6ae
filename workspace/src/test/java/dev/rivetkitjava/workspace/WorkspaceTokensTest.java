package dev.rivetkitjava.workspace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.rivetkitjava.actor.ActorError;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkspaceTokensTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
    private final byte[] secret = random(32);
    private final WorkspaceTokens tokens = WorkspaceTokens.of(secret);

    @Test
    void aTokenRoundTripsToItsCaller() {
        String token =
                tokens.issue(
                        "u-alice",
                        "Alice",
                        List.of("ws-1", "ws-2"),
                        Caller.Role.MEMBER,
                        Duration.ofHours(12));
        assertThat(tokens.admit("ws-1", params(token)))
                .isEqualTo(new Caller("u-alice", "Alice", Caller.Role.MEMBER));
        assertThat(tokens.admit("ws-2", params(token)).userId()).isEqualTo("u-alice");
        assertThat(tokens.selfDeclared()).isFalse();
    }

    @Test
    void aViewerTokenAdmitsAViewer() {
        String token =
                tokens.issue(
                        "carol",
                        "Carol",
                        List.of("ws-1"),
                        Caller.Role.VIEWER,
                        Duration.ofMinutes(5));
        assertThat(tokens.admit("ws-1", params(token)).role()).isEqualTo(Caller.Role.VIEWER);
    }

    @Test
    void theClaimsAreTheDocumentedOnes() throws Exception {
        Instant now = Instant.parse("2030-01-02T03:04:05Z");
        String token =
                tokens.withClock(Clock.fixed(now, ZoneOffset.UTC))
                        .issue(
                                "u-bob",
                                "Bob",
                                List.of("*"),
                                Caller.Role.MEMBER,
                                Duration.ofHours(1));
        JWTClaimsSet claims = SignedJWT.parse(token).getJWTClaimsSet();
        assertThat(SignedJWT.parse(token).getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.HS256);
        assertThat(claims.getSubject()).isEqualTo("u-bob");
        assertThat(claims.getClaim("name")).isEqualTo("Bob");
        assertThat(claims.getClaim("ws")).isEqualTo("*");
        assertThat(claims.getClaim("role")).isEqualTo("member");
        assertThat(claims.getIssueTime().toInstant()).isEqualTo(now);
        assertThat(claims.getExpirationTime().toInstant()).isEqualTo(now.plus(Duration.ofHours(1)));
        String scoped =
                tokens.issue(
                        "u-bob", "Bob", List.of("a", "b"), Caller.Role.VIEWER, Duration.ofHours(1));
        assertThat(SignedJWT.parse(scoped).getJWTClaimsSet().getStringListClaim("ws"))
                .containsExactly("a", "b");
    }

    @Test
    void aStarTokenOpensEveryWorkspace() {
        String token =
                tokens.issue(
                        "admin",
                        "Admin",
                        List.of(WorkspaceTokens.ANY_WORKSPACE),
                        Caller.Role.MEMBER,
                        Duration.ofHours(1));
        assertThat(tokens.admit("anything", params(token)).name()).isEqualTo("Admin");
        assertThat(tokens.admit("ws-other", params(token)).name()).isEqualTo("Admin");
    }

    @Test
    void anotherWorkspaceIsRefused() {
        String token =
                tokens.issue(
                        "alice", "Alice", List.of("ws-1"), Caller.Role.MEMBER, Duration.ofHours(1));
        assertRefused(() -> tokens.admit("ws-2", params(token)), "workspace_not_allowed", "ws-2");
    }

    @Test
    void anExpiredTokenIsRefusedSayingWhenItExpired() {
        Instant issued = Instant.now().minus(Duration.ofHours(3));
        String token =
                tokens.withClock(Clock.fixed(issued, ZoneOffset.UTC))
                        .issue(
                                "alice",
                                "Alice",
                                List.of("ws-1"),
                                Caller.Role.MEMBER,
                                Duration.ofHours(1));
        Instant expired =
                issued.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).plus(Duration.ofHours(1));
        assertRefused(
                () -> tokens.admit("ws-1", params(token)),
                "token_expired",
                "Your link expired at " + expired + "; ask for a new one.");
        // Valid until its very second, as seen by a clock at that time.
        assertThat(
                        tokens.withClock(Clock.fixed(expired.minusSeconds(1), ZoneOffset.UTC))
                                .admit("ws-1", params(token))
                                .userId())
                .isEqualTo("alice");
    }

    @Test
    void aMissingTokenIsRequired() {
        for (JsonNode params :
                new JsonNode[] {
                    null,
                    NullNode.getInstance(),
                    JSON.createObjectNode(),
                    JSON.valueToTree(Map.of("userId", "alice")),
                    JSON.valueToTree(Map.of("token", "  ")),
                    JSON.valueToTree(Map.of("token", 42))
                }) {
            assertRefused(
                    () -> tokens.admit("ws-1", params),
                    "token_required",
                    "This workspace needs a sign-in token: open the link you were given.");
        }
    }

    @Test
    void malformedTokensAreInvalid() {
        for (String token : List.of("garbage", "a.b.c", "a.b", "..", "eyJhbGciOiJIUzI1NiJ9.e30")) {
            assertRefused(() -> tokens.admit("ws-1", params(token)), "token_invalid", "not valid");
        }
    }

    @Test
    void aForgedSignatureIsInvalid() {
        String token =
                tokens.issue(
                        "alice", "Alice", List.of("ws-1"), Caller.Role.MEMBER, Duration.ofHours(1));
        String[] parts = token.split("\\.");
        String forged = parts[0] + "." + parts[1] + "." + B64URL.encodeToString(random(32));
        assertRefused(() -> tokens.admit("ws-1", params(forged)), "token_invalid", "signature");
    }

    @Test
    void aViewerCannotPromoteItselfByEditingItsClaims() {
        String token =
                tokens.issue(
                        "carol", "Carol", List.of("ws-1"), Caller.Role.VIEWER, Duration.ofHours(1));
        String[] parts = token.split("\\.");
        String claims =
                new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
                        .replace("\"viewer\"", "\"member\"");
        assertThat(claims).contains("\"member\"");
        String promoted =
                parts[0]
                        + "."
                        + B64URL.encodeToString(claims.getBytes(StandardCharsets.UTF_8))
                        + "."
                        + parts[2];
        assertRefused(() -> tokens.admit("ws-1", params(promoted)), "token_invalid", "signature");
    }

    @Test
    void aTokenSignedWithAnotherSecretIsInvalid() {
        String token =
                WorkspaceTokens.of(random(32))
                        .issue(
                                "alice",
                                "Alice",
                                List.of("ws-1"),
                                Caller.Role.MEMBER,
                                Duration.ofHours(1));
        assertRefused(() -> tokens.admit("ws-1", params(token)), "token_invalid", "signature");
    }

    @Test
    void algNoneIsInvalid() {
        String header =
                B64URL.encodeToString(
                        "{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        long exp = Instant.now().plusSeconds(3600).getEpochSecond();
        String claims =
                B64URL.encodeToString(
                        ("{\"sub\":\"mallory\",\"name\":\"Mallory\",\"ws\":\"*\",\"role\":\"member\","
                                        + "\"exp\":"
                                        + exp
                                        + "}")
                                .getBytes(StandardCharsets.UTF_8));
        for (String token : List.of(header + "." + claims + ".", header + "." + claims)) {
            assertRefused(() -> tokens.admit("ws-1", params(token)), "token_invalid", "not valid");
        }
    }

    @Test
    void anotherAlgorithmWithTheSameSecretIsInvalid() throws Exception {
        byte[] longSecret = random(64);
        WorkspaceTokens strong = WorkspaceTokens.of(longSecret);
        SignedJWT hs512 =
                new SignedJWT(
                        new JWSHeader(JWSAlgorithm.HS512),
                        new JWTClaimsSet.Builder()
                                .subject("alice")
                                .claim("name", "Alice")
                                .claim("ws", "*")
                                .claim("role", "member")
                                .expirationTime(Date.from(Instant.now().plusSeconds(3600)))
                                .build());
        hs512.sign(new MACSigner(longSecret));
        assertRefused(
                () -> strong.admit("ws-1", params(hs512.serialize())), "token_invalid", "HS256");
    }

    @Test
    void aSignedTokenWithoutExpiryOrRoleIsInvalid() throws Exception {
        JWTClaimsSet noExpiry =
                new JWTClaimsSet.Builder()
                        .subject("alice")
                        .claim("name", "Alice")
                        .claim("ws", "*")
                        .claim("role", "member")
                        .build();
        JWTClaimsSet badRole =
                new JWTClaimsSet.Builder()
                        .subject("alice")
                        .claim("name", "Alice")
                        .claim("ws", "*")
                        .claim("role", "admin")
                        .expirationTime(Date.from(Instant.now().plusSeconds(60)))
                        .build();
        for (JWTClaimsSet claims : List.of(noExpiry, badRole)) {
            SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
            jwt.sign(new MACSigner(secret));
            assertRefused(
                    () -> tokens.admit("ws-1", params(jwt.serialize())),
                    "token_invalid",
                    "not valid");
        }
    }

    @Test
    void issueRefusesWhatCouldNotBeAdmitted() {
        assertThatThrownBy(
                        () ->
                                tokens.issue(
                                        "alice",
                                        "Alice",
                                        List.of(),
                                        Caller.Role.MEMBER,
                                        Duration.ofHours(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(
                        () ->
                                tokens.issue(
                                        " ",
                                        "Alice",
                                        List.of("w"),
                                        Caller.Role.MEMBER,
                                        Duration.ofHours(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(
                        () ->
                                tokens.issue(
                                        "alice",
                                        "Alice",
                                        List.of("w"),
                                        Caller.Role.MEMBER,
                                        Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WorkspaceTokens.of(random(31)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("32");
    }

    @Test
    void theSecretFileIsCreatedOnceReadableByItsOwnerOnly(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("keys/secret");
        assertThat(WorkspaceTokens.createSecretFile(file)).isTrue();
        String written = Files.readString(file);
        assertThat(Base64.getDecoder().decode(written.strip())).hasSize(32);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
        assertThat(WorkspaceTokens.createSecretFile(file))
                .as("an existing secret is kept")
                .isFalse();
        assertThat(Files.readString(file)).isEqualTo(written);

        String token =
                WorkspaceTokens.fromSecretFile(file)
                        .issue(
                                "alice",
                                "Alice",
                                List.of("ws-1"),
                                Caller.Role.MEMBER,
                                Duration.ofHours(1));
        assertThat(WorkspaceTokens.fromSecretFile(file).admit("ws-1", params(token)).userId())
                .isEqualTo("alice");
        assertRefused(() -> tokens.admit("ws-1", params(token)), "token_invalid", "signature");
    }

    @Test
    void aMissingOrShortSecretFileSaysHowToCreateOne(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("none");
        assertThatThrownBy(() -> WorkspaceTokens.fromSecretFile(missing))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not exist")
                .hasMessageContaining("head -c 32 /dev/urandom | base64");
        Path shortOne =
                Files.writeString(
                        dir.resolve("short"), Base64.getEncoder().encodeToString(random(16)));
        assertThatThrownBy(() -> WorkspaceTokens.fromSecretFile(shortOne))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("holds 16 bytes")
                .hasMessageContaining("token --auth-secret-file");
        Path notBase64 = Files.writeString(dir.resolve("text"), "this is not base64 at all!");
        assertThatThrownBy(() -> WorkspaceTokens.fromSecretFile(notBase64))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not base64");
    }

    private static JsonNode params(String token) {
        return JSON.valueToTree(Map.of("token", token));
    }

    private static void assertRefused(ThrowingCallable call, String code, String message) {
        assertThatThrownBy(call)
                .isInstanceOfSatisfying(
                        ActorError.class,
                        e -> {
                            assertThat(e.group()).isEqualTo("auth");
                            assertThat(e.code()).isEqualTo(code);
                            assertThat(e.getMessage()).contains(message);
                        });
    }

    private static byte[] random(int bytes) {
        byte[] out = new byte[bytes];
        new SecureRandom().nextBytes(out);
        return out;
    }
}
