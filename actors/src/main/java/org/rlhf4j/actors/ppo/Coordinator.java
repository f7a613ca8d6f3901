package org.rlhf4j.actors.ppo;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.rlhf4j.learner.StepBatches;
import org.rlhf4j.learner.async.Ledger;
import org.rlhf4j.rollout.PolicySnapshot;

/**
 * Runs asynchronous PPO (DESIGN.md, "Data flow"): spawns and supervises the learner, the reward
 * scorer and the rollout workers, hands out work items to idle workers while credits last, forwards
 * each new policy snapshot to every worker, re-issues the work of a failed worker or scorer, and
 * keeps the run's ledger. A credit is one rollout: issuing a work item spends its rollouts'
 * credits and the learner returns them once it no longer holds the rollouts, so at most
 * {@code credits} rollouts exist between the workers and the learner's buffer. After the learner's
 * last round it issues nothing more, waits for the work still out, closes the learner and
 * completes the result. A run that cannot go on ends with a {@link PipelineFailedException}: a
 * child that stops for good, a work item that fails {@link Bounds#workAttempts()} times, or no
 * round within {@link Bounds#stallTimeout()}.
 */
public final class Coordinator extends AbstractBehavior<Coordinator.Command> {
  /** What the coordinator is told. */
  public sealed interface Command {}

  /** A worker (re)started; it sends {@link WeightsReleased} when {@code returnsWeights}. */
  public record WorkerReady(String workerId, ActorRef<RolloutWorker.Command> worker,
      boolean returnsWeights) implements Command {}

  /**
   * A worker left for good (its rollout node left the cluster or died): the work it was sampling
   * is re-issued under the same ids, without counting as a failure of the item.
   */
  public record WorkerGone(String workerId, String reason) implements Command {}

  /** A worker sent work item {@code workId}'s rollouts to the scorer. */
  public record WorkDone(String workerId, long workId, int rollouts, long tokens, long nanos,
      long policyVersion) implements Command {}

  /** Work item {@code workId} died with a failed actor; {@code rolloutsLost} had been produced. */
  public record WorkLost(long workId, int rolloutsLost, String reason) implements Command {}

  /**
   * The scorer node holding work item {@code workId}'s {@code rolloutsLost} rollouts left the
   * cluster or died: the item is re-issued under the same ids, without counting as a failure.
   */
  public record ScoringGone(long workId, int rolloutsLost, String reason) implements Command {}

  /** The learner took work item {@code workId}'s rollouts and returns {@code credits}. */
  public record Consumed(long workId, int rollouts, long credits) implements Command {}

  /** The learner's new policy, for the workers. */
  public record NewPolicy(PolicySnapshot snapshot) implements Command {}

  /**
   * Worker {@code workerId} no longer reads {@code snapshot}, which it was handed with {@link
   * RolloutWorker.UseWeights}: it holds a newer one, or was handed the same one twice.
   */
  public record WeightsReleased(String workerId, PolicySnapshot snapshot) implements Command {}

  /** The learner finished a round. */
  public record RoundDone(long version, Map<String, Double> metrics, Map<Long, Long> lags)
      implements Command {}

  /** The learner finished its last round. */
  public record LearnerFinished() implements Command {}

  /** The learner failed and stopped; the run fails with {@code cause}. */
  public record LearnerFailed(Throwable cause) implements Command {}

  /** The learner closed its log. */
  public record LearnerClosed(long version, String weightsSha256, Ledger ledger, long unused,
      Map<Long, Long> lags) implements Command {}

  /** Spawns the other actors as the coordinator's children (tests may stand in for some). */
  public interface Roles {
    ActorRef<Learner.Command> learner(ActorContext<Command> ctx);

    ActorRef<RewardScorer.Command> scorer(ActorContext<Command> ctx,
        ActorRef<Learner.Command> learner);

    /** Spawns the workers; each announces itself with {@link WorkerReady}. */
    void workers(ActorContext<Command> ctx, ActorRef<RewardScorer.Command> scorer);
  }

  /** Told each finished round with its metrics and the coordinator's own. */
  @FunctionalInterface
  public interface RoundObserver {
    void onRound(long version, Map<String, Double> metrics);
  }

  /**
   * @param prompts prompt token ids, dealt in a seeded order, reshuffled each pass
   * @param promptsPerWork prompts in one work item
   * @param copies samples per prompt (GRPO/RLOO group size, else 1)
   * @param credits rollouts allowed in flight
   */
  public record Settings(List<int[]> prompts, int promptsPerWork, int copies, int credits,
      long seed, Bounds bounds, Start start) {

    /** Checks that one work item fits in the credits. */
    public Settings {
      if ((long) promptsPerWork * copies > credits) {
        throw new IllegalArgumentException("a work item of " + promptsPerWork + " prompts × "
            + copies + " samples needs more than the " + credits + " credits in flight");
      }
    }
  }

