package org.rlhf4j.learner.preference;

/**
 * The losses of TRL's {@code DPOTrainer.dpo_loss}, each a function of β and the implicit-reward gap
 * h = (logπ(y_w) − logπ_ref(y_w)) − (logπ(y_l) − logπ_ref(y_l)); ε is the label smoothing.
 */
public enum DpoLoss {
  /**
   * DPO (Rafailov et al., 2023) with cDPO's label smoothing: −(1−ε)·log σ(βh) − ε·log σ(−βh).
   * The ε term treats each label as flipped with probability ε, which bounds how far h is pushed.
   */
  SIGMOID,
  /** The SLiC hinge (Zhao et al., 2023): relu(1 − βh). */
  HINGE,
  /**
   * IPO (Azar et al., 2023, eq. 17, β standing for τ): (h − 1/(2β))², over per-token averaged
   * log-probs: with sums the square grows with completion length, and IPO's authors report the
   * averaged form.
   */
  IPO,
  /**
   * The pairwise KTO of TRL 0.7.5–0.9.4 ({@code loss_type="kto_pair"}), after eq. 7 of the HALOs
   * report (Ethayarajh et al., 2023). With c = logπ(y_w) − logπ_ref(y_w),
   * r = logπ(y_l) − logπ_ref(y_l) and the batch estimates KL_w = max(0, mean c) and
   * KL_l = max(0, mean r): the mean over all 2P terms 1 − σ(β(c − KL_l)) and 1 − σ(β(KL_w − r)).
   * Each half's reference point comes from the other half; as in that TRL code, the gradient flows
   * through both KL estimates.
   */
  KTO_PAIR,
  /**
   * Robust DPO (Chowdhury et al., 2024), unbiased when labels flip with probability ε:
   * ((1−ε)·(−log σ(βh)) + ε·log σ(−βh)) / (1 − 2ε).
   */
  ROBUST;

  /**
   * Whether the trainer must pass per-token averaged log-probs (the sum over completion tokens
   * divided by their count) instead of sums. Only IPO averages, as in TRL (before 1.0 it divides
   * the log-probs before the loss, since 1.0 inside it); the other losses take sequence sums.
   */
  public boolean usesTokenAveragedLogProbs() {
    return this == IPO;
  }

  /** Whether the label smoothing ε enters this loss; the others are defined without it. */
  public boolean usesLabelSmoothing() {
    return this == SIGMOID || this == ROBUST;
  }
}
