package org.rlhf4j.actors.cluster;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.rlhf4j.actors.ppo.Coordinator;
import org.rlhf4j.actors.ppo.RewardScorer;
import org.rlhf4j.protocol.pb.NodeHello;
import org.rlhf4j.protocol.pb.RolloutSetup;
import org.rlhf4j.rollout.PolicySnapshot;

/**
 * The learner's door for rollout nodes: found through the Receptionist under {@link #KEY}, it
 * answers a node's {@link NodeHello} with the run's {@link RolloutSetup}, gives each of the node's
 * workers a {@link RemoteWorkerProxy} that the coordinator uses like a local worker, and
 * broadcasts every policy version the coordinator hands out to the nodes, once.
 */
public final class RolloutGateway {
  /** The key under which rollout nodes find the gateway. */
  public static final ServiceKey<NodeHello> KEY =
      ServiceKey.create(NodeHello.class, "rlhf4j-rollout-gateway");

  /** A policy version a proxy was told to use; broadcast unless an equal or newer one was. */
  record Publish(PolicySnapshot snapshot) {}

  private RolloutGateway() {}

  /**
   * A gateway that registers nodes' workers with {@code coordinator}, sends their rollouts to
   * {@code scorer}, and cuts weights into chunks of {@code chunkBytes}, {@code window} in flight
   * per node.
   */
  public static Behavior<NodeHello> create(ActorRef<Coordinator.Command> coordinator,
      ActorRef<RewardScorer.Command> scorer, RolloutSetup setup, int chunkBytes, int window) {
    return Behaviors.<Object>setup(context -> {
      context.getSystem().receptionist().tell(Receptionist.register(KEY,
          context.getSelf().narrow()));
      ActorRef<WeightsBroadcaster.Command> broadcaster = context.spawn(
          WeightsBroadcaster.create(chunkBytes, window), "weights");
      ActorRefResolver refs = ActorRefResolver.get(context.getSystem());
      Map<String, Integer> hellos = new HashMap<>();
      long[] published = {-1};
      return Behaviors.receiveMessage(message -> {
        if (message instanceof NodeHello hello) {
          ActorRef<Object> node = refs.resolveActorRef(hello.getReplyTo());
          node.tell(setup);
          // a node that says hello again restarted: its old proxies saw it go and stopped
          int round = hellos.merge(hello.getNodeId(), 1, Integer::sum);
          for (int i = 0; i < hello.getWorkers(); i++) {
            String workerId = RolloutNode.workerId(hello.getNodeId(), i);
            context.spawn(RemoteWorkerProxy.create(workerId, node, coordinator, scorer,
                context.getSelf().narrow()), proxyName(hello.getNodeId(), i, round));
          }
        } else if (message instanceof Publish p && p.snapshot().version() > published[0]) {
          published[0] = p.snapshot().version();
          broadcaster.tell(new WeightsBroadcaster.Broadcast(p.snapshot().version(),
              p.snapshot().params()));
        }
        return Behaviors.same();
      });
    }).narrow();
  }

  /** An actor name for worker {@code i} of a node, unique across the node's restarts. */
  private static String proxyName(String nodeId, int i, int round) {
    return URLEncoder.encode(nodeId, StandardCharsets.UTF_8)
        + "-worker-" + i + "-" + round;
  }
}
