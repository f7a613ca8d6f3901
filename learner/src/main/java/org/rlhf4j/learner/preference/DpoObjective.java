package org.rlhf4j.learner.preference;

/**
 * A DPO-family objective over per-pair sequence log-probs: the mean loss, its gradient with
 * respect to the policy's log-probs, and TRL's metrics.
 *
 * <p>Each input holds one log-prob per pair, summed over the completion's tokens, except for
 * {@link DpoLoss#IPO}, which takes per-token averages (see
 * {@link DpoLoss#usesTokenAveragedLogProbs()}): the trainer passes sums for the other losses and
 * averages for IPO, as TRL does.
 *
 * @param lossType which loss of the family (TRL's {@code loss_type})
 * @param beta β &gt; 0, the strength of the pull towards the reference (τ in the IPO paper)
 * @param labelSmoothing ε in [0, 0.5), the assumed probability that a label is flipped, for
 *     {@link DpoLoss#SIGMOID} (cDPO) and {@link DpoLoss#ROBUST}; 0 for the other losses
 */
public record DpoObjective(DpoLoss lossType, double beta, double labelSmoothing) {
  /** Checks the settings, saying what was received. */
  public DpoObjective {
    if (lossType == null) {
      throw new IllegalArgumentException(
          "lossType is null; expected one of SIGMOID, HINGE, IPO, KTO_PAIR, ROBUST");
    }
    if (!(beta > 0) || Double.isInfinite(beta)) {
      throw new IllegalArgumentException("beta must be a finite number > 0, got " + beta);
    }
    if (lossType == DpoLoss.ROBUST && !(labelSmoothing < 0.5)) {
      throw new IllegalArgumentException("ROBUST divides by 1 − 2·labelSmoothing, so "
          + "labelSmoothing must be < 0.5, got " + labelSmoothing);
    }
    if (!(labelSmoothing >= 0 && labelSmoothing < 0.5)) {
      // at ε = 0.5 a label says nothing, and above it the preference is reversed
      throw new IllegalArgumentException(
          "labelSmoothing must be in [0, 0.5), got " + labelSmoothing);
    }
    if (labelSmoothing > 0 && !lossType.usesLabelSmoothing()) {
      // TRL warns and ignores it; a setting that silently does nothing is refused here instead
      throw new IllegalArgumentException("labelSmoothing applies only to SIGMOID and ROBUST; "
          + lossType + " got " + labelSmoothing + ", set it to 0");
    }
  }

  /** Plain DPO: the sigmoid loss without label smoothing. */
  public static DpoObjective sigmoid(double beta) {
    return new DpoObjective(DpoLoss.SIGMOID, beta, 0);
  }

  /**
   * The loss, its gradient and the metrics.
   *
   * @param loss the mean over pairs of the per-pair loss (over all 2P terms for KTO_PAIR)
   * @param gradPolicyChosen ∂loss/∂logπ(y_w), one per pair (a fresh array, owned by the caller)
   * @param gradPolicyRejected ∂loss/∂logπ(y_l), one per pair (a fresh array, owned by the caller)
   * @param metrics TRL's rewards/ and logps/ metrics
   */
  public record Result(double loss, double[] gradPolicyChosen, double[] gradPolicyRejected,
      DpoMetrics metrics) {}

  /**
   * Evaluates the objective on P pairs. The reference log-probs are constants, so no gradient is
   * returned for them.
   *
   * @param policyChosen logπ(y_w) per pair
   * @param policyRejected logπ(y_l) per pair
   * @param referenceChosen logπ_ref(y_w) per pair
   * @param referenceRejected logπ_ref(y_l) per pair
   */
  public Result evaluate(double[] policyChosen, double[] policyRejected, double[] referenceChosen,
      double[] referenceRejected) {
    int p = PairArrays.count("policyChosen", policyChosen,
        new String[] {"policyRejected", "referenceChosen", "referenceRejected"},
        policyRejected, referenceChosen, referenceRejected);
    // 1. log-ratios against the reference: the implicit rewards divided by β
    double[] chosenRatio = new double[p]; // (P,)
    double[] rejectedRatio = new double[p]; // (P,)
    for (int i = 0; i < p; i++) {
      chosenRatio[i] = policyChosen[i] - referenceChosen[i];
      rejectedRatio[i] = policyRejected[i] - referenceRejected[i];
    }
    // 2. loss and gradient; a log-ratio's derivative with respect to its policy log-prob is 1
    double[] gradChosen = new double[p]; // (P,)
    double[] gradRejected = new double[p]; // (P,)
    double loss = lossType == DpoLoss.KTO_PAIR
        ? ktoPair(chosenRatio, rejectedRatio, gradChosen, gradRejected)
        : pairwise(chosenRatio, rejectedRatio, gradChosen, gradRejected);
    // 3. metrics
    return new Result(loss, gradChosen, gradRejected,
        metrics(policyChosen, policyRejected, chosenRatio, rejectedRatio));
  }

  /** Mean of ℓ(h_i), h_i = c_i − r_i; writes ∂/∂c_i = ℓ′(h_i)/P and ∂/∂r_i = −ℓ′(h_i)/P. */
  private double pairwise(double[] chosenRatio, double[] rejectedRatio, double[] gradChosen,
      double[] gradRejected) {
    int p = chosenRatio.length;
    double loss = 0;
    for (int i = 0; i < p; i++) {
      double h = chosenRatio[i] - rejectedRatio[i];
      loss += pairLoss(h);
      double slope = pairLossSlope(h) / p;
      gradChosen[i] = slope;
      gradRejected[i] = -slope;
    }
    return loss / p;
  }

