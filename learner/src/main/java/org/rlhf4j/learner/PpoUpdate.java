package org.rlhf4j.learner;

import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import org.rlhf4j.config.PpoConfig;
import org.rlhf4j.learner.rl.BatchShape;
import org.rlhf4j.learner.rl.Gae;
import org.rlhf4j.learner.rl.GroupAdvantages;
import org.rlhf4j.learner.rl.PpoObjective;
import org.rlhf4j.learner.rl.Whitening;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.PolicyEvaluation;

/**
 * One PPO gradient step on a minibatch: the objective's gradients with respect to log-probs,
 * entropies and values carried back through the policy (and the separate critic, if any), then
 * the optimizers; with the advantage estimators, what {@link
 * org.rlhf4j.learner.async.PpoLearner} runs for each minibatch. The gradient stores are allocated
 * once.
 */
public final class PpoUpdate {
  private final PpoObjective objective;
  private final ParameterStore policy;
  private final OptimizerStep policyOptimizer;
  private final ParameterStore policyGrads;
  private final ParameterStore critic; // null unless a separate critic
  private final OptimizerStep criticOptimizer;
  private final ParameterStore criticGrads;
  private int criticThreads; // 0: the critic's step runs after the policy's, on this thread

  /** The objective {@code rlhf4j.ppo} describes; critic-free advantages carry no value loss. */
  public static PpoObjective objective(PpoConfig config) {
    boolean critic = config.advantage().equals("gae");
    return new PpoObjective(new PpoObjective.Settings(config.cliprange(), config.cliprangeValue(),
        critic ? config.vfCoef() : 0.0, config.entropyCoef(), config.decoupled(),
        config.decoupled() ? config.importanceCap() : Double.POSITIVE_INFINITY));
  }

  /**
   * Whether the KL to the reference is a term of the loss, with the reference log-probs in each
   * minibatch: GRPO with {@code grpo.kl-in = loss}. Everywhere else it is folded into the reward.
   */
  public static boolean klInLoss(PpoConfig config) {
    return config.advantage().equals("grpo") && config.grpo().klInLoss();
  }

  /** Per-token advantages (B·T), and GAE's value targets (null for critic-free advantages). */
  public record Advantages(double[] advantages, double[] returns) {}

  /**
   * Advantages as {@code rlhf4j.ppo.advantage} says: GAE over the per-token {@code rewards} with
   * the critic's {@code valuesOld}, then whitened; or GRPO/RLOO over groups of
   * {@code group-size} consecutive responses, on each response's score plus its KL penalty
   * ({@code nonScore}; the score alone when {@link #klInLoss}), GRPO's divided as
   * {@code grpo.scale-rewards} says, broadcast to its tokens.
   *
   * @param scores each response's score after the missing-EOS penalty (B); GAE reads
   *     {@code rewards} instead, which carry it on the last token
   */
  public static Advantages advantages(PpoConfig config, BatchShape shape, double[] rewards,
      double[] nonScore, double[] scores, double[] valuesOld, double[] mask) {
    int b = shape.b();
    double[] advantages = new double[shape.size()];
    if (config.advantage().equals("gae")) {
      double[] returns = new double[shape.size()];
      new Gae(config.gamma(), config.lambda()).compute(advantages, returns, shape, rewards,
          valuesOld, mask);
      Whitening.whiten(advantages, advantages, mask, true);
      return new Advantages(advantages, returns);
    }
    boolean pure = klInLoss(config);
    double[] sequenceRewards = new double[b];
    for (int i = 0; i < b; i++) {
      sequenceRewards[i] = pure ? scores[i] : scores[i] + nonScore[i];
    }
    double[] rowAdvantages = new double[b];
    if (config.advantage().equals("grpo")) {
      GroupAdvantages.grpo(rowAdvantages, sequenceRewards, config.groupSize(),
          GroupAdvantages.Scale.valueOf(config.grpo().scaleRewards().toUpperCase(Locale.ROOT)),
          GroupAdvantages.Spread.SAMPLE, 1e-4);
    } else {
      GroupAdvantages.rloo(rowAdvantages, sequenceRewards, config.groupSize());
    }
    GroupAdvantages.broadcast(advantages, shape, rowAdvantages, mask);
    return new Advantages(advantages, null);
  }

  /**
   * @param policy the policy's trainable tensors ({@code gpt.trainable(params)}: with LoRA a
   *     view of its heads and adapters), which the gradients and the optimizer cover
   * @param critic the separate critic's trainable tensors, or null without one
   */
  public PpoUpdate(PpoObjective objective, ParameterStore policy, OptimizerStep policyOptimizer,
      ParameterStore critic, OptimizerStep criticOptimizer) {
    this.objective = objective;
    this.policy = policy;
    this.policyOptimizer = policyOptimizer;
    this.policyGrads = policy.zerosLike();
    this.critic = critic;
    this.criticOptimizer = criticOptimizer;
    this.criticGrads = critic == null ? null : critic.zerosLike();
  }

  /**
   * With {@code threads} > 0, runs the separate critic's backward and optimizer step on {@link
   * CriticThread} with that many tensor threads while the policy's run on the calling thread (the
   * same numbers: the two share nothing); with 0, after the policy's.
   */
  public void criticAlongside(int threads) {
    this.criticThreads = threads;
  }

  /** The policy's optimizer. */
  public OptimizerStep policyOptimizer() {
    return policyOptimizer;
  }

  /** The separate critic's optimizer, or null without one. */
  public OptimizerStep criticOptimizer() {
    return criticOptimizer;
  }

  /**
   * Applies the objective on {@code batch} (laid out (b, t) over the responses of {@code mb}) as
   * update number {@code step}. {@code criticEval} is the separate critic's evaluation or null;
   * with {@code valueHead} the values come from {@code policyEval}.
   */
  public PpoObjective.Result apply(PpoObjective.Batch batch, ResponseBatch mb,
      PolicyEvaluation policyEval, PolicyEvaluation criticEval, boolean valueHead, long step) {
    int n = batch.shape().size();
    int t = batch.shape().t();
    boolean entropy = batch.entropy() != null;
    double[] dLogp = new double[n];
    double[] dValues = batch.hasValues() ? new double[n] : null;
    double[] dEntropy = entropy ? new double[n] : null;
    PpoObjective.Result r = objective.forwardBackward(dLogp, dValues, dEntropy, batch);
    Runnable criticStep = criticEval == null ? null : () -> {
      criticGrads.zero();
      criticEval.backward(criticGrads, null, null, mb.fromResponseLayout(dValues, t));
      criticOptimizer.apply(critic, criticGrads, r.valueLoss(), step);
    };
    CompletableFuture<Void> criticRun = criticStep != null && criticThreads > 0
        ? CriticThread.start(criticThreads, () -> {
          criticStep.run();
          return null;
        }) : null;
    try {
      policyGrads.zero();
      policyEval.backward(policyGrads, mb.fromResponseLayout(dLogp, t),
          entropy ? mb.fromResponseLayout(dEntropy, t) : null,
          valueHead ? mb.fromResponseLayout(dValues, t) : null);
      policyOptimizer.apply(policy, policyGrads, r.loss(), step);
    } catch (RuntimeException | Error e) {
      if (criticRun != null) {
        CriticThread.await(criticRun); // never leave the critic's step running past this update
      }
      throw e;
    }
    if (criticRun != null) {
      CriticThread.join(criticRun);
    } else if (criticStep != null) {
      criticStep.run();
    }
    return r;
  }
}
