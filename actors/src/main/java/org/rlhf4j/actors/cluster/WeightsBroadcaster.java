package org.rlhf4j.actors.cluster;

import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.rlhf4j.actors.weights.WeightChunks;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.protocol.pb.WeightsUpdate;

/**
 * The learner's end of the weight broadcast: follows the Receptionist's list of
 * {@link WeightsReceiver}s and sends each new policy version to all of them in chunks of at most
 * {@code chunkBytes}; a receiver that registers later gets the newest version at once.
 */
public final class WeightsBroadcaster {
  /** What the broadcaster does. */
  public sealed interface Command {}

  /** Send {@code params} as policy version {@code version} to every receiver. */
  public record Broadcast(long version, ParameterStore params) implements Command {}

  /** Tells {@code replyTo} how many receivers the broadcaster knows. */
  public record CountReceivers(ActorRef<Integer> replyTo) implements Command {}

  private record Listing(Receptionist.Listing listing) implements Command {}

  private WeightsBroadcaster() {}

  public static Behavior<Command> create(int chunkBytes) {
    return Behaviors.setup(context -> {
      ActorRef<Receptionist.Listing> adapter =
          context.messageAdapter(Receptionist.Listing.class, Listing::new);
      context.getSystem().receptionist().tell(Receptionist.subscribe(WeightsReceiver.KEY,
          adapter));
      return running(chunkBytes, Set.of(), List.of());
    });
  }

  private static Behavior<Command> running(int chunkBytes, Set<ActorRef<WeightsUpdate>> receivers,
      List<WeightsUpdate> newest) {
    return Behaviors.receive(Command.class)
        .onMessage(Broadcast.class, b -> {
          List<WeightsUpdate> chunks = WeightChunks.of(b.params(), b.version(), chunkBytes);
          receivers.forEach(r -> chunks.forEach(r::tell));
          return running(chunkBytes, receivers, chunks);
        })
        .onMessage(Listing.class, l -> {
          Set<ActorRef<WeightsUpdate>> now = l.listing().getServiceInstances(WeightsReceiver.KEY);
          for (ActorRef<WeightsUpdate> r : now) {
            if (!receivers.contains(r)) {
              newest.forEach(r::tell);
            }
          }
          return running(chunkBytes, Set.copyOf(now), newest);
        })
        .onMessage(CountReceivers.class, c -> {
          c.replyTo().tell(receivers.size());
          return Behaviors.same();
        })
        .build();
  }
}
