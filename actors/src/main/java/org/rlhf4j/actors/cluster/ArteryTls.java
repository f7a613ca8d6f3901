package org.rlhf4j.actors.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.rlhf4j.config.ClusterTlsConfig;
import org.rlhf4j.config.InvalidConfigException;

/** Artery's {@code tls-tcp} transport with mutual authentication, from {@code rlhf4j.cluster.tls}. */
final class ArteryTls {
  private static final String KEYS = "rlhf4j.cluster.tls.";
  private static final String ENGINE = "pekko.remote.artery.ssl.config-ssl-engine.";

  private ArteryTls() {}

  /**
   * The Pekko settings; each store is opened here with its password, so a wrong path or password
   * is reported before the actor system starts, not at its first connection.
   *
   * @param env the environment ({@code System::getenv}), where the passwords are
   * @throws InvalidConfigException naming the setting or variable that is missing or wrong
   */
  static Config settings(ClusterTlsConfig tls, Function<String, String> env) {
    String keyPassword = password(env, tls.keyStorePasswordEnv(), "key-store-password-env");
    String trustPassword = password(env, tls.trustStorePasswordEnv(), "trust-store-password-env");
    Path keyStore = Path.of(tls.keyStore()).toAbsolutePath();
    Path trustStore = Path.of(tls.trustStore()).toAbsolutePath();
    KeyStore keys = open(keyStore, keyPassword, "key-store", tls.keyStorePasswordEnv());
    KeyStore trusted = open(trustStore, trustPassword, "trust-store", tls.trustStorePasswordEnv());
    String alias = first(keys, KeyStore.PrivateKeyEntry.class);
    if (alias == null) {
      throw new InvalidConfigException("", KEYS + "key-store", keyStore + " holds no private key:"
          + " expected this node's key and certificate (keytool -genkeypair)");
    }
    try {
      // Pekko unlocks the key only at the first connection, where a failure is a log line
      keys.getKey(alias, keyPassword.toCharArray());
    } catch (GeneralSecurityException e) {
      throw new InvalidConfigException("", KEYS + "key-store", "the key " + alias + " in "
          + keyStore + " does not open with the store's password (" + tls.keyStorePasswordEnv()
          + "): expected one password for store and key, as keytool makes PKCS12 stores");
    }
    if (first(trusted, KeyStore.TrustedCertificateEntry.class) == null) {
      throw new InvalidConfigException("", KEYS + "trust-store", trustStore + " holds no trusted"
          + " certificate: expected the cluster's CA or the nodes' certificates"
          + " (keytool -importcert)");
    }
    return ConfigFactory.parseMap(Map.of(
        "pekko.remote.artery.transport", "tls-tcp",
        "pekko.remote.artery.ssl.ssl-engine-provider",
        "org.apache.pekko.remote.artery.tcp.ConfigSSLEngineProvider",
        ENGINE + "key-store", keyStore.toString(),
        ENGINE + "key-store-password", keyPassword,
        // keytool protects a PKCS12 store's key with the store's password
        ENGINE + "key-password", keyPassword,
        ENGINE + "trust-store", trustStore.toString(),
        ENGINE + "trust-store-password", trustPassword,
        ENGINE + "protocol", "TLSv1.3",
        ENGINE + "enabled-algorithms", List.of("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256"),
        // set over any application.conf: without it the certificate of a node that connects is
        // never checked, and only a stock Pekko node's waiting for the handshake's answer (which
        // needs its own certificate trusted) would keep an untrusted node's messages out
        ENGINE + "require-mutual-authentication", "on"));
  }

  private static String password(Function<String, String> env, String variable, String key) {
    String value = env.apply(variable);
    if (value == null || value.isEmpty()) {
      throw new InvalidConfigException("", KEYS + key, "environment variable " + variable
          + " is " + (value == null ? "not set" : "empty")
          + ": expected it to hold the store's password (TLS is on)");
    }
    return value;
  }

  private static KeyStore open(Path file, String password, String key, String variable) {
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw new InvalidConfigException("", KEYS + key, "no readable file " + file
          + ": expected a PKCS12 store (TLS is on)");
    }
    try (InputStream in = Files.newInputStream(file)) {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(in, password.toCharArray());
      return store;
    } catch (IOException | GeneralSecurityException e) {
      throw new InvalidConfigException("", KEYS + key, file + " does not open as a PKCS12 store"
          + " with the password in " + variable + ": " + e.getMessage());
    }
  }

  /** The alias of the first entry of {@code type}, or null. */
  private static String first(KeyStore store, Class<? extends KeyStore.Entry> type) {
    try {
      for (String alias : Collections.list(store.aliases())) {
        if (store.entryInstanceOf(alias, type)) {
          return alias;
        }
      }
      return null;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("a loaded key store refused to list its entries", e);
    }
  }
}
