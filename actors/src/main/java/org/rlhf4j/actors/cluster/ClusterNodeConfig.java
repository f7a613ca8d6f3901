package org.rlhf4j.actors.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.rlhf4j.config.ClusterTlsConfig;

/**
 * The Pekko settings that make an actor system a node of a run's cluster: Artery TCP (or TLS) on
 * a host and port and the seed (the learner's address) to join. The split-brain resolver that
 * downs a node that stops answering, and everything else, come from the modules' reference.conf.
 */
public final class ClusterNodeConfig {
  private ClusterNodeConfig() {}

  /**
   * A node listening on {@code host:port} (0 picks a free port) that joins the cluster whose
   * seeds are {@code seeds} (Pekko addresses such as {@code pekko://rlhf4j@10.0.0.5:25520});
   * a seed list holding the node's own address starts the cluster.
   */
  public static Config of(String host, int port, List<String> seeds, Config fallback) {
    // 0.0.0.0 is where to bind, not an address other machines can reach: advertise this host's
    boolean everyInterface = host.equals("0.0.0.0");
    return ConfigFactory.parseMap(Map.of(
        "pekko.actor.provider", "cluster",
        "pekko.remote.artery.transport", "tcp",
        "pekko.remote.artery.canonical.hostname", everyInterface ? "<getHostAddress>" : host,
        "pekko.remote.artery.bind.hostname", host,
        "pekko.remote.artery.canonical.port", port,
        "pekko.cluster.seed-nodes", seeds))
        .withFallback(fallback);
  }

  /**
   * As {@link #of(String, int, List, Config)}, over TLS with mutual authentication when
   * {@code tls} is enabled: the passwords are read from {@code env} ({@code System::getenv}) and
   * live only in the returned, in-memory configuration.
   *
   * @throws org.rlhf4j.config.InvalidConfigException when a store or its password is missing or
   *     wrong
   */
  public static Config of(String host, int port, List<String> seeds, ClusterTlsConfig tls,
      Function<String, String> env, Config fallback) {
    Config plain = of(host, port, seeds, fallback);
    return tls.enabled() ? ArteryTls.settings(tls, env).withFallback(plain) : plain;
  }
}
