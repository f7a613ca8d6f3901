package org.rlhf4j.learner.rl;

import java.util.LinkedHashMap;
import java.util.Map;

/** The clipped PPO loss (Schulman et al. 2017, as TRL) and its gradient, optionally decoupled. */
public final class PpoObjective {
  private final Settings settings;

  /**
   * The objective's settings, validated on construction.
   *
   * @param clipRange ε, TRL's {@code cliprange}, in (0, 1)
   * @param clipRangeValue εv, TRL's {@code cliprange_value}, positive; infinity: unclipped values
   * @param vfCoef weight of the value loss, ≥ 0
   * @param entCoef weight of the entropy bonus, ≥ 0
   * @param decoupled AReaL's decoupled objective for stale rollouts instead of the standard one
   * @param behaviourWeightCap truncation of π_prox/π_behaviour, ≥ 1 (infinity: none); used only
   *     when decoupled
   */
  public record Settings(double clipRange, double clipRangeValue, double vfCoef, double entCoef,
      boolean decoupled, double behaviourWeightCap) {

    /** Checks every field, naming the one that is out of range. */
    public Settings {
      if (!(clipRange > 0 && clipRange < 1)) {
        throw new IllegalArgumentException("PPO clip range must be in (0, 1), got " + clipRange);
      }
      if (!(clipRangeValue > 0)) {
        throw new IllegalArgumentException(
            "PPO value clip range must be positive (infinity: no clipping), got " + clipRangeValue);
      }
      if (!(vfCoef >= 0) || Double.isInfinite(vfCoef)) {
        throw new IllegalArgumentException("vf_coef must be finite and >= 0, got " + vfCoef);
      }
      if (!(entCoef >= 0) || Double.isInfinite(entCoef)) {
        throw new IllegalArgumentException("entropy coefficient must be finite and >= 0, got "
            + entCoef);
      }
      if (!(behaviourWeightCap >= 1)) {
        throw new IllegalArgumentException(
            "behaviour importance-weight cap must be >= 1 (infinity: no cap), got "
                + behaviourWeightCap);
      }
    }

    /** The standard (coupled) objective, as TRL's PPO trainer. */
    public static Settings standard(double clipRange, double clipRangeValue, double vfCoef,
        double entCoef) {
      return new Settings(clipRange, clipRangeValue, vfCoef, entCoef, false,
          Double.POSITIVE_INFINITY);
    }
  }

  /**
   * One (mini)batch, read and never copied or written.
   *
   * <p>{@code logpProx} is given exactly when the objective is decoupled; {@code values},
   * {@code valuesOld} and {@code returns} together or not at all (critic-free GRPO/RLOO, with
   * vf_coef 0); {@code entropy} is optional; {@code logpRef} adds the KL to the reference to the
   * loss (GRPO as TRL has it), else {@code klCoef} is 0.
   *
   * @param logp log-probs of the sampled tokens under the policy being trained (B·T)
   * @param logpOld behaviour log-probs, from the policy that sampled the tokens (B·T)
   * @param logpProx proximal-policy log-probs (B·T) or null
   * @param advantages (B·T)
   * @param values the critic's current values (B·T) or null
   * @param valuesOld the critic's values at rollout time, the centre of the value clip (B·T)
   * @param returns value targets, e.g. from {@link Gae} (B·T)
   * @param entropy policy entropy per token (B·T) or null
   * @param mask 1 for a real response token, 0 for padding (B·T)
   * @param logpRef log-probs of the sampled tokens under the reference π_ref (B·T) or null
   * @param klCoef β of the KL term, finite and ≥ 0: a batch field because the adaptive controller
   *     moves it between rounds
   */
  public record Batch(BatchShape shape, double[] logp, double[] logpOld, double[] logpProx,
      double[] advantages, double[] values, double[] valuesOld, double[] returns, double[] entropy,
      double[] mask, double[] logpRef, double klCoef) {

    /** Checks presence and lengths; the mask's contents are checked when the loss is computed. */
    public Batch {
      if (shape == null) {
        throw new IllegalArgumentException("PPO batch shape must not be null");
      }
      shape.requireTokens("logp", logp);
      shape.requireTokens("logpOld", logpOld);
      shape.requireTokens("advantages", advantages);
      shape.requireTokens("mask", mask);
      if (logpProx != null) {
        shape.requireTokens("logpProx", logpProx);
      }
      if (entropy != null) {
        shape.requireTokens("entropy", entropy);
      }
      boolean anyValue = values != null || valuesOld != null || returns != null;
      if (anyValue) {
        shape.requireTokens("values", values);
        shape.requireTokens("valuesOld", valuesOld);
        shape.requireTokens("returns", returns);
      }
      if (logpRef != null) {
        shape.requireTokens("logpRef", logpRef);
      }
      if (!(klCoef >= 0) || Double.isInfinite(klCoef)) {
        throw new IllegalArgumentException("KL coefficient must be finite and >= 0, got "
            + klCoef);
      }
      if (logpRef == null && klCoef != 0) {
        throw new IllegalArgumentException("KL coefficient is " + klCoef
            + " but the batch has no reference log-probs");
      }
    }

    /** A batch without the KL term. */
    public Batch(BatchShape shape, double[] logp, double[] logpOld, double[] logpProx,
        double[] advantages, double[] values, double[] valuesOld, double[] returns,
        double[] entropy, double[] mask) {
      this(shape, logp, logpOld, logpProx, advantages, values, valuesOld, returns, entropy, mask,
          null, 0.0);
    }

    /** Whether the batch carries a critic's values. */
    public boolean hasValues() {
      return values != null;
    }
  }

