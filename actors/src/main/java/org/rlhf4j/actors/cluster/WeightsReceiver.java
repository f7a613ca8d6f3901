package org.rlhf4j.actors.cluster;

import java.util.function.Consumer;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.rlhf4j.actors.weights.CorruptWeightsException;
import org.rlhf4j.actors.weights.WeightAssembly;
import org.rlhf4j.model.ParameterLayout;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.protocol.pb.WeightsUpdate;

/**
 * A rollout node's end of the weight broadcast: registers with the Receptionist under
 * {@link #KEY}, puts the chunks of each policy version back together and hands every whole,
 * checked version to {@code use} (the node's workers). A corrupt version is logged and dropped;
 * the node keeps the weights it has and takes the next version.
 */
public final class WeightsReceiver {
  /** The key under which receivers are found, one per rollout node. */
  public static final ServiceKey<WeightsUpdate> KEY =
      ServiceKey.create(WeightsUpdate.class, "rlhf4j-weights");

  private WeightsReceiver() {}

  /** A receiver for parameters laid out as {@code layout}. */
  public static Behavior<WeightsUpdate> create(ParameterLayout layout,
      Consumer<Versioned> use) {
    return Behaviors.setup(context -> {
      context.getSystem().receptionist().tell(Receptionist.register(KEY, context.getSelf()));
      WeightAssembly assembly = new WeightAssembly(layout);
      return Behaviors.receiveMessage(chunk -> {
        try {
          assembly.accept(chunk).ifPresent(p -> use.accept(new Versioned(chunk.getVersion(), p)));
        } catch (CorruptWeightsException e) {
          context.getLog().warn("dropped a policy version: {}", e.getMessage());
        }
        return Behaviors.same();
      });
    });
  }

  /** A whole policy version as it arrived. */
  public record Versioned(long version, ParameterStore params) {}
}
