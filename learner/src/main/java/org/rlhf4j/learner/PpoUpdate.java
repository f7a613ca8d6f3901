package org.rlhf4j.learner;

import org.rlhf4j.config.PpoConfig;
import org.rlhf4j.learner.rl.PpoObjective;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.PolicyEvaluation;

/**
 * One PPO gradient step on a minibatch: the objective's gradients with respect to log-probs,
 * entropies and values carried back through the policy (and the separate critic, if any), then
 * the optimizers. Shared by the synchronous {@link PpoTrainer} and the asynchronous learner;
 * the gradient stores are allocated once.
 */
public final class PpoUpdate {
  private final PpoObjective objective;
  private final ParameterStore policy;
  private final OptimizerStep policyOptimizer;
  private final ParameterStore policyGrads;
  private final ParameterStore critic; // null unless a separate critic
  private final OptimizerStep criticOptimizer;
  private final ParameterStore criticGrads;

  /** The objective {@code rlhf4j.ppo} describes; critic-free advantages carry no value loss. */
  public static PpoObjective objective(PpoConfig config) {
    boolean critic = config.advantage().equals("gae");
    return new PpoObjective(new PpoObjective.Settings(config.cliprange(), config.cliprangeValue(),
        critic ? config.vfCoef() : 0.0, config.entropyCoef(), config.decoupled(),
        config.decoupled() ? config.importanceCap() : Double.POSITIVE_INFINITY));
  }

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
    policyGrads.zero();
    policyEval.backward(policyGrads, mb.fromResponseLayout(dLogp, t),
        entropy ? mb.fromResponseLayout(dEntropy, t) : null,
        valueHead ? mb.fromResponseLayout(dValues, t) : null);
    policyOptimizer.apply(policy, policyGrads, r.loss(), step);
    if (criticEval != null) {
      criticGrads.zero();
      criticEval.backward(criticGrads, null, null, mb.fromResponseLayout(dValues, t));
      criticOptimizer.apply(critic, criticGrads, r.valueLoss(), step);
    }
    return r;
  }
}