  /**
   * The loss and the statistics of one call, means over real tokens.
   *
   * <p>{@code NaN} marks what the batch or settings did not have: value parts without values,
   * entropy without entropies, behaviour weights when not decoupled, the KL term without
   * reference log-probs.
   *
   * @param loss the total, {@link PpoMetrics#LOSS_TOTAL}
   * @param policyLoss {@link PpoMetrics#LOSS_POLICY_AVG}
   * @param valueLoss {@link PpoMetrics#LOSS_VALUE_AVG}, before vf_coef
   * @param entropy {@link PpoMetrics#OBJECTIVE_ENTROPY}
   * @param approxKl {@code 0.5·mean((logp − logp_anchor)²)}, the anchor being logp_old, or
   *     logp_prox when decoupled: {@link PpoMetrics#POLICY_APPROXKL_AVG}
   * @param clipFrac {@link PpoMetrics#POLICY_CLIPFRAC_AVG}
   * @param valueClipFrac {@link PpoMetrics#VAL_CLIPFRAC_AVG}
   * @param ratioMean mean ρ, {@link PpoMetrics#VAL_RATIO}
   * @param behaviourWeightMean mean truncated w, {@link PpoMetrics#POLICY_BEHAVIOUR_WEIGHT_AVG}
   * @param behaviourWeightCappedFrac {@link PpoMetrics#POLICY_BEHAVIOUR_WEIGHT_CAPPED_FRAC}
   * @param referenceKl mean k3 to the reference, before β: {@link PpoMetrics#LOSS_KL_AVG}
   */
  public record Result(double loss, double policyLoss, double valueLoss, double entropy,
      double approxKl, double clipFrac, double valueClipFrac, double ratioMean,
      double behaviourWeightMean, double behaviourWeightCappedFrac, double referenceKl) {

    /** The statistics under their {@link PpoMetrics} names, leaving out the {@code NaN} ones. */
    public Map<String, Double> metrics() {
      Map<String, Double> m = new LinkedHashMap<>();
      put(m, PpoMetrics.LOSS_TOTAL, loss);
      put(m, PpoMetrics.LOSS_POLICY_AVG, policyLoss);
      put(m, PpoMetrics.LOSS_VALUE_AVG, valueLoss);
      put(m, PpoMetrics.OBJECTIVE_ENTROPY, entropy);
      put(m, PpoMetrics.POLICY_APPROXKL_AVG, approxKl);
      put(m, PpoMetrics.POLICY_CLIPFRAC_AVG, clipFrac);
      put(m, PpoMetrics.VAL_CLIPFRAC_AVG, valueClipFrac);
      put(m, PpoMetrics.VAL_RATIO, ratioMean);
      put(m, PpoMetrics.POLICY_BEHAVIOUR_WEIGHT_AVG, behaviourWeightMean);
      put(m, PpoMetrics.POLICY_BEHAVIOUR_WEIGHT_CAPPED_FRAC, behaviourWeightCappedFrac);
      put(m, PpoMetrics.LOSS_KL_AVG, referenceKl);
      return m;
    }

    private static void put(Map<String, Double> m, String name, double value) {
      if (!Double.isNaN(value)) {
        m.put(name, value);
      }
    }
  }

  /** An objective with fixed settings; it holds no per-batch state. */
  public PpoObjective(Settings settings) {
    if (settings == null) {
      throw new IllegalArgumentException("PPO settings must not be null");
    }
    this.settings = settings;
  }

