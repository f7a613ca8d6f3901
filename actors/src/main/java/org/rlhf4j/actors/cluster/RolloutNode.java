package org.rlhf4j.actors.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.kernels.Kernels;
import org.rlhf4j.protocol.pb.NodeHello;
import org.rlhf4j.protocol.pb.PromptBatch;
import org.rlhf4j.protocol.pb.RolloutBatch;
import org.rlhf4j.protocol.pb.RolloutSetup;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.rollout.SamplingSettings;

/**
 * A rollout node's root actor: finds the learner's {@link RolloutGateway}, says hello, builds the
 * policy's model from the {@link RolloutSetup} it gets back, receives the weights (one
 * {@link WeightsReceiver} per node, one snapshot shared by its workers) and hands each
 * {@link PromptBatch} to the {@link NodeWorker} it names. A node needs no run directory.
 */
public final class RolloutNode {
  private RolloutNode() {}

  private record Gateways(Receptionist.Listing listing) {}

  private record NewVersion(WeightsReceiver.Versioned version) {}

  private enum JoinTimeout { INSTANCE }

  /** Why a node stopped. */
  public enum Ending {
    /** No learner answered within the join timeout: a failure. */
    NO_LEARNER("no learner answered within the join timeout"),
    /** The learner left the cluster: its run is over. */
    LEARNER_LEFT("the learner left the cluster (its run ended or it stopped)");

    private final String reason;

    Ending(String reason) {
      this.reason = reason;
    }

    @Override
    public String toString() {
      return reason;
    }
  }

  /** The id of a node's {@code i}-th worker, as the learner's gateway names its proxy too. */
  static String workerId(String nodeId, int i) {
    return nodeId + "/worker-" + i;
  }

  /** A node {@code nodeId} with {@code workers} workers of {@code threads} tensor threads each. */
  public static Behavior<Object> create(String nodeId, int workers, int threads,
      String dispatcher) {
    return create(nodeId, workers, threads, dispatcher, null, ending -> { });
  }

  /**
   * A node that stops, telling {@code ended} why, when no learner has answered within
   * {@code joinTimeout} (null: it waits) or when the learner it worked for leaves (its run is
   * over).
   */
  public static Behavior<Object> create(String nodeId, int workers, int threads,
      String dispatcher, Duration joinTimeout, Consumer<Ending> ended) {
    return Behaviors.setup(context -> {
      context.getSystem().receptionist().tell(Receptionist.subscribe(RolloutGateway.KEY,
          context.messageAdapter(Receptionist.Listing.class, Gateways::new)));
      return Behaviors.withTimers(timers -> {
        if (joinTimeout != null) {
          timers.startSingleTimer(JoinTimeout.INSTANCE, joinTimeout);
        }
        return new RolloutNode.Waiting(context, nodeId, workers, threads, dispatcher, ended)
            .behavior();
      });
    });
  }

  /** Before the setup: says hello to the first gateway it sees and keeps early work. */
  private static final class Waiting {
    private final ActorContext<Object> context;
    private final String nodeId;
    private final int workers;
    private final int threads;
    private final String dispatcher;
    private final Consumer<Ending> ended;
    private final List<PromptBatch> early = new ArrayList<>();
    private boolean greeted;

    Waiting(ActorContext<Object> context, String nodeId, int workers, int threads,
        String dispatcher, Consumer<Ending> ended) {
      this.context = context;
      this.ended = ended;
      this.nodeId = nodeId;
      this.workers = workers;
      this.threads = threads;
      this.dispatcher = dispatcher;
    }

    Behavior<Object> behavior() {
      return Behaviors.receive(Object.class)
          .onMessage(Gateways.class, g -> {
            Set<ActorRef<NodeHello>> gateways = g.listing().getServiceInstances(RolloutGateway.KEY);
            if (!greeted && !gateways.isEmpty()) {
              greeted = true;
              gateways.iterator().next().tell(NodeHello.newBuilder().setNodeId(nodeId)
                  .setWorkers(workers).setReplyTo(ActorRefResolver.get(context.getSystem())
                      .toSerializationFormat(context.getSelf())).build());
            }
            return Behaviors.same();
          })
          .onMessage(PromptBatch.class, b -> {
            early.add(b); // the setup and the work come from different actors, in any order
            return Behaviors.same();
          })
          .onMessage(RolloutSetup.class, this::setUp)
          .onMessage(JoinTimeout.class, t -> {
            ended.accept(Ending.NO_LEARNER);
            return Behaviors.stopped();
          })
          .build();
    }

    private Behavior<Object> setUp(RolloutSetup setup) {
      Set<Head> heads = EnumSet.noneOf(Head.class);
      setup.getModelHeadsList().forEach(h -> heads.add(Head.valueOf(h)));
      Gpt model = new Gpt(new ModelConfig(setup.getVocabSize(), setup.getContextLength(),
          setup.getDModel(), setup.getLayers(), setup.getAttentionHeads(), setup.getLayerNormEpsilon()),
          heads, Kernels.named(setup.getKernels()));
      SamplingSettings sampling = new SamplingSettings(setup.getTemperature(), 0, 1.0, false,
          setup.getResponseLength(), setup.getStopIdsList().stream().mapToInt(i -> i).toArray());
      Map<String, ActorRef<NodeWorker.Command>> children = new HashMap<>();
      for (int i = 0; i < workers; i++) {
        String id = workerId(nodeId, i);
        children.put(id, context.spawn(NodeWorker.create(id, sampling, setup.getPadId(),
            threads), "worker-" + i, DispatcherSelector.fromConfig(dispatcher)));
      }
      ActorRef<Object> self = context.getSelf();
      context.spawn(WeightsReceiver.create(model.layout(), v -> self.tell(new NewVersion(v))),
          "weights");
      for (PromptBatch b : early) {
        route(children, b);
      }
      return Behaviors.receive(Object.class)
          .onMessage(PromptBatch.class, b -> {
            route(children, b);
            return Behaviors.same();
          })
          .onMessage(NewVersion.class, v -> {
            PolicySnapshot snapshot = new PolicySnapshot(model, v.version().params(),
                v.version().version());
            children.values().forEach(c -> c.tell(new NodeWorker.Use(snapshot)));
            return Behaviors.same();
          })
          .onMessage(Gateways.class, g -> {
            if (g.listing().getServiceInstances(RolloutGateway.KEY).isEmpty()) {
              ended.accept(Ending.LEARNER_LEFT);
              return Behaviors.stopped();
            }
            return Behaviors.same();
          })
          .onMessage(JoinTimeout.class, t -> Behaviors.same())
          .build();
    }

    private void route(Map<String, ActorRef<NodeWorker.Command>> children, PromptBatch b) {
      ActorRef<NodeWorker.Command> worker = children.get(b.getWorkerId());
      if (worker == null) {
        ActorRefResolver.get(context.getSystem()).resolveActorRef(b.getReplyTo())
            .tell(RolloutBatch.newBuilder().setBatchId(b.getBatchId())
                .setWorkerId(b.getWorkerId())
                .setError("node " + nodeId + " has no worker " + b.getWorkerId()).build());
        return;
      }
      worker.tell(new NodeWorker.Sample(b));
    }
  }
}
