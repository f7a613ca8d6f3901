package org.rlhf4j.config;

import java.util.regex.Pattern;

/**
 * Artery TLS with mutual authentication between cluster nodes ({@code rlhf4j.cluster.tls}).
 *
 * @param keyStore PKCS12 key store with this node's private key and certificate ("" when off)
 * @param trustStore PKCS12 store of the certificates (a CA's, or each node's) this node trusts
 * @param keyStorePasswordEnv name of the environment variable holding the key store's password (a
 *     configuration never holds a password)
 * @param trustStorePasswordEnv name of the environment variable holding the trust store's password
 */
public record ClusterTlsConfig(boolean enabled, String keyStore, String trustStore,
    String keyStorePasswordEnv, String trustStorePasswordEnv) {
  // what a POSIX shell can export, so a name that cannot be set is caught before a run starts
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  public ClusterTlsConfig {
    for (String[] env : new String[][] {{"key-store-password-env", keyStorePasswordEnv},
        {"trust-store-password-env", trustStorePasswordEnv}}) {
      if (!ENV_NAME.matcher(env[1]).matches()) {
        // the value is not repeated: it may be the password, written here by mistake
        throw new IllegalArgumentException(env[0] + " is not the name of an environment"
            + " variable: expected letters, digits and _, the name of the variable that holds"
            + " the password, never the password itself");
      }
    }
    if (enabled && keyStore.isBlank()) {
      throw new IllegalArgumentException("enabled = true needs key-store: expected the path of a"
          + " PKCS12 key store with this node's key and certificate");
    }
    if (enabled && trustStore.isBlank()) {
      throw new IllegalArgumentException("enabled = true needs trust-store: expected the path of"
          + " a PKCS12 store of the certificates this node trusts");
    }
  }
}
