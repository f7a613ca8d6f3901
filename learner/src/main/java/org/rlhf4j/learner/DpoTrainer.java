package org.rlhf4j.learner;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.rlhf4j.learner.preference.DpoObjective;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.PolicyEvaluation;

/**
 * Direct Preference Optimization (Rafailov et al., 2023) and its family: the policy's and the
 * frozen reference's sequence log-probs of the chosen and rejected responses go into a
 * {@link DpoObjective}; its gradient flows back through the policy's response tokens. Sums of
 * token log-probs, or means for the losses that want them (IPO), as TRL does. With
 * {@code rpoAlpha} &gt; 0 the loss adds α times the mean negative log-likelihood of the chosen
 * responses' tokens (RPO, Pang et al. 2024; TRL's {@code rpo_alpha}): a preference loss lowers
 * the likelihood of both responses, and the mass it frees can drift to tokens the model never saw,
 * which the NLL term holds back.
 */
public final class DpoTrainer {
  public static final String LOSS = "train/loss";
  /** The mean NLL of the chosen tokens, logged when RPO's term is on (TRL's {@code nll_loss}). */
  public static final String NLL_LOSS = "train/nll_loss";

  private final Gpt gpt;
  private final ParameterStore policy;
  private final ParameterStore reference;
  private final ParameterStore grads;
  private final OptimizerStep optimizer;
  private final DpoObjective objective;
  private final int maxLength;
  private final int padId;
  private final java.util.Map<PreferencePair, double[]> referenceCache; // null: computed live
  private final double rpoAlpha;
  private double lastNll = Double.NaN;

  /** {@code reference} is only read; pass a frozen copy. Reference log-probs computed live. */
  public DpoTrainer(Gpt gpt, ParameterStore policy, ParameterStore reference,
      OptimizerStep optimizer, DpoObjective objective, int maxLength, int padId) {
    this(gpt, policy, reference, optimizer, objective, maxLength, padId, false);
  }

  /**
   * With {@code precomputeReference}, each pair's reference log-probs are computed once and kept
   * (TRL's precompute_ref_log_probs): exact, since the reference never changes.
   */
  public DpoTrainer(Gpt gpt, ParameterStore policy, ParameterStore reference,
      OptimizerStep optimizer, DpoObjective objective, int maxLength, int padId,
      boolean precomputeReference) {
    this(gpt, policy, reference, optimizer, objective, maxLength, padId, precomputeReference, 0);
  }

  /** As above, with RPO's NLL term weighted by {@code rpoAlpha} (0 for plain DPO). */
  public DpoTrainer(Gpt gpt, ParameterStore policy, ParameterStore reference,
      OptimizerStep optimizer, DpoObjective objective, int maxLength, int padId,
      boolean precomputeReference, double rpoAlpha) {
    if (!(rpoAlpha >= 0) || Double.isInfinite(rpoAlpha)) {
      throw new IllegalArgumentException("rpo alpha must be a finite number >= 0, got "
          + rpoAlpha);
    }
    this.rpoAlpha = rpoAlpha;
    this.gpt = gpt;
    this.policy = policy;
    this.reference = reference;
    this.grads = policy.zerosLike();
    this.optimizer = optimizer;
    this.objective = objective;
    this.maxLength = Math.min(maxLength, gpt.config().contextLength());
    this.padId = padId;
    this.referenceCache = precomputeReference ? new java.util.IdentityHashMap<>() : null;
  }

  /** One update on {@code pairs}; returns the loss and TRL's rewards/ and logps/ metrics. */
  public Map<String, Double> step(List<PreferencePair> pairs, long step) {
    DpoObjective.Result r = gradients(pairs, grads);
    OptimizerStep.Outcome outcome = optimizer.apply(policy, grads, r.loss(), step);
    Map<String, Double> m = new LinkedHashMap<>();
    m.put(LOSS, r.loss());
    m.putAll(r.metrics().asMap());
    if (rpoAlpha > 0) {
      m.put(NLL_LOSS, lastNll);
    }
    m.put(SftTrainer.LEARNING_RATE, outcome.learningRate());
    m.put(SftTrainer.GRAD_NORM, outcome.gradNorm());
    return m;
  }

