package org.rlhf4j.learner;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.rlhf4j.config.PpoConfig;
import org.rlhf4j.learner.rl.BatchShape;
import org.rlhf4j.learner.rl.KlController;
import org.rlhf4j.learner.rl.KlEstimator;
import org.rlhf4j.learner.rl.PpoMetrics;
import org.rlhf4j.learner.rl.PpoObjective;
import org.rlhf4j.learner.rl.TokenRewards;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.PolicyEvaluation;
import org.rlhf4j.rollout.FinishReason;
import org.rlhf4j.rollout.GenerationEngine;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.rollout.Response;
import org.rlhf4j.rollout.SamplingSettings;

/**
 * Synchronous PPO for RLHF (Ouyang et al. 2022; TRL's PPOTrainer): sample responses from the
 * current policy, score them with the frozen reward model, penalise per-token KL to the frozen
 * reference, estimate advantages (GAE with a critic, or GRPO/RLOO over groups of responses), then
 * several epochs of clipped PPO updates over minibatches. One {@link #iteration} is one batch.
 */
public final class PpoTrainer {
  /** The models PPO needs; {@code critic} is null for critic-free advantages or a value-head critic. */
  public record Models(Gpt policyModel, ParameterStore policy, ParameterStore reference,
      Gpt rewardModel, ParameterStore reward, Gpt criticModel, ParameterStore critic) {}

  private final Models m;
  private final PpoConfig config;
  private final GenerationEngine engine;
  private final StepBatches<int[]> prompts;
  private final KlController kl;
  private final TokenRewards tokenRewards;
  private final PpoUpdate step;
  private final int eosId;
  private final int padId;
  private final boolean valueHead;
  private final long seed;
  private long updates;

  public PpoTrainer(Models models, PpoConfig config, OptimizerStep policyOptimizer,
      OptimizerStep criticOptimizer, List<int[]> prompts, long seed, int eosId, int padId) {
    this.m = models;
    this.config = config;
    this.engine = new GenerationEngine(seed, padId);
    this.seed = seed;
    int promptsPerBatch = grouped() ? config.batchSize() / config.groupSize() : config.batchSize();
    this.prompts = new StepBatches<>(prompts, Math.max(1, promptsPerBatch), seed);
    this.kl = config.adaptiveKl()
        ? KlController.adaptive(config.klCoef(), config.targetKl(), config.klHorizon())
        : KlController.fixed(config.klCoef());
    this.tokenRewards = new TokenRewards(KlEstimator.valueOf(config.klEstimator()
        .toUpperCase(java.util.Locale.ROOT)), config.missingEosPenalty(), config.whitenRewards());
    boolean hasCritic = !grouped();
    this.step = new PpoUpdate(PpoUpdate.objective(config), models.policy(), policyOptimizer,
        models.critic(), criticOptimizer);
    this.eosId = eosId;
    this.padId = padId;
    this.valueHead = hasCritic && models.critic() == null;
  }

  private boolean grouped() {
    return !config.advantage().equals("gae");
  }

  /** Current KL coefficient (it moves under the adaptive controller). */
  public double klCoef() {
    return kl.value();
  }

  /** What a checkpoint must keep beyond the weights: the KL coefficient and the update count. */
  public Map<String, String> state() {
    return Map.of("kl_coef", Double.toString(kl.value()), "updates", Long.toString(updates));
  }

  /** Puts back what {@link #state()} returned. */
  public void restoreState(Map<String, String> state) {
    kl.reset(Double.parseDouble(state.get("kl_coef")));
    updates = Long.parseLong(state.get("updates"));
  }

