package org.rlhf4j.actors.cluster;

import java.util.Set;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.rlhf4j.actors.weights.CorruptWeightsException;
import org.rlhf4j.actors.weights.WeightAssembly;
import org.rlhf4j.model.ParameterLayout;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.protocol.pb.Credit;
import org.rlhf4j.protocol.pb.WeightsUpdate;

/**
 * A rollout node's end of the weight broadcast: registers with the Receptionist under
 * {@link #KEY}, acknowledges every chunk to the {@link WeightsBroadcaster}, puts each policy
 * version back together and hands every whole, checked version to {@code use} (the node's
 * workers), with LoRA together with the frozen base it received first. A corrupt version is
 * logged and dropped; the node keeps the weights it has and takes the next version. A version's
 * parameters sent back in a {@link Recycle} once nothing reads them hold a later version.
 */
public final class WeightsReceiver {
  /** The key under which receivers are found, one per rollout node. */
  public static final ServiceKey<WeightsUpdate> KEY =
      ServiceKey.create(WeightsUpdate.class, "rlhf4j-weights");

  private WeightsReceiver() {}

  /**
   * A whole policy version as it arrived; with LoRA {@code params} are the trainable tensors and
   * {@code base} the frozen base they apply to, given with the first version only (the receiver
   * keeps no copy: it is as large as the model), else null. {@code params} may be sent back in a
   * {@link Recycle} once nothing reads them.
   */
  public record Versioned(long version, ParameterStore params, ParameterStore base) {}

  /**
   * Hands the parameters of a version this receiver gave out back to it, once nothing reads
   * them any more: a later version is written into them instead of into new memory.
   */
  public record Recycle(ParameterStore params) {}

  /** A receiver for parameters laid out as {@code layout}; it takes chunks and {@link Recycle}. */
  public static Behavior<Object> create(ParameterLayout layout, Consumer<Versioned> use) {
    return create(null, layout, use);
  }

  /**
   * A receiver of versions laid out as {@code layout} that apply to a base laid out as
   * {@code baseLayout} (LoRA: the model's body; null for none), which arrives once, first. A
   * version that is whole before the base is held until the base is.
   */
  public static Behavior<Object> create(ParameterLayout baseLayout,
      ParameterLayout layout, Consumer<Versioned> use) {
    return Behaviors.<Object>setup(context -> {
      context.getSystem().receptionist().tell(Receptionist.register(KEY,
          context.getSelf().narrow()));
      // the listing through an adapter: one ref that both registers and subscribes makes the
      // cluster receptionist fail
      context.getSystem().receptionist().tell(Receptionist.subscribe(WeightsBroadcaster.KEY,
          context.messageAdapter(Receptionist.Listing.class, listing -> listing)));
      String self = ActorRefResolver.get(context.getSystem())
          .toSerializationFormat(context.getSelf());
      WeightAssembly assembly = new WeightAssembly(layout);
      Base base = new Base(baseLayout == null ? null : new WeightAssembly(baseLayout));
      Acks acks = new Acks();
      return Behaviors.receiveMessage(message -> {
        if (message instanceof Recycle r) {
          assembly.recycle(r.params());
        } else if (message instanceof Receptionist.Listing listing) {
          acks.broadcasters = listing.getServiceInstances(WeightsBroadcaster.KEY);
        } else if (message instanceof WeightsUpdate chunk) {
          acks.pending++;
          try {
            if (chunk.getBase()) {
              base.accept(chunk, use);
            } else {
              assembly.accept(chunk).ifPresent(p -> base.use(new Versioned(chunk.getVersion(), p,
                  null), use));
            }
          } catch (CorruptWeightsException e) {
            context.getLog().warn("dropped a policy version: {}", e.getMessage());
          }
        }
        acks.send(self);
        return Behaviors.same();
      });
    });
  }

  /** The base versions apply to, until handed out, and the newest version waiting for it. */
  private static final class Base {
    final WeightAssembly assembly; // null: versions need no base
    ParameterStore store;
    boolean arrived;
    Versioned waiting;

    Base(WeightAssembly assembly) {
      this.assembly = assembly;
    }

    void accept(WeightsUpdate chunk, Consumer<Versioned> use) {
      if (assembly == null) {
        throw new CorruptWeightsException("a chunk of a base, but this receiver's versions "
            + "need none");
      }
      if (arrived) {
        return; // sent once per receiver; a repeat changes nothing
      }
      assembly.accept(chunk).ifPresent(whole -> {
        store = whole;
        arrived = true;
        if (waiting != null) {
          use(waiting, use);
          waiting = null;
        }
      });
    }

    void use(Versioned v, Consumer<Versioned> use) {
      if (assembly == null) {
        use.accept(v);
      } else if (!arrived) {
        waiting = v;
      } else {
        use.accept(new Versioned(v.version(), v.params(), store));
        store = null;
      }
    }
  }

  /** Chunks to acknowledge, and to whom: held until the broadcaster is known. */
  private static final class Acks {
    Set<ActorRef<Credit>> broadcasters = Set.of();
    int pending;

    void send(String self) {
      if (pending > 0 && !broadcasters.isEmpty()) {
        Credit credit = Credit.newBuilder().setConsumerId(self).setAmount(pending).build();
        broadcasters.forEach(b -> b.tell(credit));
        pending = 0;
      }
    }
  }
}
