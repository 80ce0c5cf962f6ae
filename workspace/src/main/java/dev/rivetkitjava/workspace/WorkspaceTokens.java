package dev.rivetkitjava.workspace;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.rivetkitjava.actor.ActorError;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sign-in tokens: who may connect to which workspaces, as whom and in which role, signed by the
 * server's secret. A token is an HS256 JWT with the claims {@code sub} (the user id), {@code name}
 * (the display name), {@code ws} (the workspace ids it opens, or {@code "*"} for all), {@code role}
 * ({@code member} or {@code viewer}), {@code iat} and {@code exp}. The page passes it as the
 * connection parameter {@code token}.
 *
 * <pre>{@code
 * WorkspaceTokens tokens = WorkspaceTokens.fromSecretFile(Path.of("secret"));
 * String token = tokens.issue("alice", "Alice", List.of("ws-1"), Caller.Role.MEMBER, Duration.ofHours(12));
 * WorkspaceConfig config = WorkspaceConfig.builder(url).access(tokens).build();
 * }</pre>
 *
 * <p>{@link #admit} refuses with {@code auth.token_required} (no token), {@code auth.token_invalid}
 * (malformed, not signed with this secret, or any algorithm but HS256, {@code none} included),
 * {@code auth.token_expired} and {@code auth.workspace_not_allowed}.
 */
public final class WorkspaceTokens implements WorkspaceAccess {

    private static final Logger log = LoggerFactory.getLogger(WorkspaceTokens.class);

    /** The least secret this accepts: HS256's key is 256 bits. */
    public static final int MIN_SECRET_BYTES = 32;

    /** The {@code ws} claim of a token that opens every workspace. */
    public static final String ANY_WORKSPACE = "*";

    private static final String NAME = "name";
    private static final String WORKSPACES = "ws";
    private static final String ROLE = "role";

    private final byte[] secret;
    private final Clock clock;
    private final MACSigner signer;
    private final MACVerifier verifier;

    private WorkspaceTokens(byte[] secret, Clock clock) {
        if (secret.length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException(
                    "a token secret has at least "
                            + MIN_SECRET_BYTES
                            + " bytes, this one "
                            + secret.length);
        }
        this.secret = secret.clone();
        this.clock = Objects.requireNonNull(clock, "clock");
        try {
            this.signer = new MACSigner(this.secret);
            this.verifier = new MACVerifier(this.secret);
        } catch (JOSEException e) {
            throw new IllegalArgumentException("unusable token secret: " + e.getMessage(), e);
        }
    }

    /** Tokens signed with {@code secret} (at least 32 bytes). */
    public static WorkspaceTokens of(byte[] secret) {
        return new WorkspaceTokens(secret, Clock.systemUTC());
    }

    /**
     * Tokens signed with the secret in {@code file}: base64 text of at least 32 random bytes, as
     * {@link #createSecretFile} writes it.
     *
     * @throws IllegalArgumentException when the file is missing, unreadable or holds too short a
     *     secret, with a message that says how to create one
     */
    public static WorkspaceTokens fromSecretFile(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(
                    "the secret file " + file + " does not exist. " + howToCreate(file));
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "cannot read the secret file " + file + ": " + e.getMessage());
        }
        byte[] secret;
        try {
            secret = Base64.getDecoder().decode(text.replaceAll("\\s+", ""));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "the secret file " + file + " is not base64 text. " + howToCreate(file));
        }
        if (secret.length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException(
                    "the secret file "
                            + file
                            + " holds "
                            + secret.length
                            + " bytes, fewer "
                            + "than the "
                            + MIN_SECRET_BYTES
                            + " needed. "
                            + howToCreate(file));
        }
        warnIfShared(file);
        return new WorkspaceTokens(secret, Clock.systemUTC());
    }

    private static String howToCreate(Path file) {
        return "Create it with `bin/rivetkit-java token --auth-secret-file "
                + file
                + " ...` (which writes "
                + MIN_SECRET_BYTES
                + " random bytes, readable by you only), or `head -c "
                + MIN_SECRET_BYTES
                + " /dev/urandom | base64 > "
                + file
                + " && chmod 600 "
                + file
                + "`.";
    }

    private static void warnIfShared(Path file) {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (permissions.stream()
                    .anyMatch(
                            p -> p.name().startsWith("GROUP_") || p.name().startsWith("OTHERS_"))) {
                log.warn(
                        "the secret file {} is readable by others ({}): anyone who reads it can sign in as anyone; "
                                + "chmod 600 it",
                        file,
                        PosixFilePermissions.toString(permissions));
            }
        } catch (IOException | UnsupportedOperationException e) {
            // not a POSIX file system: nothing to check
        }
    }

    /**
     * Creates {@code file} with {@value #MIN_SECRET_BYTES} random bytes (SecureRandom) as base64
     * text, readable and writable by its owner only (0600), unless it exists.
     *
     * @return whether it was created (false: it existed and is left as it is)
     */
    public static boolean createSecretFile(Path file) {
        byte[] secret = new byte[MIN_SECRET_BYTES];
        new SecureRandom().nextBytes(secret);
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            FileAttribute<?>[] ownerOnly =
                    file.getFileSystem().supportedFileAttributeViews().contains("posix")
                            ? new FileAttribute<?>[] {
                                PosixFilePermissions.asFileAttribute(
                                        PosixFilePermissions.fromString("rw-------"))
                            }
                            : new FileAttribute<?>[0];
            Files.createFile(file, ownerOnly);
            try (Writer out =
                    Files.newBufferedWriter(
                            file, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING)) {
                out.write(Base64.getEncoder().encodeToString(secret) + "\n");
            }
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot create the secret file " + file + ": " + e.getMessage(), e);
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
    }

    /** The same secret, with another clock (tests: tokens issued or checked at another time). */
    public WorkspaceTokens withClock(Clock clock) {
        return new WorkspaceTokens(secret, clock);
    }

    /**
     * A signed token.
     *
     * @param userId the user's stable id ({@code sub})
     * @param name the display name others see
     * @param workspaces the workspace ids it opens; {@value #ANY_WORKSPACE} alone for all
     * @param ttl how long it is valid from now
     */
    public String issue(
            String userId,
            String name,
            Collection<String> workspaces,
            Caller.Role role,
            Duration ttl) {
        requireText(userId, "userId");
        requireText(name, "name");
        Objects.requireNonNull(role, "role");
        if (workspaces == null
                || workspaces.isEmpty()
                || workspaces.stream().anyMatch(w -> w == null || w.isBlank())) {
            throw new IllegalArgumentException(
                    "a token names at least one workspace id (or " + ANY_WORKSPACE + ")");
        }
        if (ttl == null || ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("a token's time to live is positive");
        }
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Object ws = workspaces.contains(ANY_WORKSPACE) ? ANY_WORKSPACE : List.copyOf(workspaces);
        JWTClaimsSet claims =
                new JWTClaimsSet.Builder()
                        .subject(userId)
                        .claim(NAME, name)
                        .claim(WORKSPACES, ws)
                        .claim(ROLE, role.wireName())
                        .issueTime(Date.from(now))
                        .expirationTime(Date.from(now.plus(ttl)))
                        .build();
        SignedJWT jwt =
                new SignedJWT(
                        new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT).build(),
                        claims);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a token: " + e.getMessage(), e);
        }
        return jwt.serialize();
    }

    @Override
    public Caller admit(String workspaceId, JsonNode params) {
        JsonNode given = params == null ? null : params.get("token");
        if (given == null || !given.isTextual() || given.asText().isBlank()) {
            throw refused(
                    "token_required",
                    "This workspace needs a sign-in token: open the link you were given.");
        }
        SignedJWT jwt;
        try {
            jwt = SignedJWT.parse(given.asText().strip());
        } catch (ParseException e) {
            throw invalid("it is malformed");
        }
        // Only HS256 with this secret: never "none", never an algorithm the token picks for itself.
        if (!JWSAlgorithm.HS256.equals(jwt.getHeader().getAlgorithm())) {
            throw invalid("it is not signed with HS256");
        }
        try {
            if (!jwt.verify(verifier)) {
                throw invalid("its signature does not match this server's secret");
            }
        } catch (JOSEException | IllegalStateException e) {
            throw invalid("its signature cannot be checked");
        }
        JWTClaimsSet claims;
        try {
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw invalid("its claims are malformed");
        }
        Date expires = claims.getExpirationTime();
        if (expires == null) {
            throw invalid("it has no expiry");
        }
        if (!clock.instant().isBefore(expires.toInstant())) {
            throw refused(
                    "token_expired",
                    "Your link expired at " + expires.toInstant() + "; ask for a new one.");
        }
        String userId = claims.getSubject();
        Object name = claims.getClaim(NAME);
        Object role = claims.getClaim(ROLE);
        if (userId == null
                || userId.isBlank()
                || !(name instanceof String displayName)
                || displayName.isBlank()
                || !(role instanceof String roleName)) {
            throw invalid("it lacks a user, a name or a role");
        }
        Caller.Role callerRole;
        try {
            callerRole = Caller.Role.fromWireName(roleName);
        } catch (IllegalArgumentException e) {
            throw invalid("its role is neither member nor viewer");
        }
        if (!allows(claims.getClaim(WORKSPACES), workspaceId)) {
            throw refused(
                    "workspace_not_allowed",
                    "Your link does not open workspace '"
                            + workspaceId
                            + "'; ask for a link to it.");
        }
        return new Caller(userId, displayName, callerRole);
    }

    private static boolean allows(Object ws, String workspaceId) {
        if (ANY_WORKSPACE.equals(ws)) {
            return true;
        }
        return ws instanceof List<?> ids
                && (ids.contains(ANY_WORKSPACE) || ids.contains(workspaceId));
    }

    private static ActorError invalid(String why) {
        return refused(
                "token_invalid",
                "Your sign-in link is not valid ("
                        + why
                        + "): open the link you were "
                        + "given, or ask for a new one.");
    }

    private static ActorError refused(String code, String message) {
        return new ActorError("auth", code, message);
    }

    private static void requireText(String value, String what) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(what + " must not be blank");
        }
    }
}
