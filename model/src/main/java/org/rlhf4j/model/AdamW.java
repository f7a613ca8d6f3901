package org.rlhf4j.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.rlhf4j.model.kernels.Kernels;

/**
 * AdamW (Loshchilov and Hutter, "Decoupled Weight Decay Regularization", 2019): Adam with
 * bias-corrected moments and weight decay applied to the weights directly, only to matrices and
 * embeddings (GPT-2/nanoGPT's grouping). Moments share the parameters' flat layout.
 */
public final class AdamW {
  /** Hyper-parameters; the learning rate comes per step from a {@link LearningRateSchedule}. */
  public record Settings(double beta1, double beta2, double eps, double weightDecay) {
    public Settings {
      if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
        throw new IllegalArgumentException("betas must lie in [0, 1), got " + beta1 + ", " + beta2);
      }
      if (!(eps > 0) || !(weightDecay >= 0)) {
        throw new IllegalArgumentException("eps must be > 0 and weight decay >= 0");
      }
    }

    /** nanoGPT's defaults: β = (0.9, 0.95), ε = 1e-8, decay 0.1. */
    public static Settings gpt() {
      return new Settings(0.9, 0.95, 1e-8, 0.1);
    }
  }

  private final Settings settings;
  private final Kernels kernels;
  private final ParameterStore m;
  private final ParameterStore v;
  private final INDArray decayMask; // (P): 1 where weight decay applies
  private long step;

  public AdamW(ParameterStore params, Settings settings, Kernels kernels) {
    this.settings = settings;
    this.kernels = kernels;
    this.m = params.zerosLike();
    this.v = params.zerosLike();
    ParameterStore mask = params.zerosLike();
    for (ParameterSpec spec : params.layout().specs()) {
      if (GptLayout.decays(spec)) {
        mask.get(spec.name()).assign(1.0);
      }
    }
    this.decayMask = mask.flat();
  }

  /** Applies one update with learning rate {@code lr}; returns the step number (1-based). */
  public long update(ParameterStore params, ParameterStore grads, double lr) {
    if (!params.layout().equals(m.layout()) || !grads.layout().equals(m.layout())) {
      // with LoRA, a whole model's store where only its trainable view belongs
      throw new IllegalArgumentException("parameters and gradients must have the layout this "
          + "optimizer was built for (" + m.layout().specs().size() + " tensors)");
    }
    step++;
    kernels.adamwUpdate(params.flat(), grads.flat(), m.flat(), v.flat(), decayMask, step, lr,
        settings.beta1(), settings.beta2(), settings.eps(), settings.weightDecay());
    return step;
  }

  /** Updates applied so far. */
  public long step() {
    return step;
  }

  public Settings settings() {
    return settings;
  }

  /** First moments (for checkpoints). */
  public ParameterStore firstMoments() {
    return m;
  }

  /** Second moments (for checkpoints). */
  public ParameterStore secondMoments() {
    return v;
  }

  /** Restores state saved from {@link #firstMoments()}, {@link #secondMoments()} and {@link #step()}. */
  public void restore(ParameterStore firstMoments, ParameterStore secondMoments, long steps) {
    m.copyFrom(firstMoments);
    v.copyFrom(secondMoments);
    this.step = steps;
  }
}