  /** One PPO iteration: rollouts, scores, advantages, then epochs of minibatch updates. */
  public Map<String, Double> iteration(long it) {
    engine.reseed(seed * 1_000_003L + it);
    // 1. rollouts from the current policy
    List<int[]> promptIds = new ArrayList<>();
    for (int[] p : prompts.of(it)) {
      for (int g = 0; g < (grouped() ? config.groupSize() : 1); g++) {
        promptIds.add(p);
      }
    }
    SamplingSettings sampling = new SamplingSettings(config.temperature(), 0, 1.0, false,
        config.responseLength(), new int[] {eosId});
    List<Response> responses = engine.generate(new PolicySnapshot(m.policyModel(), m.policy(), it),
        promptIds, sampling);
    List<int[]> responseIds = responses.stream().map(Response::responseIds).toList();
    int maxLength = m.policyModel().config().contextLength();
    ResponseBatch batch = ResponseBatch.of(promptIds, responseIds, maxLength, padId);
    int b = responses.size();
    int t = config.responseLength();
    BatchShape shape = new BatchShape(b, t);
    double[] mask = batch.responseMask(t);

    // 2. behaviour, reference log-probs, scores and old values
    double[] logpOld = new double[b * t];
    boolean[] endedWithEos = new boolean[b];
    for (int i = 0; i < b; i++) {
      float[] lp = responses.get(i).logprobs();
      for (int k = 0; k < Math.min(lp.length, batch.responseLength(i)); k++) {
        logpOld[i * t + k] = lp[k];
      }
      endedWithEos[i] = responses.get(i).finishReason() == FinishReason.STOP_TOKEN;
    }
    double[] logpRef = batch.toResponseLayout(PolicyEvaluation.of(m.policyModel(), m.reference(),
        batch.tokens(), batch.targets(), config.temperature(), false, false).logprobs(), t);
    double[] scores = RewardTrainer.score(m.rewardModel(), m.reward(), promptIds, responseIds,
        m.rewardModel().config().contextLength(), padId, b);
    double[] valuesOld = grouped() ? null : batch.toResponseLayout(criticEvaluation(batch).values(), t);

    // 3. per-token rewards with the KL penalty, then advantages
    double[] rewards = new double[b * t];
    double[] nonScore = new double[b];
    TokenRewards.Totals totals = tokenRewards.compute(rewards, nonScore, shape, logpOld, logpRef,
        scores, endedWithEos, mask, kl.value());
    PpoUpdate.Advantages estimated = PpoUpdate.advantages(config, shape, rewards, nonScore, scores,
        valuesOld, mask);
    double[] advantages = estimated.advantages();
    double[] returns = estimated.returns();

    // 4. epochs × minibatches of PPO updates
    Map<String, Double> metrics = new LinkedHashMap<>();
    PpoObjective.Result last = null;
    int perMinibatch = b / config.minibatches();
    outer:
    for (int epoch = 0; epoch < config.epochs(); epoch++) {
      for (int mb = 0; mb < config.minibatches(); mb++) {
        last = update(mb * perMinibatch, (mb + 1) * perMinibatch, promptIds, responseIds, t,
            logpOld, advantages, valuesOld, returns, mask);
        if (config.earlyStopKl() > 0 && last.approxKl() > config.earlyStopKl()) {
          metrics.put("policy/early_stop_epoch", (double) epoch);
          break outer;
        }
      }
    }
    kl.update(totals.kl(), b);

    // 5. metrics, TRL's names
    metrics.put(PpoMetrics.OBJECTIVE_KL, totals.kl());
    metrics.put(PpoMetrics.OBJECTIVE_SCORES, totals.score());
    metrics.put(PpoMetrics.OBJECTIVE_NON_SCORE_REWARD, totals.nonScoreReward());
    metrics.put(PpoMetrics.OBJECTIVE_RLHF_REWARD, totals.rlhfReward());
    metrics.putAll(last.metrics());
    metrics.putIfAbsent(PpoMetrics.OBJECTIVE_ENTROPY, PpoMetrics.sampledEntropy(logpOld, mask));
    metrics.put(PpoMetrics.OBJECTIVE_KL_COEF, kl.value());
    double eos = 0;
    double length = 0;
    for (int i = 0; i < b; i++) {
      eos += endedWithEos[i] ? 1 : 0;
      length += responses.get(i).responseIds().length;
    }
    metrics.put("val/num_eos_tokens", eos);
    metrics.put("val/response_length", length / b);
    return metrics;
  }

  private PpoObjective.Result update(int from, int to, List<int[]> promptIds,
      List<int[]> responseIds, int t, double[] logpOld, double[] advantages, double[] valuesOld,
      double[] returns, double[] mask) {
    int b = to - from;
    ResponseBatch mb = ResponseBatch.of(promptIds.subList(from, to), responseIds.subList(from, to),
        m.policyModel().config().contextLength(), padId);
    BatchShape shape = new BatchShape(b, t);
    boolean entropy = config.entropyCoef() > 0;
    PolicyEvaluation policyEval = PolicyEvaluation.of(m.policyModel(), m.policy(), mb.tokens(),
        mb.targets(), config.temperature(), entropy, valueHead);
    PolicyEvaluation criticEval = grouped() || valueHead ? null : criticEvaluation(mb);
    double[] values = grouped() ? null : mb.toResponseLayout(
        (valueHead ? policyEval : criticEval).values(), t);
    int lo = from * t;
    int hi = to * t;
    PpoObjective.Batch batch = new PpoObjective.Batch(shape,
        mb.toResponseLayout(policyEval.logprobs(), t), slice(logpOld, lo, hi),
        // synchronous rollouts come from the policy being trained: proximal = behaviour
        config.decoupled() ? slice(logpOld, lo, hi) : null,
        slice(advantages, lo, hi), values, grouped() ? null : slice(valuesOld, lo, hi),
        grouped() ? null : slice(returns, lo, hi),
        entropy ? mb.toResponseLayout(policyEval.entropies(), t) : null, slice(mask, lo, hi));
    return step.apply(batch, mb, policyEval, criticEval, valueHead, updates++);
  }

  private PolicyEvaluation criticEvaluation(ResponseBatch batch) {
    return valueHead
        ? PolicyEvaluation.of(m.policyModel(), m.policy(), batch.tokens(), batch.targets(), 1.0,
            false, true)
        : PolicyEvaluation.of(m.criticModel(), m.critic(), batch.tokens(), batch.targets(), 1.0,
            false, true);
  }

  private static double[] slice(double[] a, int from, int to) {
    return java.util.Arrays.copyOfRange(a, from, to);
  }
}
