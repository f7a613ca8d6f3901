package org.rlhf4j.learner;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
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
  private final Gpt referenceGpt; // with LoRA, the policy's base: adapters off
  private final ParameterStore grads;
  private final ParameterStore trainable; // what the optimizer updates: a view of policy
  private final OptimizerStep optimizer;
  private final DpoObjective objective;
  private final int maxLength;
  private final int padId;
  private final Map<PreferencePair, double[]> referenceCache; // null: computed live
  private final double rpoAlpha;
  private final ShardedGradient sharded;
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
    this(gpt, policy, reference, optimizer, objective, maxLength, padId, precomputeReference,
        rpoAlpha, 1, 1);
  }

  /** As above, each batch's passes in {@code shards} shards on their own threads. */
  public DpoTrainer(Gpt gpt, ParameterStore policy, ParameterStore reference,
      OptimizerStep optimizer, DpoObjective objective, int maxLength, int padId,
      boolean precomputeReference, double rpoAlpha, int shards, int threadsPerModel) {
    if (!(rpoAlpha >= 0) || Double.isInfinite(rpoAlpha)) {
      throw new IllegalArgumentException("rpo alpha must be a finite number >= 0, got "
          + rpoAlpha);
    }
    this.rpoAlpha = rpoAlpha;
    this.gpt = gpt; // no adapter dropout, as TRL's DPO (disable_dropout)
    this.referenceGpt = gpt.withoutAdapters();
    this.policy = policy;
    this.reference = reference;
    this.trainable = gpt.trainable(policy);
    this.grads = trainable.zerosLike(); // with LoRA: the adapters only
    this.optimizer = optimizer;
    this.objective = objective;
    this.maxLength = Math.min(maxLength, gpt.config().contextLength());
    this.padId = padId;
    this.referenceCache = precomputeReference ? new IdentityHashMap<>() : null;
    this.sharded = new ShardedGradient(grads, shards, threadsPerModel);
  }

  /** One update on {@code pairs}; returns the loss and TRL's rewards/ and logps/ metrics. */
  public Map<String, Double> step(List<PreferencePair> pairs, long step) {
    DpoObjective.Result r = gradients(pairs, grads);
    OptimizerStep.Outcome outcome = optimizer.apply(trainable, grads, r.loss(), step);
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

  /** One shard's forward passes: its pairs' batch, the policy's pass and both models' log-probs. */
  private record ShardPass(List<PreferencePair> pairs, ResponseBatch batch,
      PolicyEvaluation eval, double[] policyLogps, double[] referenceLogps,
      boolean referenceComputed) {}

  /**
   * The objective on {@code pairs}, with its gradient written into {@code out} (zeroed first).
   * The pairs' forward passes run in shards, the objective on the whole batch (RPO's NLL is a
   * mean over all its chosen tokens), then each shard's backward pass.
   */
  DpoObjective.Result gradients(List<PreferencePair> pairs, ParameterStore out) {
    boolean average = objective.lossType().usesTokenAveragedLogProbs();
    List<Supplier<ShardPass>> forwards = new ArrayList<>();
    for (List<PreferencePair> part : sharded.split(pairs)) {
      forwards.add(() -> forward(part, average));
    }
    List<ShardPass> passes = sharded.map(forwards);
    int p = pairs.size();
    double[][] logps = new double[4][p]; // policy chosen, rejected; reference chosen, rejected
    double[] chosenLengths = new double[p];
    int at = 0;
    for (ShardPass pass : passes) {
      int n = pass.pairs().size();
      for (int i = 0; i < n; i++) {
        logps[0][at + i] = pass.policyLogps()[i];
        logps[1][at + i] = pass.policyLogps()[n + i];
        logps[2][at + i] = pass.referenceLogps()[i];
        logps[3][at + i] = pass.referenceLogps()[n + i];
        chosenLengths[at + i] = Math.max(1, pass.batch().responseLength(i));
        if (pass.referenceComputed() && referenceCache != null) {
          referenceCache.put(pass.pairs().get(i),
              new double[] {pass.referenceLogps()[i], pass.referenceLogps()[n + i]});
        }
      }
      at += n;
    }
    DpoObjective.Result r = objective.evaluate(logps[0], logps[1], logps[2], logps[3]);
    double[] gradChosen = r.gradPolicyChosen().clone();
    if (rpoAlpha > 0) {
      r = withNll(r, logps[0], chosenLengths, gradChosen, average);
    }
    out.zero();
    List<Function<ParameterStore, Void>> backwards = new ArrayList<>();
    at = 0;
    for (ShardPass pass : passes) {
      int n = pass.pairs().size();
      double[] perSequence = new double[2 * n];
      System.arraycopy(gradChosen, at, perSequence, 0, n);
      System.arraycopy(r.gradPolicyRejected(), at, perSequence, n, n);
      at += n;
      backwards.add(g -> {
        pass.eval().backward(g, pass.batch().perRowGradient(perSequence, average), null, null);
        pass.eval().close();
        return null;
      });
    }
    sharded.run(out, backwards);
    return r;
  }

  /** {@code pairs}' forward passes: the policy's, and the reference's unless cached. */
  private ShardPass forward(List<PreferencePair> pairs, boolean average) {
    ResponseBatch batch = batchOf(pairs); // chosen responses first, then rejected
    PolicyEvaluation eval = PolicyEvaluation.of(gpt, policy, batch.tokens(), batch.targets(), 1.0,
        false, false);
    double[] policyLogps = batch.perSequence(eval.logprobs(), average); // (2P)
    double[] cached = cachedReference(pairs);
    double[] referenceLogps = cached != null ? cached : batch.perSequence(
        PolicyEvaluation.logprobsOf(referenceGpt, reference, batch.tokens(), batch.targets(), 1.0),
        average);
    return new ShardPass(pairs, batch, eval, policyLogps, referenceLogps, cached == null);
  }

  /**
   * Adds α · NLL to the loss and its gradient to {@code gradChosen}: NLL = −(Σ logπ over every
   * chosen token) / (chosen tokens in the batch), so each chosen token's log-prob has gradient
   * −α / tokens; with averaged log-probs a sequence's gradient is that times its length.
   */
  private DpoObjective.Result withNll(DpoObjective.Result r, double[] policyChosen,
      double[] chosenLengths, double[] gradChosen, boolean average) {
    double tokens = 0;
    double logpSum = 0;
    for (int i = 0; i < policyChosen.length; i++) {
      tokens += chosenLengths[i];
      logpSum += average ? policyChosen[i] * chosenLengths[i] : policyChosen[i];
    }
    lastNll = -logpSum / tokens;
    for (int i = 0; i < gradChosen.length; i++) {
      gradChosen[i] -= rpoAlpha / tokens * (average ? chosenLengths[i] : 1);
    }
    return new DpoObjective.Result(r.loss() + rpoAlpha * lastNll, r.gradPolicyChosen(),
        r.gradPolicyRejected(), r.metrics());
  }

  /**
   * (2P) reference log-probs of {@code pairs}, chosen first, when every pair is in the cache;
   * null otherwise. Only read here, from any shard's thread; written by the caller between
   * batches.
   */
  private double[] cachedReference(List<PreferencePair> pairs) {
    if (referenceCache == null || !pairs.stream().allMatch(referenceCache::containsKey)) {
      return null;
    }
    int p = pairs.size();
    double[] out = new double[2 * p];
    for (int i = 0; i < p; i++) {
      double[] both = referenceCache.get(pairs.get(i));
      out[i] = both[0];
      out[p + i] = both[1];
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