  /**
   * What ends a run that cannot go on.
   *
   * @param workAttempts failures of one work item after which the run fails
   * @param stallTimeout the run fails when no round finishes for this long
   */
  public record Bounds(int workAttempts, Duration stallTimeout) {
    /** Checks the ranges. */
    public Bounds {
      if (workAttempts < 1 || stallTimeout.isNegative() || stallTimeout.isZero()) {
        throw new IllegalArgumentException("work attempts must be >= 1 and the stall timeout "
            + "positive, got " + workAttempts + " and " + stallTimeout);
      }
    }
  }

  /**
   * Where the coordinator starts: a fresh run at work item 0, or a resumed one after the work
   * items and counts of the run it continues.
   *
   * @param nextWorkId the first work item to issue
   * @param produced rollouts produced before
   * @param lostToFailure of those, lost before reaching the learner
   */
  public record Start(long nextWorkId, long produced, long lostToFailure) {
    /** A fresh run. */
    public static final Start FRESH = new Start(0, 0, 0);
  }

  /** No round finished within the stall timeout. */
  private enum StallCheck implements Command { INSTANCE }

  private enum Stage { GENERATING, SCORING }

  private static final class Outstanding {
    final Work work;
    final String worker;
    Stage stage = Stage.GENERATING;

    Outstanding(Work work, String worker) {
      this.work = work;
      this.worker = worker;
    }
  }

  private final Settings settings;
  private final StepBatches<int[]> promptOrder;
  private final RoundObserver observer;
  private final CompletableFuture<PipelineResult> result;
  private final ActorRef<Learner.Command> learner;
  private final ActorRef<RewardScorer.Command> scorer;
  private final Map<String, ActorRef<RolloutWorker.Command>> workers = new TreeMap<>();
  private final TreeMap<String, Boolean> idle = new TreeMap<>();
  private final Map<Long, Outstanding> outstanding = new HashMap<>();
  private final Deque<Work> reissue = new ArrayDeque<>();
  private final Map<String, long[]> workerTotals = new TreeMap<>(); // tokens, nanos
  private final Map<Long, Integer> failures = new HashMap<>(); // by work id
  private final TimerScheduler<Command> timers;
  private PolicySnapshot latest;
  // what workers may still read; the rest, the latest apart, is freed at once (a round's
  // snapshot is too short-lived to wait for the collector: BENCHMARKS.md, session 26)
  private final SnapshotLoans loans = new SnapshotLoans();
  private final Map<String, Boolean> returnsWeights = new HashMap<>();
  private long credits;
  private long nextWorkId;
  private long produced;
  private long lostToFailure;
  private long reissued;
  private long snapshotsFreed;
  private long tokensSinceRound;
  private long lastRoundNanos = System.nanoTime();
  private Work upcoming; // made, waiting for credits
  private boolean draining;
  private boolean closing;