  /** ℓ(h) of one pair; −log σ(x) is written softplus(−x) so that |βh| ≫ 700 stays finite. */
  private double pairLoss(double h) {
    double u = beta * h;
    double eps = labelSmoothing;
    return switch (lossType) {
      case SIGMOID -> (1 - eps) * Sigmoid.softplus(-u) + eps * Sigmoid.softplus(u);
      case HINGE -> Math.max(0, 1 - u);
      case IPO -> {
        double d = h - 1 / (2 * beta);
        yield d * d;
      }
      case ROBUST ->
          ((1 - eps) * Sigmoid.softplus(-u) - eps * Sigmoid.softplus(u)) / (1 - 2 * eps);
      case KTO_PAIR -> throw new IllegalStateException("KTO_PAIR couples the pairs");
    };
  }

  /**
   * dℓ/dh of {@link #pairLoss}, with u = βh and softplus′(x) = σ(x):
   * SIGMOID (1−ε)·softplus(−u) + ε·softplus(u) → β(−(1−ε)σ(−u) + εσ(u));
   * HINGE max(0, 1 − u) → −β where u &lt; 1, else 0 (at the kink, 0 like torch's relu′(0));
   * IPO (h − 1/(2β))² → 2(h − 1/(2β));
   * ROBUST ((1−ε)·softplus(−u) − ε·softplus(u)) / (1−2ε) → β(−(1−ε)σ(−u) − εσ(u)) / (1−2ε).
   */
  private double pairLossSlope(double h) {
    double u = beta * h;
    double eps = labelSmoothing;
    return switch (lossType) {
      case SIGMOID -> beta * (-(1 - eps) * Sigmoid.of(-u) + eps * Sigmoid.of(u));
      case HINGE -> u < 1 ? -beta : 0;
      case IPO -> 2 * (h - 1 / (2 * beta));
      case ROBUST -> beta * (-(1 - eps) * Sigmoid.of(-u) - eps * Sigmoid.of(u)) / (1 - 2 * eps);
      case KTO_PAIR -> throw new IllegalStateException("KTO_PAIR couples the pairs");
    };
  }

  /**
   * TRL 0.9.4's kto_pair. With KL_w = max(0, mean c), KL_l = max(0, mean r), x_i = β(c_i − KL_l)
   * and y_i = β(KL_w − r_i), the loss is (Σ_i (1 − σ(x_i)) + Σ_i (1 − σ(y_i))) / (2P), each
   * 1 − σ(x) computed as σ(−x) to keep its tail. Differentiated through the KL estimates, as
   * autograd does on TRL's code:
   * ∂/∂c_j = (−βσ′(x_j) − [mean c ≥ 0]·(β/P)·Σ_i σ′(y_i)) / (2P) and
   * ∂/∂r_j = (βσ′(y_j) + [mean r ≥ 0]·(β/P)·Σ_i σ′(x_i)) / (2P); the brackets are the derivative
   * of torch's {@code clamp(min=0)}, which passes the gradient at 0 itself.
   */
  private double ktoPair(double[] chosenRatio, double[] rejectedRatio, double[] gradChosen,
      double[] gradRejected) {
    int p = chosenRatio.length;
    double meanChosen = mean(chosenRatio);
    double meanRejected = mean(rejectedRatio);
    double klChosen = Math.max(0, meanChosen);
    double klRejected = Math.max(0, meanRejected);
    double loss = 0;
    double slopeSumX = 0;
    double slopeSumY = 0;
    for (int i = 0; i < p; i++) {
      // each half is measured against the other half's KL estimate
      double x = beta * (chosenRatio[i] - klRejected);
      double y = beta * (klChosen - rejectedRatio[i]);
      loss += Sigmoid.of(-x) + Sigmoid.of(-y);
      double sx = Sigmoid.slope(x);
      double sy = Sigmoid.slope(y);
      gradChosen[i] = -beta * sx;
      gradRejected[i] = beta * sy;
      slopeSumX += sx;
      slopeSumY += sy;
    }
    double throughKlChosen = meanChosen >= 0 ? -beta * slopeSumY / p : 0;
    double throughKlRejected = meanRejected >= 0 ? beta * slopeSumX / p : 0;
    for (int i = 0; i < p; i++) {
      gradChosen[i] = (gradChosen[i] + throughKlChosen) / (2 * p);
      gradRejected[i] = (gradRejected[i] + throughKlRejected) / (2 * p);
    }
    return loss / (2 * p);
  }

  private DpoMetrics metrics(double[] policyChosen, double[] policyRejected, double[] chosenRatio,
      double[] rejectedRatio) {
    int p = chosenRatio.length;
    double chosenReward = 0;
    double rejectedReward = 0;
    int correct = 0;
    double margin = 0;
    for (int i = 0; i < p; i++) {
      double rc = beta * chosenRatio[i];
      double rr = beta * rejectedRatio[i];
      chosenReward += rc;
      rejectedReward += rr;
      if (rc > rr) {
        correct++;
      }
      margin += rc - rr;
    }
    return new DpoMetrics(chosenReward / p, rejectedReward / p, (double) correct / p, margin / p,
        mean(policyChosen), mean(policyRejected));
  }

  private static double mean(double[] values) {
    double sum = 0;
    for (double v : values) {
      sum += v;
    }
    return sum / values.length;
  }
}
