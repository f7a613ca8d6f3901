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
 * token log-probs, or means for the losses that want them (IPO), as TRL does.
 */
public final class DpoTrainer {
  public static final String LOSS = "train/loss";

  private final Gpt gpt;
  private final ParameterStore policy;
  private final ParameterStore reference;
  private final ParameterStore grads;
  private final OptimizerStep optimizer;
  private final DpoObjective objective;
  private final int maxLength;
  private final int padId;
  private final java.util.Map<PreferencePair, double[]> referenceCache; // null: computed live

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
    out.zero();
    eval.backward(out, batch.perRowGradient(perSequence, average), null, null);
    return r;
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