  /** The settings. */
  public Settings settings() {
    return settings;
  }

  /** The loss and statistics without gradients. */
  public Result forward(Batch batch) {
    return forwardBackward(null, null, null, batch);
  }

  /**
   * The loss and statistics, <em>adding</em> ∂loss/∂logp into {@code dLogp}, ∂loss/∂v into
   * {@code dValues} and ∂loss/∂H into {@code dEntropy} (each B·T; null to skip; padding tokens get
   * nothing): the inputs {@code PolicyEvaluation.backward} carries into the parameters.
   *
   * <p>The loss, per real token, with N the number of real tokens in the batch (the masked mean
   * over the batch that TRL takes):
   * <pre>
   *   standard:  ρ = exp(logp − logp_old),   w = 1
   *   decoupled: ρ = exp(logp − logp_prox),  w = min(exp(logp_prox − logp_old), cap), a constant
   *   policy_t = w · max(−A·ρ, −A·clip(ρ, 1−ε, 1+ε))
   *   value_t  = ½ · max((v − R)², (clip(v, v_old−εv, v_old+εv) − R)²)
   *   kl_t     = exp(logp_ref − logp) − (logp_ref − logp) − 1    (k3; with logp_ref only)
   *   loss     = Σ_t policy_t / N + vf_coef · Σ_t value_t / N − ent_coef · Σ_t H_t / N
   *              + β · Σ_t kl_t / N
   * </pre>
   * <p>The KL term is TRL's {@code GRPOTrainer}'s: k3 of the policy being trained, not of the one
   * that sampled, so its gradient pulls every token toward the reference, clipped or not; it is
   * not weighted by w.
   *
   * <p>Decoupled (Fu et al. 2025, "AReaL"): {@code logp_old} is the behaviour policy that sampled the
   * tokens and {@code logp_prox} the proximal policy (recent learner weights) that anchors the
   * trust region; w corrects for the sampling policy and is truncated as in IMPALA's V-trace
   * (Espeholt et al. 2018), so one very stale token cannot dominate.
   *
   * <p>Gradient of a max: where one arm is strictly larger, that arm's gradient; where the arms
   * tie, the unclipped arm's gradient alone. Ties are the common case: inside the clip range
   * {@code clip(ρ) = ρ} (and {@code clip(v) = v}), so the arms are equal on every unclipped token,
   * and summing both arms there (what SameDiff M2.1 does) doubles the gradient. One arm is the
   * derivative of the function; on the clip boundary itself it is the one-sided derivative from
   * inside the range. A token whose clipped arm is strictly larger gets zero gradient, because its
   * ρ (or v) lies outside the range, where the clipped arm is constant.
   */
  public Result forwardBackward(double[] dLogp, double[] dValues, double[] dEntropy,
      Batch batch) {
    BatchShape shape = batch.shape();
    int n = shape.requireMask(batch.mask());
    requireConsistent(batch, n, dLogp, dValues, dEntropy);

    double eps = settings.clipRange();
    double epsV = settings.clipRangeValue();
    boolean decoupled = settings.decoupled();
    double cap = settings.behaviourWeightCap();
    boolean withValues = batch.hasValues();
    double[] entropy = batch.entropy();
    double[] mask = batch.mask();
    double[] logp = batch.logp();
    double[] logpOld = batch.logpOld();
    double[] anchor = decoupled ? batch.logpProx() : logpOld;
    double[] adv = batch.advantages();
    double[] values = batch.values();
    double[] valuesOld = batch.valuesOld();
    double[] returns = batch.returns();
    double[] logpRef = batch.logpRef();

    // every term is a mean over the same N real tokens, so each token's gradient carries 1/N
    double inv = 1.0 / n;
    double policyScale = inv;
    double valueScale = settings.vfCoef() * inv;
    double entropyScale = -settings.entCoef() * inv;
    double klScale = batch.klCoef() * inv;

    double policySum = 0;
    double valueSum = 0;
    double entropySum = 0;
    double approxKlSum = 0;
    double ratioSum = 0;
    double weightSum = 0;
    double referenceKlSum = 0;
    int clipped = 0;
    int valueClipped = 0;
    int capped = 0;
    for (int i = 0; i < mask.length; i++) {
      if (mask[i] == 0.0) {
        continue;
      }
      // 1. clipped policy loss, weighted by the truncated behaviour importance weight
      double logRatio = logp[i] - anchor[i];
      double ratio = Math.exp(logRatio);
      double w = 1.0;
      if (decoupled) {
        double raw = Math.exp(anchor[i] - logpOld[i]);
        if (raw > cap) {
          capped++;
          w = cap;
        } else {
          w = raw;
        }
        weightSum += w;
      }
      double a = adv[i];
      double unclippedArm = -a * ratio;
      double clippedArm = -a * Math.max(1.0 - eps, Math.min(1.0 + eps, ratio));
      if (clippedArm > unclippedArm) {
        // outside the range the clipped arm is constant in logp: no gradient
        clipped++;
        policySum += w * clippedArm;
      } else {
        policySum += w * unclippedArm;
        if (dLogp != null) {
          // ∂(−A·ρ)/∂logp = −A·ρ, since ∂ρ/∂logp = ρ
          dLogp[i] += policyScale * w * unclippedArm;
        }
      }
      approxKlSum += 0.5 * logRatio * logRatio;
      ratioSum += ratio;

      // 2. clipped value loss
      if (withValues) {
        double v = values[i];
        double r = returns[i];
        double vOld = valuesOld[i];
        double vClipped = Math.max(vOld - epsV, Math.min(vOld + epsV, v));
        double unclippedError = v - r;
        double clippedError = vClipped - r;
        double unclippedSq = unclippedError * unclippedError;
        double clippedSq = clippedError * clippedError;
        if (clippedSq > unclippedSq) {
          valueClipped++;
          valueSum += 0.5 * clippedSq;
        } else {
          valueSum += 0.5 * unclippedSq;
          if (dValues != null) {
            dValues[i] += valueScale * unclippedError;
          }
        }
      }

      // 3. entropy bonus
      if (entropy != null) {
        entropySum += entropy[i];
        if (dEntropy != null) {
          dEntropy[i] += entropyScale;
        }
      }

      // 4. KL to the reference (k3)
      if (logpRef != null) {
        referenceKlSum += KlEstimator.K3.value(logp[i], logpRef[i]);
        if (dLogp != null) {
          // r = logp_ref − logp: ∂(eʳ − 1 − r)/∂logp = −(eʳ − 1)
          dLogp[i] -= klScale * Math.expm1(logpRef[i] - logp[i]);
        }
      }
    }

    double policyLoss = policySum * inv;
    double valueLoss = withValues ? valueSum * inv : Double.NaN;
    double meanEntropy = entropy != null ? entropySum * inv : Double.NaN;
    double loss = policyLoss;
    if (withValues) {
      loss += settings.vfCoef() * valueLoss;
    }
    if (entropy != null) {
      loss -= settings.entCoef() * meanEntropy;
    }
    double referenceKl = logpRef != null ? referenceKlSum * inv : Double.NaN;
    if (logpRef != null) {
      loss += batch.klCoef() * referenceKl;
    }
    return new Result(loss, policyLoss, valueLoss, meanEntropy, approxKlSum * inv,
        (double) clipped / n, withValues ? (double) valueClipped / n : Double.NaN,
        ratioSum * inv, decoupled ? weightSum * inv : Double.NaN,
        decoupled ? (double) capped / n : Double.NaN, referenceKl);
  }

