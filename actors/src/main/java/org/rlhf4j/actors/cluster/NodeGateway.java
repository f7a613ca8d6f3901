package org.rlhf4j.actors.cluster;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.rlhf4j.actors.ppo.Coordinator;
import org.rlhf4j.actors.ppo.Learner;
import org.rlhf4j.actors.ppo.RewardScorer;
import org.rlhf4j.actors.weights.WeightChunks;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.protocol.pb.FrozenModelChunk;
import org.rlhf4j.protocol.pb.NodeHello;
import org.rlhf4j.protocol.pb.RolloutSetup;
import org.rlhf4j.protocol.pb.ScorerSetup;
import org.rlhf4j.protocol.pb.WeightsUpdate;
import org.rlhf4j.rollout.PolicySnapshot;

/**
 * The learner's door for nodes, found through the Receptionist under {@link #KEY}. A rollout
 * node's {@link NodeHello} is answered with the run's {@link RolloutSetup} and one
 * {@link RemoteWorkerProxy} per node worker, which the coordinator uses like a local worker;
 * every policy version the coordinator hands out is broadcast to the rollout nodes once. A
 * scorer node's hello gets a {@link RemoteScorerProxy}, which sends it the frozen models and
 * joins the scorer pool.
 */
public final class NodeGateway {
  /** The key under which nodes find the gateway. */
  public static final ServiceKey<NodeHello> KEY =
      ServiceKey.create(NodeHello.class, "rlhf4j-node-gateway");

  /** A node's role in its {@link NodeHello}: sampling workers. */
  public static final String ROLLOUT = "rollout";
  /** A node's role in its {@link NodeHello}: a reward scorer. */
  public static final String SCORER = "scorer";

  /** A policy version a proxy was told to use; broadcast unless an equal or newer one was. */
  record Publish(PolicySnapshot snapshot) {}

  /**
   * What scorer nodes need: the pool they join, the learner they feed, and the frozen reward
   * model and reference policy they score with, as the learner's own scorer does.
   */
  public record Scorers(ActorRef<Object> pool, ActorRef<Learner.Command> learner,
      Gpt rewardModel, ParameterStore reward, Gpt referenceModel, ParameterStore reference,
      double temperature, int padId, String kernels) {

    ScorerSetup setup() {
      return ScorerSetup.newBuilder().setRewardModel(ModelShapes.of(rewardModel))
          .setReferenceModel(ModelShapes.of(referenceModel)).setTemperature(temperature)
          .setPadId(padId).setKernels(kernels).build();
    }

    /** Both models in chunks of at most {@code chunkBytes}, the reward model's first. */
    List<FrozenModelChunk> chunks(int chunkBytes) {
      List<FrozenModelChunk> out = new ArrayList<>();
      for (WeightsUpdate u : WeightChunks.of(reward, 0, chunkBytes)) {
        out.add(FrozenModelChunk.newBuilder().setModel(ScorerNode.REWARD).setChunk(u).build());
      }
      for (WeightsUpdate u : WeightChunks.of(reference, 0, chunkBytes)) {
        out.add(FrozenModelChunk.newBuilder().setModel(ScorerNode.REFERENCE).setChunk(u)
            .build());
      }
      return out;
    }
  }

  private NodeGateway() {}

  /**
   * A gateway that registers rollout nodes' workers with {@code coordinator} and sends their
   * rollouts to {@code scorer}, lets scorer nodes join {@code scorers}' pool, and cuts weights
   * into chunks of {@code chunkBytes}, {@code window} in flight per node; {@code notices} hears
   * nodes join and leave. With a LoRA policy each rollout node gets {@code base} (the policy's
   * body, which nothing writes) once, and every policy version as the snapshot's trainable
   * tensors only, which the node merges onto it; null {@code base} sends versions whole.
   */
  public static Behavior<NodeHello> create(ActorRef<Coordinator.Command> coordinator,
      ActorRef<RewardScorer.Command> scorer, RolloutSetup setup, ParameterStore base,
      Scorers scorers, int chunkBytes, int window, Consumer<String> notices) {
    return Behaviors.<Object>setup(context -> {
      context.getSystem().receptionist().tell(Receptionist.register(KEY,
          context.getSelf().narrow()));
      ActorRef<WeightsBroadcaster.Command> broadcaster = context.spawn(
          WeightsBroadcaster.create(chunkBytes, window, base), "weights");
      String perVersion = base == null ? "" : "; it gets the policy's frozen body once ("
          + base.flat().length() * Float.BYTES + " bytes), then each version as heads and "
          + "adapters (" + ModelShapes.model(setup.getPolicy(), setup.getKernels())
              .trainableLayout().totalSize() * Float.BYTES + " bytes)";
      ActorRefResolver refs = ActorRefResolver.get(context.getSystem());
      RemoteScorerProxy.Roles scorerRoles = new RemoteScorerProxy.Roles(scorers.pool(),
          scorers.learner(), coordinator, notices);
      ScorerSetup scorerSetup = scorers.setup();
      Map<String, Integer> hellos = new HashMap<>();
      long[] published = {-1};
      return Behaviors.receiveMessage(message -> {
        if (message instanceof NodeHello hello) {
          ActorRef<Object> node = refs.resolveActorRef(hello.getReplyTo());
          // a node that says hello again restarted: its old proxies saw it go and stopped
          int round = hellos.merge(hello.getNodeId(), 1, Integer::sum);
          String name = URLEncoder.encode(hello.getNodeId(), StandardCharsets.UTF_8);
          if (!hello.getRole().isEmpty() && !hello.getRole().equals(ROLLOUT)
              && !hello.getRole().equals(SCORER)) {
            context.getLog().warn("node {} asked for role '{}' (expected {} or {}); ignored",
                hello.getNodeId(), hello.getRole(), ROLLOUT, SCORER);
            return Behaviors.same();
          }
          if (hello.getRole().equals(SCORER)) {
            context.spawn(RemoteScorerProxy.create(hello.getNodeId(), node, scorerSetup,
                () -> scorers.chunks(chunkBytes), window, scorerRoles),
                name + "-scorer-" + round);
            return Behaviors.same();
          }
          node.tell(setup);
          notices.accept("rollout node " + hello.getNodeId() + " joined with "
              + hello.getWorkers() + " worker(s)" + perVersion);
          for (int i = 0; i < hello.getWorkers(); i++) {
            String workerId = RolloutNode.workerId(hello.getNodeId(), i);
            context.spawn(RemoteWorkerProxy.create(workerId, node, coordinator, scorer,
                context.getSelf().narrow()), name + "-worker-" + i + "-" + round);
          }
        } else if (message instanceof Publish p && p.snapshot().version() > published[0]) {
          published[0] = p.snapshot().version();
          // with LoRA the snapshot's params are merged: nodes get what they merge themselves
          broadcaster.tell(new WeightsBroadcaster.Broadcast(p.snapshot().version(),
              base == null ? p.snapshot().params() : p.snapshot().trainable()));
        }
        return Behaviors.same();
      });
    }).narrow();
  }
}
