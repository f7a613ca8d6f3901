package org.rlhf4j.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.DoubleNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rlhf4j.config.ConfigLoader;

class EvaluatedModelTest {
  @TempDir Path dir;

  /** A stage in {@code directory} that logged {@code metric}, configured with {@code settings}. */
  private StageRun stage(String directory, String metric, Map<String, Object> settings)
      throws IOException {
    Path file = dir.resolve(directory.replace('/', '-') + ".jsonl");
    Files.writeString(file, "{\"step\":1,\"" + metric + "\":0.5}\n");
    MetricsSeries metrics = MetricsSeries.read(file);
    return new StageRun(directory, TrainingStage.of(metrics), metrics, Optional.of(
        ConfigLoader.withOverrides(ConfigLoader.defaults(), settings, "the test")));
  }

  private static EvalReport report(String label) {
    return new EvalReport(label, Map.of(EvalReport.GOLD_REWARD, new DoubleNode(0.3),
        EvalReport.KL, new DoubleNode(2)));
  }

  private List<StageRun> stages() throws IOException {
    return List.of(stage("sft", "train/loss", Map.of()),
        stage("dpo", "rewards/accuracies", Map.of("rlhf4j.dpo.beta", 0.1)),
        stage("ppo", "objective/kl", Map.of("rlhf4j.ppo.kl-coef", 0.3)),
        stage("sweep/ppo-kl0.8", "objective/kl", Map.of("rlhf4j.ppo.kl-coef", 0.8)),
        stage("sweep/grpo", "objective/kl", Map.of("rlhf4j.ppo.advantage", "grpo",
            "rlhf4j.ppo.kl-coef", 0.04)),
        stage("sweep/dpo-ipo", "rewards/accuracies", Map.of("rlhf4j.dpo.loss", "ipo",
            "rlhf4j.dpo.beta", 0.5)),
        stage("rm", "train/accuracy", Map.of()));
  }

  @Test
  void eachModelIsNamedForWhatTrainedItWithItsSettingInPipelineOrder() throws IOException {
    List<EvaluatedModel> models = EvaluatedModel.of(List.of(report("eval/ppo-kl0.8"),
        report("eval/ppo"), report("eval/unknown"), report("eval/dpo-ipo"), report("eval/sft"),
        report("eval/grpo"), report("eval/dpo")), stages());
    assertEquals(List.of("SFT", "DPO β = 0.1", "DPO (ipo) β = 0.5", "GRPO KL coef = 0.04",
        "PPO KL coef = 0.3", "PPO KL coef = 0.8", "eval/unknown"),
        models.stream().map(EvaluatedModel::name).toList());
    // the frontiers' legends say the same, not eval/dpo
    assertEquals("DPO β = 0.1", models.get(1).report().frontierPoint(models.get(1).name(),
        EvalReport.KL).orElseThrow().label());
  }

  @Test
  void aReportInAStagesDirectoryIsOfThatStageAndTwoOfOneModelAreToldApart() throws IOException {
    List<EvaluatedModel> models = EvaluatedModel.of(List.of(report("dpo/eval"),
        report("eval/dpo")), stages());
    assertEquals(List.of("DPO β = 0.1 (dpo/eval)", "DPO β = 0.1 (eval/dpo)"),
        models.stream().map(EvaluatedModel::name).toList());
  }

  @Test
  void aSamplesLabelIsItsStagesModel() throws IOException {
    List<StageRun> stages = stages();
    List<EvaluatedModel> models = EvaluatedModel.of(List.of(report("eval/ppo")), stages);
    assertEquals("PPO KL coef = 0.3", EvaluatedModel.nameOf("ppo", models, stages));
    assertEquals("DPO β = 0.1", EvaluatedModel.nameOf("dpo", models, stages));
    assertEquals("policy-x", EvaluatedModel.nameOf("policy-x", models, stages));
  }
}
