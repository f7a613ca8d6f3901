package org.rlhf4j.learner.rl;

/** Generalized advantage estimation (Schulman et al. 2016) over each row's real tokens. */
public final class Gae {
  private final double gamma;
  private final double lambda;

  /** Discount {@code gamma} and GAE {@code lambda}, both in [0, 1]. */
  public Gae(double gamma, double lambda) {
    if (!(gamma >= 0 && gamma <= 1)) {
      throw new IllegalArgumentException("GAE gamma must be in [0, 1], got " + gamma);
    }
    if (!(lambda >= 0 && lambda <= 1)) {
      throw new IllegalArgumentException("GAE lambda must be in [0, 1], got " + lambda);
    }
    this.gamma = gamma;
    this.lambda = lambda;
  }

  /** The discount γ. */
  public double gamma() {
    return gamma;
  }

  /** The GAE λ. */
  public double lambda() {
    return lambda;
  }

  /**
   * Walking each row backwards over its real tokens: {@code δ_t = r_t + γ·V_next − V_t},
   * {@code A_t = δ_t + γλ·A_next}, {@code returns_t = A_t + V_t}, where "next" is the row's next
   * real token and {@code V_next = A_next = 0} after its last one (the episode ends with the
   * response). Padding tokens are skipped, so whatever they hold never reaches a real token, and
   * get 0 in both outputs. {@code advantages} may be {@code rewards} and {@code returns} may be
   * {@code values}: each index is read before it is written.
   *
   * @param advantages out (B·T)
   * @param returns out (B·T), the value targets
   * @param rewards per-token rewards (B·T)
   * @param values the critic's values of the rollout, V_t (B·T)
   * @param mask 1 for a real response token, 0 for padding (B·T)
   */
  public void compute(double[] advantages, double[] returns, BatchShape shape, double[] rewards,
      double[] values, double[] mask) {
    shape.requireTokens("advantages", advantages);
    shape.requireTokens("returns", returns);
    shape.requireTokens("rewards", rewards);
    shape.requireTokens("values", values);
    shape.requireMask(mask);
    if (advantages == returns) {
      throw new IllegalArgumentException("advantages and returns must be different arrays");
    }
    double gl = gamma * lambda;
    int t = shape.t();
    for (int row = 0; row < shape.b(); row++) {
      double nextValue = 0.0;
      double nextAdvantage = 0.0;
      for (int i = row * t + t - 1; i >= row * t; i--) {
        if (mask[i] == 0.0) {
          advantages[i] = 0.0;
          returns[i] = 0.0;
          continue;
        }
        double v = values[i];
        double delta = rewards[i] + gamma * nextValue - v;
        double a = delta + gl * nextAdvantage;
        advantages[i] = a;
        returns[i] = a + v;
        nextValue = v;
        nextAdvantage = a;
      }
    }
  }
}