  private void requireConsistent(Batch batch, int realTokens, double[] dLogp, double[] dValues,
      double[] dEntropy) {
    BatchShape shape = batch.shape();
    if (realTokens == 0) {
      throw new IllegalArgumentException("PPO batch has no real tokens: the mask is all padding");
    }
    if (settings.decoupled() && batch.logpProx() == null) {
      throw new IllegalArgumentException("the decoupled objective needs proximal log-probs");
    }
    if (!settings.decoupled() && batch.logpProx() != null) {
      throw new IllegalArgumentException(
          "proximal log-probs were given but the objective is not decoupled");
    }
    if (!batch.hasValues() && settings.vfCoef() != 0) {
      throw new IllegalArgumentException("vf_coef is " + settings.vfCoef()
          + " but the batch has no values; use vf_coef 0 for a critic-free objective");
    }
    if (batch.entropy() == null && settings.entCoef() != 0) {
      throw new IllegalArgumentException("entropy coefficient is " + settings.entCoef()
          + " but the batch has no entropies");
    }
    if (dLogp != null) {
      shape.requireTokens("dLogp", dLogp);
    }
    if (dValues != null) {
      if (!batch.hasValues()) {
        throw new IllegalArgumentException("dValues was given but the batch has no values");
      }
      shape.requireTokens("dValues", dValues);
    }
    if (dEntropy != null) {
      if (batch.entropy() == null) {
        throw new IllegalArgumentException("dEntropy was given but the batch has no entropies");
      }
      shape.requireTokens("dEntropy", dEntropy);
    }
  }
}