  public static Behavior<Command> create(Settings settings, PolicySnapshot initial, Roles roles,
      RoundObserver observer, CompletableFuture<PipelineResult> result) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Coordinator(ctx, timers,
        settings, initial, roles, observer, result)));
  }

  private Coordinator(ActorContext<Command> ctx, TimerScheduler<Command> timers,
      Settings settings, PolicySnapshot initial, Roles roles, RoundObserver observer,
      CompletableFuture<PipelineResult> result) {
    super(ctx);
    this.timers = timers;
    this.settings = settings;
    this.nextWorkId = settings.start().nextWorkId();
    this.produced = settings.start().produced();
    this.lostToFailure = settings.start().lostToFailure();
    this.promptOrder = new StepBatches<>(settings.prompts(), settings.promptsPerWork(),
        settings.seed());
    this.observer = observer;
    this.result = result;
    this.latest = initial;
    this.credits = settings.credits();
    this.learner = roles.learner(ctx);
    ctx.watch(learner);
    this.scorer = roles.scorer(ctx, learner);
    ctx.watch(scorer);
    roles.workers(ctx, scorer);
    timers.startSingleTimer(StallCheck.INSTANCE, settings.bounds().stallTimeout());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(WorkerReady.class, this::workerReady)
        .onMessage(WorkerGone.class, this::workerGone)
        .onMessage(WorkDone.class, this::workDone)
        .onMessage(WorkLost.class, this::workLost)
        .onMessage(ScoringGone.class, this::scoringGone)
        .onMessage(Consumed.class, this::consumed)
        .onMessage(NewPolicy.class, this::newPolicy)
        .onMessage(WeightsReleased.class, this::weightsReleased)
        .onMessage(RoundDone.class, this::roundDone)
        .onMessage(LearnerFinished.class, m -> {
          draining = true;
          return closeIfDrained();
        })
        .onMessage(LearnerFailed.class, m -> fail(
            m.cause() instanceof org.rlhf4j.learner.TrainingDivergedException ? m.cause()
                : new PipelineFailedException("the learner failed: " + m.cause(), m.cause())))
        .onMessage(LearnerClosed.class, this::learnerClosed)
        .onMessage(StallCheck.class, m -> stalled())
        .onSignal(ChildFailed.class, s -> fail(new PipelineFailedException(
            s.getRef().path().name() + " failed for good: " + s.cause().getMessage(), s.cause())))
        .onSignal(Terminated.class, s -> result.isDone() ? this : fail(
            new PipelineFailedException(s.getRef().path().name() + " stopped before the run "
                + "ended")))
        .build();
  }

  private Behavior<Command> workerReady(WorkerReady m) {
    loans.abandoned(m.workerId(), latest); // a restart: the batch it gave up may still read them
    workers.put(m.workerId(), m.worker());
    returnsWeights.put(m.workerId(), m.returnsWeights());
    // a worker that gives up after its restarts must end the run, not leave it waiting
    getContext().watch(m.worker());
    // a worker that announces itself again was restarted; whatever it was generating is gone
    loseGeneratingOn(m.workerId());
    lend(m.workerId(), m.worker());
    idle.put(m.workerId(), true);
    issue();
    return this;
  }

  private Behavior<Command> workerGone(WorkerGone m) {
    ActorRef<RolloutWorker.Command> gone = workers.remove(m.workerId());
    if (gone == null) {
      return this;
    }
    getContext().unwatch(gone);
    idle.remove(m.workerId());
    returnsWeights.remove(m.workerId());
    loans.abandoned(m.workerId(), latest);
    getContext().getLog().warn("rollout worker {} left ({}); re-issuing its work", m.workerId(),
        m.reason());
    loseGeneratingOn(m.workerId());
    issue();
    return closeIfDrained();
  }

  private Behavior<Command> workDone(WorkDone m) {
    Outstanding o = outstanding.get(m.workId());
    if (o != null) {
      o.stage = Stage.SCORING;
    }
    produced += m.rollouts();
    tokensSinceRound += m.tokens();
    long[] t = workerTotals.computeIfAbsent(m.workerId(), k -> new long[2]);
    t[0] += m.tokens();
    t[1] += m.nanos();
    if (workers.containsKey(m.workerId())) {
      idle.put(m.workerId(), true);
    }
    issue();
    return this;
  }

  private Behavior<Command> workLost(WorkLost m) {
    int failed = failures.merge(m.workId(), 1, Integer::sum);
    if (failed >= settings.bounds().workAttempts() && outstanding.containsKey(m.workId())) {
      return fail(new PipelineFailedException("work item " + m.workId() + " failed "
          + failed + " times (rlhf4j.async.work-attempts = " + settings.bounds().workAttempts()
          + "); the last time: " + m.reason()));
    }
    getContext().getLog().warn("work item {} lost ({}); re-issuing it", m.workId(), m.reason());
    lose(m.workId(), m.rolloutsLost());
    issue();
    return closeIfDrained();
  }

  private Behavior<Command> scoringGone(ScoringGone m) {
    getContext().getLog().warn("work item {} lost ({}); re-issuing it", m.workId(), m.reason());
    lose(m.workId(), m.rolloutsLost());
    issue();
    return closeIfDrained();
  }

  private Behavior<Command> stalled() {
    StringBuilder busy = new StringBuilder();
    for (Outstanding o : outstanding.values()) {
      busy.append(busy.length() == 0 ? "" : ", ").append("item ").append(o.work.id())
          .append(o.stage == Stage.GENERATING ? " generating on " + o.worker : " scoring or in "
              + "the learner");
    }
    return fail(new PipelineStalledException("no policy update for "
        + settings.bounds().stallTimeout().toSeconds() + " s (rlhf4j.async.stall-timeout-seconds)"
        + "; outstanding: " + (busy.length() == 0 ? "nothing" : busy) + "; idle workers: "
        + idle.keySet()));
  }

  /** The items {@code workerId} was still sampling will never come: re-issue them. */
  private void loseGeneratingOn(String workerId) {
    for (Outstanding o : List.copyOf(outstanding.values())) {
      if (o.worker.equals(workerId) && o.stage == Stage.GENERATING) {
        lose(o.work.id(), 0);
      }
    }
  }

  private void lose(long workId, int rolloutsLost) {
    Outstanding o = outstanding.remove(workId);
    if (o == null) {
      return;
    }
    lostToFailure += rolloutsLost;
    credits += o.work.rollouts();
    if (!draining) {
      reissue.addLast(o.work);
      reissued++;
    }
  }

  private Behavior<Command> consumed(Consumed m) {
    outstanding.remove(m.workId());
    credits += m.credits();
    issue();
    return closeIfDrained();
  }

  private Behavior<Command> newPolicy(NewPolicy m) {
    PolicySnapshot before = latest;
    latest = m.snapshot();
    workers.forEach(this::lend);
    freeIfUnread(before);
    return this;
  }

  /** Hands worker {@code id} the latest snapshot, which it may read until it returns it. */
  private void lend(String id, ActorRef<RolloutWorker.Command> worker) {
    loans.lend(id, latest, returnsWeights.getOrDefault(id, false));
    worker.tell(new RolloutWorker.UseWeights(latest));
  }

  private Behavior<Command> weightsReleased(WeightsReleased m) {
    if (loans.returned(m.workerId(), m.snapshot())) {
      freeIfUnread(m.snapshot());
    }
    return this;
  }

  private void freeIfUnread(PolicySnapshot snapshot) {
    if (snapshot != null && snapshot != latest && loans.mayFree(snapshot)
        && snapshot.free()) {
      snapshotsFreed++;
    }
  }

  private Behavior<Command> roundDone(RoundDone m) {
    timers.startSingleTimer(StallCheck.INSTANCE, settings.bounds().stallTimeout());
    long now = System.nanoTime();
    double seconds = Math.max(1e-9, (now - lastRoundNanos) / 1e9);
    lastRoundNanos = now;
    Map<String, Double> metrics = new LinkedHashMap<>(m.metrics());
    metrics.put("learner/steps_per_s", 1 / seconds);
    metrics.put("rollout/tokens_per_s", tokensSinceRound / seconds);
    tokensSinceRound = 0;
    for (Map.Entry<String, long[]> e : workerTotals.entrySet()) {
      metrics.put("worker/" + e.getKey() + "/tokens_per_s", rate(e.getValue()));
    }
    long generating = 0;
    long scoringOrLearning = 0;
    for (Outstanding o : outstanding.values()) {
      if (o.stage == Stage.GENERATING) {
        generating += o.work.rollouts();
      } else {
        scoringOrLearning += o.work.rollouts();
      }
    }
    metrics.put("queue/generating", (double) generating);
    metrics.put("queue/scoring_or_learner", (double) scoringOrLearning);
    metrics.put("queue/credits_free", (double) credits);
    for (Map.Entry<Long, Long> e : m.lags().entrySet()) {
      metrics.put("async/lag_count/" + e.getKey(), (double) e.getValue());
    }
    metrics.put("ledger/produced", (double) produced);
    metrics.put("ledger/lost_to_failure", (double) lostToFailure);
    metrics.put("weights/snapshots_freed", (double) snapshotsFreed);
    metrics.put("weights/snapshots_held", (double) loans.held());
    observer.onRound(m.version(), metrics);
    return this;
  }

  private static double rate(long[] tokensNanos) {
    return tokensNanos[1] == 0 ? 0 : tokensNanos[0] / (tokensNanos[1] / 1e9);
  }

  private void issue() {
    while (!draining && !idle.isEmpty()) {
      boolean again = !reissue.isEmpty();
      if (!again && upcoming == null) {
        long id = nextWorkId++;
        upcoming = new Work(id, settings.promptsPerWork(), promptOrder.of(id), settings.copies(),
            settings.seed() * 1_000_003L + id);
      }
      Work next = again ? reissue.peekFirst() : upcoming;
      if (next.rollouts() > credits) {
        return;
      }
      if (again) {
        reissue.pollFirst();
      } else {
        upcoming = null;
      }
      String workerId = idle.pollFirstEntry().getKey();
      credits -= next.rollouts();
      outstanding.put(next.id(), new Outstanding(next, workerId));
      workers.get(workerId).tell(new RolloutWorker.Generate(next));
    }
  }

  private Behavior<Command> closeIfDrained() {
    if (draining && outstanding.isEmpty() && !closing) {
      closing = true;
      learner.tell(new Learner.Close());
    }
    return this;
  }

  private Behavior<Command> learnerClosed(LearnerClosed m) {
    Map<String, Double> rates = new LinkedHashMap<>();
    for (Map.Entry<String, long[]> e : workerTotals.entrySet()) {
      rates.put(e.getKey(), rate(e.getValue()));
    }
    try {
      result.complete(new PipelineResult(m.version(), m.weightsSha256(), m.ledger(), produced,
          lostToFailure, m.unused(), reissued, m.lags(), rates));
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
    }
    return Behaviors.stopped();
  }

  private Behavior<Command> fail(Throwable cause) {
    result.completeExceptionally(cause);
    return Behaviors.stopped();
  }
}
