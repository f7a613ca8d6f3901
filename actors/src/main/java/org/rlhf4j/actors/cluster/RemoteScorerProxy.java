package org.rlhf4j.actors.cluster;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.rlhf4j.actors.ppo.Coordinator;
import org.rlhf4j.actors.ppo.Learner;
import org.rlhf4j.actors.ppo.RewardScorer;
import org.rlhf4j.actors.ppo.ScorerPool;
import org.rlhf4j.protocol.pb.Credit;
import org.rlhf4j.protocol.pb.FrozenModelChunk;
import org.rlhf4j.protocol.pb.ScoreRequest;
import org.rlhf4j.protocol.pb.ScoredBatch;
import org.rlhf4j.protocol.pb.ScorerReady;
import org.rlhf4j.protocol.pb.ScorerSetup;

/**
 * A scorer node as the learner sees it: sends the node its setup and the two frozen models
 * ({@code window} chunks unacknowledged at most), joins the {@link ScorerPool} once the node has
 * them, passes each batch the pool gives it to the node and the scored answer to the learner.
 * When the node leaves or dies, the batches it held are re-issued under their rollout ids
 * ({@link Coordinator.ScoringGone}), and so is any batch the pool sends before it hears.
 */
final class RemoteScorerProxy {
  private RemoteScorerProxy() {}

  /** What a proxy needs from the learner's side. */
  record Roles(ActorRef<Object> pool, ActorRef<Learner.Command> learner,
      ActorRef<Coordinator.Command> coordinator, Consumer<String> notices) {}

  static Behavior<RewardScorer.Command> create(String nodeId, ActorRef<Object> node,
      ScorerSetup setup, Supplier<List<FrozenModelChunk>> models, int window, Roles roles) {
    return Behaviors.<Object>setup(context -> {
      context.watch(node);
      String self = ActorRefResolver.get(context.getSystem())
          .toSerializationFormat(context.getSelf());
      node.tell(setup.toBuilder().setReplyTo(self).build());
      return new Sending(context, nodeId, node, models.get(), window, roles).behavior();
    }).narrow();
  }

  /** Before the node is ready: streams the frozen models. */
  private static final class Sending {
    private final ActorContext<Object> context;
    private final String nodeId;
    private final ActorRef<Object> node;
    private final int window;
    private final Roles roles;
    private List<FrozenModelChunk> chunks;
    private int next;
    private int inFlight;

    Sending(ActorContext<Object> context, String nodeId, ActorRef<Object> node,
        List<FrozenModelChunk> chunks, int window, Roles roles) {
      this.context = context;
      this.nodeId = nodeId;
      this.node = node;
      this.chunks = chunks;
      this.window = window;
      this.roles = roles;
    }

    Behavior<Object> behavior() {
      pump();
      return Behaviors.receive(Object.class)
          .onMessage(Credit.class, c -> {
            inFlight = Math.max(0, inFlight - c.getAmount());
            pump();
            return Behaviors.same();
          })
          .onMessage(ScorerReady.class, r -> {
            chunks = List.of(); // the copies of both models go with the stream's end
            ActorRef<Object> scorer = ActorRefResolver.get(context.getSystem())
                .resolveActorRef(r.getReplyTo());
            return new Scoring(context, nodeId, scorer, roles).behavior();
          })
          .onMessage(RewardScorer.Score.class, s -> {
            // the pool gives batches only to ready scorers; a stray one is lost, not dropped
            roles.coordinator().tell(new Coordinator.ScoringGone(s.workId(),
                s.rollouts().size(), "scorer node " + nodeId + " was not ready"));
            return Behaviors.same();
          })
          .onSignal(Terminated.class, t -> {
            roles.notices().accept("scorer node " + nodeId + " left before it was ready");
            return Behaviors.ignore();
          })
          .build();
    }

    private void pump() {
      while (inFlight < window && next < chunks.size()) {
        node.tell(chunks.get(next++));
        inFlight++;
      }
    }
  }

  /** The node is ready: batches out, scored batches in. */
  private static final class Scoring {
    private final String nodeId;
    private final ActorRef<Object> scorer;
    private final Roles roles;
    private final String self;
    private final ActorRef<RewardScorer.Command> asScorer;
    private final Map<Long, Integer> held = new LinkedHashMap<>();

    Scoring(ActorContext<Object> context, String nodeId, ActorRef<Object> scorer, Roles roles) {
      this.nodeId = nodeId;
      this.scorer = scorer;
      this.roles = roles;
      this.self = ActorRefResolver.get(context.getSystem())
          .toSerializationFormat(context.getSelf());
      this.asScorer = context.getSelf().narrow();
    }

    Behavior<Object> behavior() {
      roles.pool().tell(new ScorerPool.Ready(asScorer));
      roles.notices().accept("scorer node " + nodeId + " has both models and scores");
      return Behaviors.receive(Object.class)
          .onMessage(RewardScorer.Score.class, s -> {
            held.put(s.workId(), s.rollouts().size());
            scorer.tell(ScoreRequest.newBuilder().setWorkId(s.workId())
                .addAllRollouts(s.rollouts()).setReplyTo(self).build());
            return Behaviors.same();
          })
          .onMessage(ScoredBatch.class, this::scored)
          .onSignal(Terminated.class, t -> gone())
          .build();
    }

    private Behavior<Object> scored(ScoredBatch b) {
      Integer rollouts = held.remove(b.getWorkId());
      if (rollouts == null) {
        return Behaviors.same();
      }
      if (!b.getError().isEmpty()) {
        roles.coordinator().tell(new Coordinator.WorkLost(b.getWorkId(), rollouts,
            "scorer node " + nodeId + " failed: " + b.getError()));
      } else {
        roles.learner().tell(new Learner.Learn(b.getWorkId(), b.getScoredList()));
      }
      roles.pool().tell(new ScorerPool.Freed(asScorer));
      return Behaviors.same();
    }

    private Behavior<Object> gone() {
      String reason = "scorer node " + nodeId + " left the cluster";
      roles.pool().tell(new ScorerPool.Gone(asScorer));
      held.forEach((workId, rollouts) ->
          roles.coordinator().tell(new Coordinator.ScoringGone(workId, rollouts, reason)));
      held.clear();
      roles.notices().accept(reason + "; its batches are re-issued");
      // batches the pool sent before it heard are re-issued too
      return Behaviors.receive(Object.class)
          .onMessage(RewardScorer.Score.class, s -> {
            roles.coordinator().tell(new Coordinator.ScoringGone(s.workId(),
                s.rollouts().size(), reason));
            return Behaviors.same();
          })
          .build();
    }
  }
}