  /** The objective on {@code pairs}, with its gradient written into {@code out} (zeroed first). */
  DpoObjective.Result gradients(List<PreferencePair> pairs, ParameterStore out) {
    // chosen responses first, then rejected: one forward pass for both
    ResponseBatch batch = batchOf(pairs);
    boolean average = objective.lossType().usesTokenAveragedLogProbs();
    int p = pairs.size();
    PolicyEvaluation eval = PolicyEvaluation.of(gpt, policy, batch.tokens(), batch.targets(), 1.0,
        false, false);
    double[] policyLogps = batch.perSequence(eval.logprobs(), average); // (2P)
    double[] referenceLogps = referenceLogps(pairs, batch, average);
    DpoObjective.Result r = objective.evaluate(
        java.util.Arrays.copyOfRange(policyLogps, 0, p),
        java.util.Arrays.copyOfRange(policyLogps, p, 2 * p),
        java.util.Arrays.copyOfRange(referenceLogps, 0, p),
        java.util.Arrays.copyOfRange(referenceLogps, p, 2 * p));
    double[] perSequence = new double[2 * p];
    System.arraycopy(r.gradPolicyChosen(), 0, perSequence, 0, p);
    System.arraycopy(r.gradPolicyRejected(), 0, perSequence, p, p);
    if (rpoAlpha > 0) {
      r = withNll(r, batch, policyLogps, perSequence, average);
    }
    out.zero();
    eval.backward(out, batch.perRowGradient(perSequence, average), null, null);
    return r;
  }

  /**
   * Adds α · NLL to the loss and its gradient to {@code perSequence}: NLL = −(Σ logπ over every
   * chosen token) / (chosen tokens in the batch), so each chosen token's log-prob has gradient
   * −α / tokens; with averaged log-probs a sequence's gradient is that times its length.
   */
  private DpoObjective.Result withNll(DpoObjective.Result r, ResponseBatch batch,
      double[] policyLogps, double[] perSequence, boolean average) {
    int p = perSequence.length / 2;
    double tokens = 0;
    double logpSum = 0;
    for (int i = 0; i < p; i++) {
      int n = Math.max(1, batch.responseLength(i));
      tokens += n;
      logpSum += average ? policyLogps[i] * n : policyLogps[i];
    }
    lastNll = -logpSum / tokens;
    for (int i = 0; i < p; i++) {
      perSequence[i] -= rpoAlpha / tokens * (average ? Math.max(1, batch.responseLength(i)) : 1);
    }
    return new DpoObjective.Result(r.loss() + rpoAlpha * lastNll, r.gradPolicyChosen(),
        r.gradPolicyRejected(), r.metrics());
  }

  /** (2P) reference log-probs, chosen first: from the cache where every pair is in it. */
  private double[] referenceLogps(List<PreferencePair> pairs, ResponseBatch batch,
      boolean average) {
    int p = pairs.size();
    boolean cached = referenceCache != null && pairs.stream().allMatch(referenceCache::containsKey);
    double[] out = new double[2 * p];
    if (cached) {
      for (int i = 0; i < p; i++) {
        double[] both = referenceCache.get(pairs.get(i));
        out[i] = both[0];
        out[p + i] = both[1];
      }
      return out;
    }
    out = batch.perSequence(PolicyEvaluation.of(gpt, reference, batch.tokens(), batch.targets(),
        1.0, false, false).logprobs(), average);
    if (referenceCache != null) {
      for (int i = 0; i < p; i++) {
        referenceCache.put(pairs.get(i), new double[] {out[i], out[p + i]});
      }
    }
    return out;
  }

  private ResponseBatch batchOf(List<PreferencePair> pairs) {
    List<int[]> prompts = new ArrayList<>();
    List<int[]> responses = new ArrayList<>();
    for (PreferencePair pair : pairs) {
      prompts.add(pair.prompt());
      responses.add(pair.chosen());
    }
    for (PreferencePair pair : pairs) {
      prompts.add(pair.prompt());
      responses.add(pair.rejected());
    }
    return ResponseBatch.of(prompts, responses, maxLength, padId);
  }
}
