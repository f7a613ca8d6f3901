package org.rlhf4j.actors.cluster;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.rlhf4j.actors.weights.CorruptWeightsException;
import org.rlhf4j.actors.weights.WeightAssembly;
import org.rlhf4j.learner.async.RolloutScoring;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.TensorThreads;
import org.rlhf4j.protocol.pb.Credit;
import org.rlhf4j.protocol.pb.FrozenModelChunk;
import org.rlhf4j.protocol.pb.NodeHello;
import org.rlhf4j.protocol.pb.ScoreRequest;
import org.rlhf4j.protocol.pb.ScoredBatch;
import org.rlhf4j.protocol.pb.ScorerReady;
import org.rlhf4j.protocol.pb.ScorerSetup;
import org.rlhf4j.protocol.pb.ScoredRollout;

/**
 * A scorer node's role actor (under {@link JoiningNode}): builds the reward model and the
 * reference policy from the {@link ScorerSetup} the learner sends, receives both models' weights
 * (each checked, chunk by chunk and whole), says {@link ScorerReady}, then scores each
 * {@link ScoreRequest} exactly as the learner's own scorer would. It needs no model on disk.
 */
public final class ScorerNode {
  /** The reward model's name in {@link FrozenModelChunk#getModel()}. */
  static final String REWARD = "reward";
  /** The reference policy's name in {@link FrozenModelChunk#getModel()}. */
  static final String REFERENCE = "reference";

  private ScorerNode() {}

  /**
   * A scorer node {@code nodeId} (null: named by its address) computing with {@code threads}
   * tensor threads on {@code dispatcher}; it stops, telling {@code ended} why, as
   * {@link JoiningNode} says.
   */
  public static Behavior<Object> create(String nodeId, int threads, String dispatcher,
      Duration joinTimeout, Consumer<JoiningNode.Ending> ended) {
    NodeHello hello = NodeHello.newBuilder().setNodeId(nodeId == null ? "" : nodeId)
        .setRole(NodeGateway.SCORER).build();
    return JoiningNode.create(hello, (id, joined) -> Behaviors.setup(context ->
        Behaviors.receive(Object.class)
            .onMessage(ScorerSetup.class, s -> {
              joined.tell(JoiningNode.Joined.INSTANCE);
              return new Loading(context, id, threads, s).behavior();
            })
            .build()),
        DispatcherSelector.fromConfig(dispatcher), joinTimeout, ended);
  }

  /** Receiving the two frozen models. */
  private static final class Loading {
    private final ActorContext<Object> context;
    private final String nodeId;
    private final int threads;
    private final ScorerSetup setup;
    private final ActorRef<Object> proxy;
    private final String self;
    private final Map<String, Gpt> models;
    private final Map<String, WeightAssembly> assemblies;
    private ParameterStore reward;
    private ParameterStore reference;

    Loading(ActorContext<Object> context, String nodeId, int threads, ScorerSetup setup) {
      this.context = context;
      this.nodeId = nodeId;
      this.threads = threads;
      this.setup = setup;
      ActorRefResolver refs = ActorRefResolver.get(context.getSystem());
      this.proxy = refs.resolveActorRef(setup.getReplyTo());
      this.self = refs.toSerializationFormat(context.getSelf());
      Gpt rewardModel = ModelShapes.model(setup.getRewardModel(), setup.getKernels());
      Gpt referenceModel = ModelShapes.model(setup.getReferenceModel(), setup.getKernels());
      this.models = Map.of(REWARD, rewardModel, REFERENCE, referenceModel);
      this.assemblies = Map.of(REWARD, new WeightAssembly(rewardModel.layout()),
          REFERENCE, new WeightAssembly(referenceModel.layout()));
    }

    Behavior<Object> behavior() {
      return Behaviors.receive(Object.class)
          .onMessage(FrozenModelChunk.class, this::chunk)
          .build();
    }

    private Behavior<Object> chunk(FrozenModelChunk c) {
      WeightAssembly assembly = assemblies.get(c.getModel());
      if (assembly == null) {
        throw new IllegalArgumentException("a frozen model named '" + c.getModel()
            + "' (expected " + REWARD + " or " + REFERENCE + ")");
      }
      Optional<ParameterStore> whole;
      try {
        whole = assembly.accept(c.getChunk());
      } catch (CorruptWeightsException e) {
        // the learner sends each frozen model once: without it this node cannot score
        throw new IllegalStateException("the " + c.getModel() + " model arrived corrupt: "
            + e.getMessage(), e);
      }
      proxy.tell(Credit.newBuilder().setConsumerId(self).setAmount(1).build());
      if (whole.isPresent()) {
        if (c.getModel().equals(REWARD)) {
          reward = whole.get();
        } else {
          reference = whole.get();
        }
      }
      if (reward == null || reference == null) {
        return Behaviors.same();
      }
      RolloutScoring scoring = new RolloutScoring(models.get(REWARD), reward,
          models.get(REFERENCE), reference, setup.getTemperature(), setup.getPadId());
      proxy.tell(ScorerReady.newBuilder().setNodeId(nodeId).setReplyTo(self).build());
      context.getLog().info("scorer node {} has both models; scoring", nodeId);
      return Behaviors.receive(Object.class)
          .onMessage(ScoreRequest.class, r -> {
            ActorRefResolver.get(context.getSystem()).resolveActorRef(r.getReplyTo())
                .tell(score(scoring, r));
            return Behaviors.same();
          })
          .build();
    }

    private ScoredBatch score(RolloutScoring scoring, ScoreRequest r) {
      ScoredBatch.Builder out = ScoredBatch.newBuilder().setWorkId(r.getWorkId());
      try {
        TensorThreads.bindCurrentThread(threads);
        List<ScoredRollout> scored = scoring.score(r.getRolloutsList());
        return out.addAllScored(scored).build();
      } catch (RuntimeException e) {
        // the proxy reports it and the coordinator re-issues the item, up to work-attempts
        return out.setError(String.valueOf(e.getMessage())).build();
      }
    }
  }
}
