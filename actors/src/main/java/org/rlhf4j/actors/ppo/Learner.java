package org.rlhf4j.actors.ppo;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.rlhf4j.learner.async.LearnerRecorder;
import org.rlhf4j.learner.async.Ledger;
import org.rlhf4j.learner.async.PpoLearner;
import org.rlhf4j.protocol.pb.ScoredRollout;

/**
 * Owns the {@link PpoLearner}: offers it every scored rollout (logging each through the
 * {@link LearnerRecorder}), broadcasts a frozen snapshot after every {@code weight-sync-every}
 * rounds, and returns credits to the coordinator for each rollout it no longer holds. A rollout
 * waiting for its batch keeps its credit until the batch trains, so the credits bound everything
 * in flight, the learner's buffer included. After the last round it only counts what still
 * arrives, as unused. It is not restarted on failure: a diverged learner ends the run.
 */
public final class Learner extends AbstractBehavior<Learner.Command> {
  /** What the learner is told. */
  public sealed interface Command {}

  /** The scored rollouts of work item {@code workId}. */
  public record Learn(long workId, List<ScoredRollout> rollouts) implements Command {}

  /** Close the message log and report the final state. */
  public record Close() implements Command {}

  /**
   * @param iterations the round after which the learner stops training
   * @param weightSyncEvery rounds between broadcasts (the last round always broadcasts)
   */
  public record Settings(long iterations, int weightSyncEvery, int threads) {}

  private final ActorRef<Coordinator.Command> coordinator;
  private final LearnerRecorder recorder;
  private final PpoLearner learner;
  private final Settings settings;
  private final LagHistogram lags = new LagHistogram();
  private long unused;

  public static Behavior<Command> create(ActorRef<Coordinator.Command> coordinator,
      LearnerRecorder recorder, Settings settings) {
    return Behaviors.setup(ctx -> new Learner(ctx, coordinator, recorder, settings));
  }

  private Learner(ActorContext<Command> ctx, ActorRef<Coordinator.Command> coordinator,
      LearnerRecorder recorder, Settings settings) {
    super(ctx);
    this.coordinator = coordinator;
    this.recorder = recorder;
    this.learner = recorder.learner();
    this.settings = settings;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Learn.class, this::learn)
        .onMessage(Close.class, m -> close())
        .build();
  }

  private boolean finished() {
    return learner.version() >= settings.iterations();
  }

  private Behavior<Command> learn(Learn m) {
    learner.useThreads(settings.threads()); // each message: the dispatcher's thread may change
    long heldBefore = learner.ledger().pending();
    try {
      for (ScoredRollout r : m.rollouts()) {
        if (finished()) {
          unused++;
          continue;
        }
        lags.add(learner.version() - r.getRollout().getPolicyVersion());
        long start = System.nanoTime();
        if (recorder.offer(r) == PpoLearner.Outcome.TRAINED) {
          roundDone(System.nanoTime() - start);
        }
      }
    } catch (IOException | RuntimeException e) {
      coordinator.tell(new Coordinator.LearnerFailed(e));
      return Behaviors.stopped();
    }
    long freed = m.rollouts().size() + heldBefore - learner.ledger().pending();
    coordinator.tell(new Coordinator.Consumed(m.workId(), m.rollouts().size(), freed));
    return this;
  }

  private void roundDone(long nanos) {
    long version = learner.version();
    // weights before credits: the coordinator hands out no work for the new version before it
    // has the new snapshot
    if (version % settings.weightSyncEvery() == 0 || version == settings.iterations()) {
      coordinator.tell(new Coordinator.NewPolicy(learner.snapshot()));
    }
    Map<String, Double> metrics = new LinkedHashMap<>(learner.lastRound());
    metrics.putAll(learner.ledger().metrics());
    metrics.put("objective/kl_coef", learner.klCoef());
    metrics.put("learner/round_seconds", nanos / 1e9);
    coordinator.tell(new Coordinator.RoundDone(version, metrics, lags.counts()));
    if (finished()) {
      coordinator.tell(new Coordinator.LearnerFinished());
    }
  }

  private Behavior<Command> close() {
    try {
      recorder.finish();
    } catch (IOException e) {
      coordinator.tell(new Coordinator.LearnerFailed(e));
      return Behaviors.stopped();
    }
    Ledger ledger = learner.ledger();
    coordinator.tell(new Coordinator.LearnerClosed(learner.version(),
        learner.policyParams().sha256(), ledger, unused, lags.counts()));
    return this;
  }
}
