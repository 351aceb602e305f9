package dev.freshet.contracts;

import java.util.Objects;

/**
 * The configuration keys one component's gRPC security is set with, and how its operators name it, so that
 * {@link GrpcTls}, {@link BearerTokens}, {@link CallerAuthInterceptor} and the refusals they send name the keys
 * the operator actually sets. Immutable.
 *
 * @param component      how a caller's error names the server, e.g. {@code serving instance}
 * @param command        the CLI verb that reaches it, for hints, e.g. {@code freshet serving ...}
 * @param tlsPrefix      prefix of the TLS keys, e.g. {@code serving.tls.}: {@code cert.file}, {@code key.file},
 *                       {@code client.ca.file} and {@code client.auth} follow it
 * @param tokenKey       the key of the single admin token
 * @param tokenFileKey   the key of the admin token file ({@code <identity>:<token>} lines)
 * @param allowedSubjectsKey the key of the client-certificate subjects allowed to make admin calls
 */
public record GrpcSecurityKeys(String component, String command, String tlsPrefix, String tokenKey,
                               String tokenFileKey, String allowedSubjectsKey) {
    /** @throws NullPointerException if any name is null */
    public GrpcSecurityKeys {
        Objects.requireNonNull(component, "component");
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(tlsPrefix, "tlsPrefix");
        Objects.requireNonNull(tokenKey, "tokenKey");
        Objects.requireNonNull(tokenFileKey, "tokenFileKey");
        Objects.requireNonNull(allowedSubjectsKey, "allowedSubjectsKey");
    }

    /**
     * The house layout of a module's keys: {@code <module>.tls.*}, {@code <module>.admin.token},
     * {@code <module>.admin.token.file} and {@code <module>.admin.allowed.subjects}.
     *
     * @param module    the keys' first part, e.g. {@code serving} or {@code featurestore}
     * @param component how callers' errors name the server, e.g. {@code serving instance}
     * @param command   the CLI verb that reaches it, e.g. {@code freshet serving ...}
     */
    public static GrpcSecurityKeys of(String module, String component, String command) {
        return new GrpcSecurityKeys(component, command, module + ".tls.", module + ".admin.token",
            module + ".admin.token.file", module + ".admin.allowed.subjects");
    }

    /** The PEM certificate chain of the server. */
    public String certFile() {
        return tlsPrefix + "cert.file";
    }

    /** The server's unencrypted PKCS#8 private key. */
    public String keyFile() {
        return tlsPrefix + "key.file";
    }

    /** The CA certificates that sign client certificates. */
    public String clientCaFile() {
        return tlsPrefix + "client.ca.file";
    }

    /** {@code none}, {@code optional} or {@code require}. */
    public String clientAuth() {
        return tlsPrefix + "client.auth";
    }
}
