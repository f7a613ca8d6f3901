package org.rlhf4j.cli.report;

import java.util.List;
import org.rlhf4j.learner.DpoTrainer;
import org.rlhf4j.learner.RewardTrainer;
import org.rlhf4j.learner.SftTrainer;
import org.rlhf4j.learner.async.PpoLearner;
import org.rlhf4j.learner.preference.DpoMetrics;
import org.rlhf4j.learner.rl.PpoMetrics;

/**
 * The pipeline stage that wrote a {@code metrics.jsonl}, recognised by its metric names rather
 * than its directory's name, and the charts the report draws for it. Declared in pipeline order,
 * the order of the report's sections.
 */
enum TrainingStage {
  SFT("SFT", "sft", SftTrainer.LOSS, List.of(
      new Chart("loss", "training loss", "cross-entropy (nats/token)", List.of(SftTrainer.LOSS),
          "Next-token cross-entropy on the training batches; falls steeply, then flattens."))),
  REWARD_MODEL("Reward model", "rm", RewardTrainer.ACCURACY, List.of(
      new Chart("loss", "training loss", "−log σ(r_chosen − r_rejected)",
          List.of(RewardTrainer.LOSS),
          "Bradley–Terry loss on the comparison batches; starts near ln 2 ≈ 0.693."),
      new Chart("accuracy", "accuracy", "pairs ranked right", List.of(RewardTrainer.ACCURACY),
          "Fraction of training pairs whose chosen completion scores higher; 0.5 is chance."))),
  DPO("DPO", "dpo", DpoMetrics.REWARDS_ACCURACIES, List.of(
      new Chart("loss", "training loss", "loss", List.of(DpoTrainer.LOSS),
          "DPO loss on the comparison batches; the sigmoid loss starts at ln 2 ≈ 0.693."),
      new Chart("reward-accuracy", "implicit reward accuracy", "pairs ranked right",
          List.of(DpoMetrics.REWARDS_ACCURACIES),
          "Fraction of pairs whose implicit reward β·log(π/π_ref) ranks the chosen completion "
              + "higher; should climb well above 0.5."))),
  PPO("PPO", "ppo", PpoMetrics.OBJECTIVE_SCORES, List.of(
      new Chart("score", "reward", "reward",
          List.of(PpoMetrics.OBJECTIVE_SCORES, PpoMetrics.OBJECTIVE_RLHF_REWARD),
          "objective/scores: the reward model's mean score; objective/rlhf_reward: score minus "
              + "the KL penalty, the quantity PPO maximises. Both should rise."),
      new Chart("kl", "KL to the reference", "KL (nats)", List.of(PpoMetrics.OBJECTIVE_KL),
          "Mean summed per-token KL(π‖π_ref) of the sampled responses; a slow rise is expected, "
              + "a runaway climb with rising scores suggests reward hacking."),
      new Chart("entropy", "policy entropy", "entropy (nats/token)",
          List.of(PpoMetrics.OBJECTIVE_ENTROPY),
          "Mean per-token entropy of the policy; a collapse towards 0 means it stopped "
              + "exploring."),
      new Chart("approxkl-clipfrac", "approximate KL and clip fraction", "value",
          List.of(PpoMetrics.POLICY_APPROXKL_AVG, PpoMetrics.POLICY_CLIPFRAC_AVG),
          "policy/approxkl_avg: how far each update moved the policy; policy/clipfrac_avg: the "
              + "fraction of tokens the PPO clip held back. Both should stay small."),
      new Chart("policy-lag", "policy lag", "versions",
          List.of(PpoLearner.LAG_AVG, PpoLearner.LAG_MAX),
          "How many policy versions behind the learner the rollouts of each update were "
              + "sampled (asynchronous PPO); bounded by rlhf4j.async.max-lag."))),
  /** Metrics this report does not know; listed in the summary, not drawn. */
  OTHER("Other", "", "", List.of());

  /**
   * One chart of a stage.
   *
   * @param file the PNG's name after the stage directory's, e.g. {@code kl} in {@code ppo-kl.png}
   * @param metrics the series drawn together, those present in the run
   */
  record Chart(String file, String title, String yLabel, List<String> metrics, String caption) {}

  final String displayName;
  /** The directory the pipeline writes this stage to; charts of another directory name it. */
  final String usualDirectory;
  /** The metric whose last value the summary shows. */
  final String keyMetric;
  final List<Chart> charts;

  TrainingStage(String displayName, String usualDirectory, String keyMetric, List<Chart> charts) {
    this.displayName = displayName;
    this.usualDirectory = usualDirectory;
    this.keyMetric = keyMetric;
    this.charts = charts;
  }

  /** The stage whose signature metrics {@code metrics} has; SFT logs only what others log too. */
  static TrainingStage of(MetricsSeries metrics) {
    if (metrics.has(PpoMetrics.OBJECTIVE_SCORES) || metrics.has(PpoMetrics.OBJECTIVE_KL)) {
      return PPO;
    }
    if (metrics.has(DpoMetrics.REWARDS_ACCURACIES) || metrics.has(DpoMetrics.REWARDS_MARGINS)) {
      return DPO;
    }
    if (metrics.has(RewardTrainer.ACCURACY)) {
      return REWARD_MODEL;
    }
    if (metrics.has(SftTrainer.LOSS)) {
      return SFT;
    }
    return OTHER;
  }
}
