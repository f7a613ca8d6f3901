package org.rlhf4j.actors.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.protocol.pb.NodeHello;
import org.rlhf4j.protocol.pb.PromptBatch;
import org.rlhf4j.protocol.pb.RolloutBatch;
import org.rlhf4j.protocol.pb.RolloutSetup;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.rollout.SamplingSettings;

/**
 * A rollout node's role actor (under {@link JoiningNode}): builds the policy's model from the
 * {@link RolloutSetup} the learner sends, receives the weights (one {@link WeightsReceiver} per
 * node, one snapshot shared by its workers; with LoRA the body once and each version's adapters,
 * merged here) and hands each {@link PromptBatch} to the {@link NodeWorker} it names. A node
 * needs no run directory.
 */
public final class RolloutNode {
  private RolloutNode() {}

  private record NewVersion(WeightsReceiver.Versioned version) {}

  /** The id of a node's {@code i}-th worker, as the learner's gateway names its proxy too. */
  static String workerId(String nodeId, int i) {
    return nodeId + "/worker-" + i;
  }

  /**
   * A node {@code nodeId} (null: named by its address) with {@code workers} workers of
   * {@code threads} tensor threads each.
   */
  public static Behavior<Object> create(String nodeId, int workers, int threads,
      String dispatcher) {
    return create(nodeId, workers, threads, dispatcher, null, ending -> { });
  }

  /**
   * A node that stops, telling {@code ended} why, when no learner has answered within
   * {@code joinTimeout} (null: it waits), when the learner it worked for leaves (its run is
   * over) or when it fails.
   */
  public static Behavior<Object> create(String nodeId, int workers, int threads,
      String dispatcher, Duration joinTimeout, Consumer<JoiningNode.Ending> ended) {
    NodeHello hello = NodeHello.newBuilder().setNodeId(nodeId == null ? "" : nodeId)
        .setWorkers(workers).setRole(NodeGateway.ROLLOUT).build();
    return JoiningNode.create(hello, (id, joined) -> Behaviors.setup(context ->
        new Waiting(context, id, workers, threads, dispatcher, joined).behavior()),
        Props.empty(), joinTimeout, ended);
  }

  /** Before the setup: keeps early work. */
  private static final class Waiting {
    private final ActorContext<Object> context;
    private final String nodeId;
    private final int workers;
    private final int threads;
    private final String dispatcher;
    private final ActorRef<JoiningNode.Joined> joined;
    private final List<PromptBatch> early = new ArrayList<>();

    Waiting(ActorContext<Object> context, String nodeId, int workers, int threads,
        String dispatcher, ActorRef<JoiningNode.Joined> joined) {
      this.context = context;
      this.nodeId = nodeId;
      this.workers = workers;
      this.threads = threads;
      this.dispatcher = dispatcher;
      this.joined = joined;
    }

    Behavior<Object> behavior() {
      return Behaviors.receive(Object.class)
          .onMessage(PromptBatch.class, b -> {
            early.add(b); // the setup and the work come from different actors, in any order
            return Behaviors.same();
          })
          .onMessage(RolloutSetup.class, this::setUp)
          .build();
    }

    private Behavior<Object> setUp(RolloutSetup setup) {
      joined.tell(JoiningNode.Joined.INSTANCE);
      Gpt model = ModelShapes.model(setup.getPolicy(), setup.getKernels());
      SamplingSettings sampling = new SamplingSettings(setup.getTemperature(), 0, 1.0, false,
          setup.getResponseLength(), setup.getStopIdsList().stream().mapToInt(i -> i).toArray());
      Map<String, ActorRef<NodeWorker.Command>> children = new HashMap<>();
      for (int i = 0; i < workers; i++) {
        String id = workerId(nodeId, i);
        children.put(id, context.spawn(NodeWorker.create(id, sampling, setup.getPadId(),
            threads, context.getSelf().narrow()), "worker-" + i,
            DispatcherSelector.fromConfig(dispatcher)));
      }
      ActorRef<Object> self = context.getSelf();
      boolean lora = model.lora().isPresent();
      // with LoRA versions carry heads and adapters, to be merged onto the body sent once
      ActorRef<Object> receiver = context.spawn(WeightsReceiver.create(
          lora ? model.body().layout() : null,
          lora ? model.trainableLayout() : model.layout(), v -> self.tell(new NewVersion(v))),
          "weights");
      ParameterStore[] adapted = {null}; // LoRA: body + the newest adapters, the node's one copy
      SnapshotReaders readers = new SnapshotReaders();
      for (PromptBatch b : early) {
        route(children, b);
      }
      return Behaviors.receive(Object.class)
          .onMessage(PromptBatch.class, b -> {
            route(children, b);
            return Behaviors.same();
          })
          .onMessage(NewVersion.class, v -> {
            PolicySnapshot snapshot;
            if (lora) {
              snapshot = merged(model, v.version(), adapted);
              receiver.tell(new WeightsReceiver.Recycle(v.version().params())); // copied
            } else {
              snapshot = new PolicySnapshot(model, v.version().params(), v.version().version());
              if (children.isEmpty()) {
                receiver.tell(new WeightsReceiver.Recycle(snapshot.params()));
              } else {
                readers.lent(snapshot, children.size());
              }
            }
            children.values().forEach(c -> c.tell(new NodeWorker.Use(snapshot)));
            return Behaviors.same();
          })
          .onMessage(NodeWorker.Released.class, r -> {
            // the receiver's own memory, read by no worker now: the next version goes there
            if (readers.released(r.snapshot())) {
              receiver.tell(new WeightsReceiver.Recycle(r.snapshot().params()));
            }
            return Behaviors.same();
          })
          .build();
    }

    /**
     * The version merged as the learner's local workers sample it: its heads and adapters put
     * beside the body in {@code adapted[0]} (made once), then folded into their layers.
     */
    private static PolicySnapshot merged(Gpt model, WeightsReceiver.Versioned v,
        ParameterStore[] adapted) {
      if (adapted[0] == null) {
        adapted[0] = ParameterStore.zeros(model.layout(), DataType.FLOAT);
        model.bodyView(adapted[0]).copyFrom(v.base());
      }
      model.trainable(adapted[0]).copyFrom(v.params());
      return new PolicySnapshot(model.base(), model.merged(adapted[0]), v.version());
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
