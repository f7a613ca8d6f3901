package org.rlhf4j.cli;

import com.typesafe.config.ConfigFactory;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorSystem;
import org.rlhf4j.actors.cluster.ClusterNodeConfig;
import org.rlhf4j.actors.cluster.JoiningNode;
import org.rlhf4j.actors.cluster.NodeGateway;
import org.rlhf4j.actors.cluster.RolloutNode;
import org.rlhf4j.actors.cluster.ScorerNode;
import org.rlhf4j.actors.ppo.PpoPipeline;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code rlhf4j node}: rollout workers or a reward scorer for a learner started with --listen. */
@Command(name = "node", mixinStandardHelpOptions = true,
    description = "Joins the cluster of a PPO learner started with `rlhf4j ppo --listen` and "
        + "samples rollouts for it (--role rollout) or scores them with the reward model and "
        + "the reference policy (--role scorer): the learner sends the models' shapes, their "
        + "weights and the work, so no run directory or model is needed here. Ends when the "
        + "learner's run ends. --config (or --set) holds rlhf4j.cluster.tls when the cluster "
        + "runs over TLS.",
    footerHeading = "%nExamples:%n",
    footer = {"  rlhf4j ppo ... --listen 0.0.0.0:25520       # machine A: the learner",
        "  rlhf4j node --join A:25520 --workers 2      # machine B: 2 rollout workers",
        "  rlhf4j node --role scorer --join A:25520    # machine C: a reward scorer"})
final class NodeCommand implements Callable<Integer> {
  @Option(names = "--role", paramLabel = "ROLE", defaultValue = "rollout",
      description = "What this node does: rollout (sampling workers) or scorer (reward model "
          + "and reference log-probs). Default: ${DEFAULT-VALUE}.")
  String role;

  @Option(names = "--join", paramLabel = "HOST:PORT", required = true,
      description = "The learner's --listen address.")
  String join;

  @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "0.0.0.0:0",
      description = "Where this node listens for the learner (port 0: any free port; "
          + "0.0.0.0 binds every interface and advertises this machine's address). "
          + "Default: ${DEFAULT-VALUE}.")
  String listen;

  @Option(names = "--workers", paramLabel = "N", defaultValue = "2",
      description = "Rollout workers on this node (--role rollout). Default: ${DEFAULT-VALUE}.")
  int workers;

  @Option(names = "--threads", paramLabel = "N", defaultValue = "1",
      description = "Tensor threads per worker, or of the scorer. Default: ${DEFAULT-VALUE}.")
  int threads;

  @Option(names = "--name", paramLabel = "ID",
      description = "The node's name in the learner's metrics. Default: its address.")
  String name;

  @Option(names = "--join-timeout", paramLabel = "SECONDS", defaultValue = "120",
      description = "Give up when no learner answers within this many seconds. "
          + "Default: ${DEFAULT-VALUE}.")
  int joinTimeoutSeconds;

  @Mixin ConfigOption config;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (!role.equals(NodeGateway.ROLLOUT) && !role.equals(NodeGateway.SCORER)) {
      throw new UserInputException("--role " + role + ": expected " + NodeGateway.ROLLOUT
          + " or " + NodeGateway.SCORER);
    }
    if (workers < 1 || threads < 1 || joinTimeoutSeconds < 1) {
      throw new UserInputException("--workers, --threads and --join-timeout must be at least 1");
    }
    HostPort learner = HostPort.parse("--join", join);
    HostPort self = HostPort.parse("--listen", listen);
    PrintWriter err = spec.commandLine().getErr();
    AtomicReference<JoiningNode.Ending> why = new AtomicReference<>();
    String seed = "pekko://" + PpoPipeline.SYSTEM + "@" + learner.host() + ":" + learner.port();
    String id = name; // null: the node's address, its port known once it is bound
    Duration joinTimeout = Duration.ofSeconds(joinTimeoutSeconds);
    ActorSystem<Object> system = ActorSystem.create(role.equals(NodeGateway.SCORER)
        ? ScorerNode.create(id, threads, PpoPipeline.DISPATCHER, joinTimeout, why::set)
        : RolloutNode.create(id, workers, threads, PpoPipeline.DISPATCHER, joinTimeout, why::set),
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
    return why.get() == JoiningNode.Ending.NO_LEARNER || why.get() == JoiningNode.Ending.FAILED
        ? 1 : 0;
  }
}
