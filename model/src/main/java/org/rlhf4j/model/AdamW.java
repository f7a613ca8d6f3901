package org.rlhf4j.model;

import java.util.ArrayList;
import java.util.List;
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
  private final long[] decayed; // [from, to) ranges of the flat layout that weight decay applies to
  private long step;

  public AdamW(ParameterStore params, Settings settings, Kernels kernels) {
    this.settings = settings;
    this.kernels = kernels;
    this.m = params.zerosLike();
    this.v = params.zerosLike();
    this.decayed = decayedRanges(params.layout());
  }

  /** The layout's decaying tensors as ascending {@code [from, to)} pairs, neighbours merged. */
  static long[] decayedRanges(ParameterLayout layout) {
    List<Long> bounds = new ArrayList<>();
    for (ParameterSpec spec : layout.specs()) {
      if (!GptLayout.decays(spec)) {
        continue;
      }
      long from = spec.offset();
      long to = from + spec.size();
      if (!bounds.isEmpty() && bounds.get(bounds.size() - 1) == from) {
        bounds.set(bounds.size() - 1, to);
      } else {
        bounds.add(from);
        bounds.add(to);
      }
    }
    return bounds.stream().mapToLong(Long::longValue).toArray();
  }

  /** Applies one update with learning rate {@code lr}; returns the step number (1-based). */
  public long update(ParameterStore params, ParameterStore grads, double lr) {
    if (!params.layout().equals(m.layout()) || !grads.layout().equals(m.layout())) {
      // with LoRA, a whole model's store where only its trainable view belongs
      throw new IllegalArgumentException("parameters and gradients must have the layout this "
          + "optimizer was built for (" + m.layout().specs().size() + " tensors)");
    }
    step++;
    kernels.adamwUpdate(params.flat(), grads.flat(), m.flat(), v.flat(), decayed, step, lr,
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
