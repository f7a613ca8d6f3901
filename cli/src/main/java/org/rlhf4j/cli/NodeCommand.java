package org.rlhf4j.cli;

import com.typesafe.config.ConfigFactory;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorSystem;
import org.rlhf4j.actors.cluster.ClusterNodeConfig;
import org.rlhf4j.actors.cluster.RolloutNode;
import org.rlhf4j.actors.ppo.PpoPipeline;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code rlhf4j node}: rollout workers on this machine for a learner started with --listen. */
@Command(name = "node", mixinStandardHelpOptions = true,
    description = "Joins the cluster of a PPO learner started with `rlhf4j ppo --listen` and "
        + "samples rollouts for it: the learner sends the policy's shape, its weights and the "
        + "work, so no run directory or model is needed here. Ends when the learner's run ends. "
        + "--config holds rlhf4j.cluster.tls when the cluster runs over TLS.")
final class NodeCommand implements Callable<Integer> {
  @Option(names = "--role", paramLabel = "ROLE", defaultValue = "rollout",
      description = "What this node does: rollout (sampling workers).")
  String role;

  @Option(names = "--join", paramLabel = "HOST:PORT", required = true,
      description = "The learner's --listen address.")
  String join;

  @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "0.0.0.0:0",
      description = "Where this node listens for the learner (port 0: any free port; "
          + "0.0.0.0 binds every interface and advertises this machine's address).")
  String listen;

  @Option(names = "--workers", paramLabel = "N", defaultValue = "2",
      description = "Rollout workers on this node.")
  int workers;

  @Option(names = "--threads", paramLabel = "N", defaultValue = "1",
      description = "Tensor threads per worker.")
  int threads;

  @Option(names = "--name", paramLabel = "ID",
      description = "The node's name in the learner's metrics (default: its address).")
  String name;

  @Option(names = "--join-timeout", paramLabel = "SECONDS", defaultValue = "120",
      description = "Give up when no learner answers within this many seconds.")
  int joinTimeoutSeconds;

  @Mixin ConfigOption config;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (!role.equals("rollout")) {
      throw new UserInputException("--role " + role + ": expected rollout (scorer nodes are "
          + "not built yet; the learner scores its rollouts itself)");
    }
    if (workers < 1 || threads < 1 || joinTimeoutSeconds < 1) {
      throw new UserInputException("--workers, --threads and --join-timeout must be at least 1");
    }
    HostPort learner = HostPort.parse("--join", join);
    HostPort self = HostPort.parse("--listen", listen);
    PrintWriter err = spec.commandLine().getErr();
    AtomicReference<RolloutNode.Ending> why = new AtomicReference<>();
    String seed = "pekko://" + PpoPipeline.SYSTEM + "@" + learner.host() + ":" + learner.port();
    ActorSystem<Object> system = ActorSystem.create(RolloutNode.create(
        name != null ? name : self.host() + ":" + self.port(), workers, threads,
        PpoPipeline.DISPATCHER, Duration.ofSeconds(joinTimeoutSeconds), why::set),
        PpoPipeline.SYSTEM, ClusterNodeConfig.of(self.host(), self.port(), List.of(seed),
            config.load().clusterTls(), System::getenv,
            ConfigFactory.load(NodeCommand.class.getClassLoader())));
    err.println("rlhf4j: node " + system.address() + " joining " + seed);
    err.flush();
    system.getWhenTerminated().toCompletableFuture().get();
    // no ending: the actor system stopped on its own (e.g. the node was downed)
    err.println("rlhf4j: node stopped: " + (why.get() == null ? "its actor system ended"
        : why.get()));
    err.flush();
    return why.get() == RolloutNode.Ending.NO_LEARNER ? 1 : 0;
  }
}
