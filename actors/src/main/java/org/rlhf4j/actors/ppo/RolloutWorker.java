package org.rlhf4j.actors.ppo;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.rlhf4j.model.TensorThreads;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.rollout.SamplingSettings;

/**
 * Samples work items from its frozen policy snapshot and sends the rollouts to the reward scorer.
 * A new snapshot replaces the old one between batches, and the old one is returned to the
 * coordinator; the snapshot is shared with the other workers, never copied. On start (and
 * restart) it announces itself to the coordinator, which answers with the latest snapshot and
 * work.
 */
public final class RolloutWorker extends AbstractBehavior<RolloutWorker.Command> {
  /** What a worker is told. */
  public sealed interface Command {}

  /** Sample from {@code snapshot} from the next batch on. */
  public record UseWeights(PolicySnapshot snapshot) implements Command {}

  /** Sample {@code work} and send it on. */
  public record Generate(Work work) implements Command {}

  /**
   * How a worker samples.
   *
   * @param sampling how tokens are drawn
   * @param padId the token that pads a batch's shorter rows
   * @param threads tensor threads ({@link TensorThreads})
   * @param niceness the niceness it samples at ({@link NicedCompute})
   */
  public record Settings(SamplingSettings sampling, int padId, int threads, int niceness) {}

  private final String id;
  private final ActorRef<Coordinator.Command> coordinator;
  private final ActorRef<RewardScorer.Command> scorer;
  private final Settings settings;
  private final FaultInjection faults;
  private final WorkSampler sampler;
  private final NicedCompute compute; // null: at niceness 0 the batches run on this thread
  private PolicySnapshot snapshot;
  private Work inProgress;

  /** A worker restarted by its supervisor whenever it fails. */
  public static Behavior<Command> create(String id, ActorRef<Coordinator.Command> coordinator,
      ActorRef<RewardScorer.Command> scorer, Settings settings, FaultInjection faults) {
    return Behaviors.supervise(Behaviors.<Command>setup(ctx ->
        new RolloutWorker(ctx, id, coordinator, scorer, settings, faults)))
        .onFailure(Restarts.STRATEGY);
  }

  private RolloutWorker(ActorContext<Command> ctx, String id,
      ActorRef<Coordinator.Command> coordinator, ActorRef<RewardScorer.Command> scorer,
      Settings settings, FaultInjection faults) {
    super(ctx);
    this.id = id;
    this.coordinator = coordinator;
    this.scorer = scorer;
    this.settings = settings;
    this.faults = faults;
    this.sampler = new WorkSampler(id, settings.padId());
    this.compute = settings.niceness() == 0 ? null
        : new NicedCompute("rlhf4j-sampler-" + id, settings.threads(), settings.niceness());
    coordinator.tell(new Coordinator.WorkerReady(id, ctx.getSelf(), true));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(UseWeights.class, this::useWeights)
        .onMessage(Generate.class, this::generate)
        .onSignal(PreRestart.class, s -> {
          if (inProgress != null) {
            coordinator.tell(new Coordinator.WorkLost(inProgress.id(), 0,
                "rollout worker " + id + " failed"));
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

  /**
   * Between batches (a batch runs inside its handler): the snapshot held until now is returned
   * to the coordinator, which frees it once no worker reads it. What a failed incarnation held is
   * never returned (a batch it gave up waiting for may still read it); the coordinator ignores
   * returns of loans it wrote off at the restart.
   */
  private Behavior<Command> useWeights(UseWeights m) {
    PolicySnapshot before = snapshot;
    snapshot = m.snapshot();
    if (before != null) {
      coordinator.tell(new Coordinator.WeightsReleased(id, before));
    }
    return this;
  }

  private void closeCompute() {
    if (compute != null) {
      compute.close();
    }
  }

  private Behavior<Command> generate(Generate m) {
    inProgress = m.work();
    try {
      return sample(m.work());
    } catch (RuntimeException e) {
      // say why before the supervisor restarts us: the coordinator ends the run with the reason
      // if the same item keeps failing
      coordinator.tell(new Coordinator.WorkLost(m.work().id(), 0,
          "rollout worker " + id + " failed: " + e.getMessage()));
      inProgress = null;
      throw e;
    }
  }

  private Behavior<Command> sample(Work work) {
    if (snapshot == null) {
      throw new IllegalStateException("worker " + id + " got work before any weights");
    }
    PolicySnapshot current = snapshot;
    WorkSampler.Sampled s;
    if (compute == null) {
      TensorThreads.bindCurrentThread(settings.threads());
      s = sampler.sample(current, work, settings.sampling());
    } else {
      s = compute.run(() -> sampler.sample(current, work, settings.sampling()));
    }
    faults.afterWorkerBatch(id);
    scorer.tell(new RewardScorer.Score(work.id(), s.rollouts()));
    coordinator.tell(new Coordinator.WorkDone(id, work.id(), s.rollouts().size(), s.tokens(),
        s.nanos(), snapshot.version()));
    inProgress = null;
    return this;
  }
}
