package org.rlhf4j.actors.cluster;

import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.BiFunction;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.rlhf4j.protocol.pb.NodeHello;

/**
 * A node's root actor, whatever its role: finds the learner's {@link NodeGateway} through the
 * Receptionist, introduces the node's role actor (its child, which takes the setup and the work),
 * and stops the node when no learner answers in time, when the learner leaves (its run is over)
 * or when the role actor fails.
 */
public final class JoiningNode {
  private JoiningNode() {}

  /** Why a node stopped. */
  public enum Ending {
    /** No learner answered within the join timeout: a failure. */
    NO_LEARNER("no learner answered within the join timeout"),
    /** The learner left the cluster: its run is over. */
    LEARNER_LEFT("the learner left the cluster (its run ended or it stopped)"),
    /** The role actor stopped on an error: a failure. */
    FAILED("the node failed (its log says why)");

    private final String reason;

    Ending(String reason) {
      this.reason = reason;
    }

    @Override
    public String toString() {
      return reason;
    }
  }

  /** A role actor tells its node it has its setup: the join timeout no longer applies. */
  public enum Joined { INSTANCE }

  private record Gateways(Receptionist.Listing listing) {}

  private enum JoinTimeout { INSTANCE }

  /**
   * A node that introduces itself with {@code hello} (its reply-to set to the role actor that
   * {@code role} makes from the node's id, on {@code roleProps}) and tells {@code ended} why it
   * stopped; with a null {@code joinTimeout} it waits for a learner for ever. A hello without a
   * node id names the node by its address.
   */
  public static Behavior<Object> create(NodeHello hello,
      BiFunction<String, ActorRef<Joined>, Behavior<Object>> role, Props roleProps,
      Duration joinTimeout, Consumer<Ending> ended) {
    return Behaviors.setup(context -> {
      Address self = context.getSystem().address();
      String nodeId = hello.getNodeId().isEmpty()
          ? self.getHost().orElse("local") + ":" + self.getPort().orElse(0) : hello.getNodeId();
      // named after its role: Artery's large-message lane is chosen by path (reference.conf)
      ActorRef<Object> roleActor = context.spawn(role.apply(nodeId,
          context.getSelf().narrow()), hello.getRole(), roleProps);
      context.watch(roleActor);
      context.getSystem().receptionist().tell(Receptionist.subscribe(NodeGateway.KEY,
          context.messageAdapter(Receptionist.Listing.class, Gateways::new)));
      NodeHello greeting = hello.toBuilder().setNodeId(nodeId).setReplyTo(
          ActorRefResolver.get(context.getSystem()).toSerializationFormat(roleActor)).build();
      return Behaviors.withTimers(timers -> {
        if (joinTimeout != null) {
          timers.startSingleTimer(JoinTimeout.INSTANCE, joinTimeout);
        }
        boolean[] greeted = {false};
        boolean[] joined = {false};
        return Behaviors.receive(Object.class)
            .onMessage(Gateways.class, g -> {
              var gateways = g.listing().getServiceInstances(NodeGateway.KEY);
              if (!greeted[0] && !gateways.isEmpty()) {
                greeted[0] = true;
                gateways.iterator().next().tell(greeting);
              } else if (joined[0] && gateways.isEmpty()) {
                ended.accept(Ending.LEARNER_LEFT);
                return Behaviors.stopped();
              }
              return Behaviors.same();
            })
            .onMessage(Joined.class, j -> {
              joined[0] = true;
              timers.cancel(JoinTimeout.INSTANCE);
              return Behaviors.same();
            })
            .onMessage(JoinTimeout.class, t -> {
              ended.accept(Ending.NO_LEARNER);
              return Behaviors.stopped();
            })
            .onSignal(Terminated.class, t -> {
              ended.accept(Ending.FAILED);
              return Behaviors.stopped();
            })
            .build();
      });
    });
  }
}
