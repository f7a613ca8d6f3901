package org.rlhf4j.model;

/** Global-norm gradient clipping (Pascanu et al., 2013), as {@code clip_grad_norm_} does it. */
public final class GradientClipping {
  private GradientClipping() {}

  /**
   * Scales {@code grads} so their global L2 norm is at most {@code maxNorm}; returns the norm before
   * clipping. A non-finite norm is returned as is and the gradients are left alone, so the caller
   * can skip the update and count it.
   */
  public static double clipGlobalNorm(ParameterStore grads, double maxNorm) {
    double norm = grads.flat().norm2Number().doubleValue();
    if (Double.isFinite(norm) && norm > maxNorm && maxNorm > 0) {
      grads.flat().muli(maxNorm / (norm + 1e-6));
    }
    return norm;
  }
}
