package org.rlhf4j.actors.ppo;

import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.rlhf4j.learner.async.RolloutScoring;
import org.rlhf4j.model.TensorThreads;
import org.rlhf4j.protocol.pb.Rollout;
import org.rlhf4j.protocol.pb.ScoredRollout;

/**
 * Adds the frozen reward model's score and the frozen reference policy's log-probs to each
 * worker batch and passes it to the learner. If it fails mid-batch, the batch is reported lost to
 * the coordinator (which re-issues it) before the supervisor restarts the scorer; batches waiting
 * in its mailbox survive the restart.
 */
public final class RewardScorer extends AbstractBehavior<RewardScorer.Command> {
  /** What the scorer is told. */
  public sealed interface Command {}

  /** Score the rollouts of work item {@code workId}. */
  public record Score(long workId, List<Rollout> rollouts) implements Command {}

  private final ActorRef<Coordinator.Command> coordinator;
  private final ActorRef<Learner.Command> learner;
  private final RolloutScoring scoring;
  private final int threads;
  private final NicedCompute compute; // null: at niceness 0 the batches run on this thread
  private final FaultInjection faults;
  private final ActorRef<Object> pool;
  private Score inProgress;

  /**
   * A scorer restarted by its supervisor whenever it fails, computing with {@code threads} tensor
   * threads at {@code niceness} ({@link NicedCompute}).
   */
  public static Behavior<Command> create(ActorRef<Coordinator.Command> coordinator,
      ActorRef<Learner.Command> learner, RolloutScoring scoring, int threads,
      int niceness, FaultInjection faults) {
    return create(coordinator, learner, scoring, threads, niceness, faults, null);
  }

  /**
   * A scorer in a {@link ScorerPool} (null: none), which it joins at start and tells each time
   * it has finished a batch.
   */
  public static Behavior<Command> create(ActorRef<Coordinator.Command> coordinator,
      ActorRef<Learner.Command> learner, RolloutScoring scoring, int threads,
      int niceness, FaultInjection faults, ActorRef<Object> pool) {
    return Behaviors.supervise(Behaviors.<Command>setup(ctx ->
        new RewardScorer(ctx, coordinator, learner, scoring, threads, niceness, faults, pool)))
        .onFailure(Restarts.STRATEGY);
  }

  private RewardScorer(ActorContext<Command> ctx, ActorRef<Coordinator.Command> coordinator,
      ActorRef<Learner.Command> learner, RolloutScoring scoring, int threads,
      int niceness, FaultInjection faults, ActorRef<Object> pool) {
    super(ctx);
    this.coordinator = coordinator;
    this.learner = learner;
    this.scoring = scoring;
    this.threads = threads;
    this.compute = niceness == 0 ? null : new NicedCompute("rlhf4j-scorer", threads, niceness);
    this.faults = faults;
    this.pool = pool;
    if (pool != null) {
      pool.tell(new ScorerPool.Ready(ctx.getSelf()));
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Score.class, this::score)
        .onSignal(PreRestart.class, s -> {
          if (inProgress != null) {
            coordinator.tell(new Coordinator.WorkLost(inProgress.workId(),
                inProgress.rollouts().size(), "reward scorer failed"));
          }
          closeCompute();
          return this;
        })
        .onSignal(PostStop.class, s -> {
          closeCompute();
          return this;
        })
        .build();
  }

  private void closeCompute() {
    if (compute != null) {
      compute.close();
    }
  }

  private Behavior<Command> score(Score m) {
    inProgress = m;
    try {
      List<ScoredRollout> scored;
      if (compute == null) {
        TensorThreads.bindCurrentThread(threads);
        scored = scoring.score(m.rollouts());
      } else {
        scored = compute.run(() -> scoring.score(m.rollouts()));
      }
      faults.afterScorerBatch();
      learner.tell(new Learner.Learn(m.workId(), scored));
    } catch (RuntimeException e) {
      coordinator.tell(new Coordinator.WorkLost(m.workId(), m.rollouts().size(),
          "reward scorer failed: " + e.getMessage()));
      inProgress = null;
      throw e;
    } finally {
      if (pool != null) {
        pool.tell(new ScorerPool.Freed(getContext().getSelf()));
      }
    }
    inProgress = null;
    return this;
  }
}
