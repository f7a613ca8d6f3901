package org.rlhf4j.actors.ppo;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.rlhf4j.actors.cluster.ClusterNodeConfig;
import org.rlhf4j.config.RlhfConfig;

/** A learner listening on 127.0.0.1 and nodes in other actor systems of this JVM, for tests. */
final class NodeRuns {
  private NodeRuns() {}

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** A node whose root is {@code root}, joining the learner on {@code learnerPort}. */
  static <T> ActorSystem<T> node(Behavior<T> root, int learnerPort) {
    return ActorSystem.create(root, PpoPipeline.SYSTEM, ClusterNodeConfig.of("127.0.0.1", 0,
        List.of("pekko://" + PpoPipeline.SYSTEM + "@127.0.0.1:" + learnerPort),
        ConfigFactory.load()));
  }

  /** A tiny PPO run of {@code c} into {@code out}, listening for nodes on {@code port}. */
  static CompletableFuture<PpoPipeline.Outcome> learner(RlhfConfig c, Path out, int port) {
    return learner(c, out, port, m -> { });
  }

  /** {@link #learner(RlhfConfig, Path, int)}, telling {@code notices} what the run says. */
  static CompletableFuture<PpoPipeline.Outcome> learner(RlhfConfig c, Path out, int port,
      java.util.function.Consumer<String> notices) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return PpoPipeline.run(TinyRun.spec(c, out, FaultInjection.none()), (s, t, n, v) -> { },
            notices, new PpoPipeline.Listen("127.0.0.1", port));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  /** Stops {@code system} (if any) and waits, bounded, until it has. */
  static void stop(ActorSystem<?> system) throws Exception {
    if (system != null) {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
