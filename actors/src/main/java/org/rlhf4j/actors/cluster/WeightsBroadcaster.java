package org.rlhf4j.actors.cluster;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.rlhf4j.actors.weights.WeightChunks;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.protocol.pb.Credit;
import org.rlhf4j.protocol.pb.WeightsUpdate;

/**
 * The learner's end of the weight broadcast: follows the Receptionist's list of
 * {@link WeightsReceiver}s and sends each new policy version to all of them in chunks of at most
 * {@code chunkBytes}, at most {@code window} unacknowledged chunks per receiver (Artery drops what
 * overflows its outbound queue, so a whole model is never pushed at once). A new version replaces
 * what is left of the one before (a receiver jumps to the newest); a receiver that registers
 * later gets the newest version. With LoRA each receiver first gets the frozen base once, and
 * versions carry only heads and adapters. Receivers acknowledge with {@link Credit}s sent to
 * this actor, found under {@link #KEY}.
 */
public final class WeightsBroadcaster {
  /** The key under which receivers find the broadcaster to acknowledge chunks. */
  public static final ServiceKey<Credit> KEY = ServiceKey.create(Credit.class, "rlhf4j-weights-acks");

  /** What the broadcaster does. */
  public sealed interface Command {}

  /** Send {@code params} as policy version {@code version} to every receiver. */
  public record Broadcast(long version, ParameterStore params) implements Command {}

  /** Tells {@code replyTo} how many receivers the broadcaster knows. */
  public record CountReceivers(ActorRef<Integer> replyTo) implements Command {}

  private record Listing(Receptionist.Listing listing) implements Command {}

  private record Acknowledged(Credit credit) implements Command {}

  /**
   * One receiver's stream: how far it got through the base, the version's chunks it still needs
   * and how many are unacknowledged.
   */
  private static final class Stream {
    WeightChunks base; // until all of it is sent; its chunks are cut for this receiver alone
    int baseNext;
    WeightChunks chunks;
    int next;
    int inFlight;
  }

  private final ActorContext<Command> context;
  private final int chunkBytes;
  private final int window;
  private final ParameterStore base; // or null: every version is the whole model
  private final Map<ActorRef<WeightsUpdate>, Stream> streams = new HashMap<>();
  private WeightChunks newest; // cut as the fastest receiver needs them, dropped as the slowest

  private WeightsBroadcaster(ActorContext<Command> context, int chunkBytes, int window,
      ParameterStore base) {
    this.context = context;
    this.chunkBytes = chunkBytes;
    this.window = window;
    this.base = base;
  }

  /** A broadcaster sending chunks of {@code chunkBytes}, {@code window} in flight per receiver. */
  public static Behavior<Command> create(int chunkBytes, int window) {
    return create(chunkBytes, window, null);
  }

  /**
   * A broadcaster whose receivers each get {@code base} once, before their first version (LoRA:
   * the frozen body, whose versions then carry only heads and adapters); null for none. The
   * base must not change while the broadcaster lives.
   */
  public static Behavior<Command> create(int chunkBytes, int window, ParameterStore base) {
    if (window < 1) {
      throw new IllegalArgumentException("window must be at least 1, got " + window);
    }
    return Behaviors.setup(context -> {
      context.getSystem().receptionist().tell(Receptionist.subscribe(WeightsReceiver.KEY,
          context.messageAdapter(Receptionist.Listing.class, Listing::new)));
      // a child takes the acknowledgements: an actor's message adapters share one ref, and the
      // cluster receptionist fails when one ref both subscribes and registers
      ActorRef<Command> self = context.getSelf();
      ActorRef<Credit> acks = context.spawn(Behaviors.<Credit>receiveMessage(c -> {
        self.tell(new Acknowledged(c));
        return Behaviors.same();
      }), "acks");
      context.getSystem().receptionist().tell(Receptionist.register(KEY, acks));
      return new WeightsBroadcaster(context, chunkBytes, window, base).behavior();
    });
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(Broadcast.class, b -> {
          newest = new WeightChunks(b.params(), b.version(), chunkBytes);
          // every stream on the new version before any sends: none may miss a dropped chunk
          streams.values().forEach(stream -> {
            stream.chunks = newest;
            stream.next = 0;
          });
          streams.forEach(this::pump);
          return Behaviors.same();
        })
        .onMessage(Listing.class, l -> {
          Set<ActorRef<WeightsUpdate>> now = l.listing().getServiceInstances(WeightsReceiver.KEY);
          streams.keySet().retainAll(now);
          for (ActorRef<WeightsUpdate> r : now) {
            if (!streams.containsKey(r)) {
              Stream stream = new Stream();
              // not kept beyond the stream: the base is as large as the model
              stream.base = base == null ? null : new WeightChunks(base, 0, chunkBytes, true);
              streams.put(r, stream);
              restart(r, stream);
            }
          }
          return Behaviors.same();
        })
        .onMessage(Acknowledged.class, a -> {
          ActorRef<WeightsUpdate> receiver = ActorRefResolver.get(context.getSystem())
              .resolveActorRef(a.credit().getConsumerId());
          Stream stream = streams.get(receiver);
          if (stream != null) {
            stream.inFlight = Math.max(0, stream.inFlight - a.credit().getAmount());
            pump(receiver, stream);
          }
          return Behaviors.same();
        })
        .onMessage(CountReceivers.class, c -> {
          c.replyTo().tell(streams.size());
          return Behaviors.same();
        })
        .build();
  }

  /**
   * The receiver's stream starts over with the newest version's chunks; cut again for it alone
   * when the others are past chunks already dropped (it registered mid-version).
   */
  private void restart(ActorRef<WeightsUpdate> receiver, Stream stream) {
    stream.chunks = newest == null || newest.firstKept() == 0 ? newest : newest.cutAgain();
    stream.next = 0;
    pump(receiver, stream);
  }

  private void pump(ActorRef<WeightsUpdate> receiver, Stream stream) {
    // the base first, once per receiver: the versions that follow apply to it
    while (stream.base != null && stream.inFlight < window) {
      receiver.tell(stream.base.get(stream.baseNext++));
      stream.inFlight++;
      if (stream.baseNext == stream.base.count()) {
        stream.base = null;
      }
    }
    if (stream.base != null) {
      return;
    }
    while (stream.chunks != null && stream.inFlight < window
        && stream.next < stream.chunks.count()) {
      receiver.tell(stream.chunks.get(stream.next++));
      stream.inFlight++;
    }
    forgetSent(stream.chunks);
  }

  /** Drops the chunks every stream reading {@code chunks} has sent: none is sent twice. */
  private void forgetSent(WeightChunks chunks) {
    if (chunks == null) {
      return;
    }
    int slowest = chunks.count();
    for (Stream s : streams.values()) {
      if (s.chunks == chunks) {
        slowest = Math.min(slowest, s.next);
      }
    }
    chunks.forgetBefore(slowest);
  }
}
